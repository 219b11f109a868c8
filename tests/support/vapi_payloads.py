"""VAPI server messages shaped as protocols.md §1.2 records them (SDK `server_message_*` types and
VAPI's docs pages), for the webhook tests. Values are fictional."""

from __future__ import annotations

import uuid
from typing import Any

ORG_ID = "org-5f0c9a1e"
TENANT_PHONE = "+15035550104"  # Devon Placeholder, unit 2B, in the demo tenants
PROPERTY_LINE = "+15035550199"
TIMESTAMP_MS = 1_764_151_200_000


def new_call_id() -> str:
    return str(uuid.uuid4())


def call_object(call_id: str, customer: str = TENANT_PHONE) -> dict[str, Any]:
    return {
        "id": call_id,
        "orgId": ORG_ID,
        "type": "inboundPhoneCall",
        "status": "in-progress",
        "phoneCallProvider": "twilio",
        "phoneCallProviderId": "CA" + call_id.replace("-", "")[:32],
        "phoneCallTransport": "pstn",
        "phoneNumberId": "pn-7c1d",
        "customer": {"number": customer},
        "createdAt": "2026-11-26T10:00:00.000Z",
        "updatedAt": "2026-11-26T10:00:01.000Z",
    }


def message(kind: str, call_id: str, **fields: Any) -> dict[str, Any]:
    """`{"message": {"type": kind, "timestamp", "call", "phoneNumber", "customer", ...}}`."""
    return {
        "message": {
            "type": kind,
            "timestamp": TIMESTAMP_MS,
            "call": call_object(call_id),
            "phoneNumber": {"id": "pn-7c1d", "number": PROPERTY_LINE, "provider": "twilio"},
            "customer": {"number": TENANT_PHONE},
            **fields,
        }
    }


def assistant_request(call_id: str) -> dict[str, Any]:
    return message("assistant-request", call_id)


def status_update(call_id: str, status: str, ended_reason: str | None = None) -> dict[str, Any]:
    extra = {"endedReason": ended_reason} if ended_reason else {}
    return message("status-update", call_id, status=status, **extra)


def end_of_call_report(call_id: str, transcript: str | None = None) -> dict[str, Any]:
    transcript = transcript or (
        "AI: Hi, this is Jamie with Maple Grove Property Management.\n"
        "User: My kitchen sink is leaking under the cabinet.\n"
        "AI: I'm sorry about that. I've put in a work order for a plumber today."
    )
    return message(
        "end-of-call-report",
        call_id,
        endedReason="customer-ended-call",
        startedAt="2026-11-26T10:00:02.000Z",
        endedAt="2026-11-26T10:01:04.000Z",
        durationSeconds=62.0,
        cost=0.0731,
        costs=[
            {"type": "transcriber", "cost": 0.011},
            {"type": "voice", "cost": 0.0321},
            {"type": "vapi", "cost": 0.03},
        ],
        analysis={
            "summary": "The tenant reported a leaking kitchen sink; a work order was created.",
            "successEvaluation": "true",
        },
        artifact={
            "transcript": transcript,
            "messages": [
                {"role": "bot", "message": "Hi, this is Jamie.", "secondsFromStart": 0.5},
                {"role": "user", "message": "My kitchen sink is leaking.", "secondsFromStart": 4},
            ],
            "messagesOpenAIFormatted": [
                {"role": "assistant", "content": "Hi, this is Jamie."},
                {"role": "user", "content": "My kitchen sink is leaking."},
            ],
            "recordingUrl": f"https://storage.vapi.example/{call_id}-mono.wav",
            "stereoRecordingUrl": f"https://storage.vapi.example/{call_id}-stereo.wav",
        },
    )


def informational_messages(call_id: str) -> dict[str, dict[str, Any]]:
    """Messages answered with a plain 200, one of each type, plus a type VAPI may add later."""
    return {
        "conversation-update": message(
            "conversation-update",
            call_id,
            messages=[{"role": "bot", "message": "Hi, this is Jamie.", "time": TIMESTAMP_MS}],
            messagesOpenAIFormatted=[{"role": "assistant", "content": "Hi, this is Jamie."}],
        ),
        "transcript": message(
            "transcript",
            call_id,
            role="user",
            transcriptType="final",
            transcript="My kitchen sink is leaking.",
            isFiltered=False,
        ),
        "hang": message("hang", call_id),
        "speech-update": message("speech-update", call_id, status="started", role="user", turn=1),
        "user-interrupted": message("user-interrupted", call_id, turnId="turn-3"),
        "model-output": message("model-output", call_id, output="Sure, ", turnId="turn-3"),
        "status-update": status_update(call_id, "in-progress"),
        "phone-call-control": message("phone-call-control", call_id, request="hang-up"),
        "some-future-type": message("some-future-type", call_id, novelty={"nested": [1, 2]}),
    }


def tool_calls(call_id: str, entries: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return message("tool-calls", call_id, toolCallList=entries, **fields)


def function_shape(tool_call_id: str, name: str, arguments_json: str) -> dict[str, Any]:
    """The SDK's shape: `function.arguments` is a JSON string."""
    return {
        "id": tool_call_id,
        "type": "function",
        "function": {"name": name, "arguments": arguments_json},
    }
