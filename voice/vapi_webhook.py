"""`POST /vapi/webhook`: VAPI's server messages (protocols.md §1.2).

Order of work: the credential (a refused request is not stored), the body (size-limited), the
envelope `{"message": {"type": ...}}`, then the raw message is kept as an event and the type's
handler answers. `assistant-request` and `tool-calls` are answered at once; everything else is
acknowledged with `200 {}` after its writes are queued (the store's writer commits them off the
request path). `call.id` is the call record's id, as on `/vapi/chat/completions`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from core.clock import utc_now_iso
from core.logging import get_logger
from core.store.call_reports import CallEndReport, queue_call_end
from core.store.records import EventRecord
from core.tools.tenants import seed_demo_tenants_if_empty
from core.tools.toolbox import Toolbox, ToolContext, ToolResult
from voice.http_errors import json_error
from voice.services import SERVICES, Services, services
from voice.vapi_assistant import build_assistant, load_assistant_config
from voice.vapi_auth import AuthRefusal, WebhookAuthenticator
from voice.vapi_server_messages import (
    EndOfCallReportMessage,
    FunctionCallMessage,
    ServerMessage,
    StatusUpdateMessage,
    ToolCallsMessage,
    WebhookEnvelope,
)

log = get_logger(__name__)

SOURCE = "vapi_webhook"
_STORED_BODY_LIMIT = 64 * 1024
_READ_CHUNK = 64 * 1024


@dataclass
class WebhookState:
    """Built once at start-up (after the shared services exist)."""

    authenticator: WebhookAuthenticator | None = None
    toolbox: Toolbox | None = None
    assistant: dict[str, Any] = field(default_factory=dict)


WEBHOOK = web.AppKey("vapi_webhook", WebhookState)


class _BodyTooLarge(Exception):
    def __init__(self, received: bytes):
        self.received = received


async def _read_limited(request: web.Request, limit: int) -> bytes:
    """The raw body, refused past `limit` bytes (this route has its own, larger limit)."""
    if request.content_length is not None and request.content_length > limit:
        raise _BodyTooLarge(b"")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(_READ_CHUNK):
        size += len(chunk)
        chunks.append(chunk)
        if size > limit:
            raise _BodyTooLarge(b"".join(chunks))
    return b"".join(chunks)


def _keep_rejected(
    svc: Services, status: int, code: str, message: str, raw: bytes, body_bytes: int
) -> web.Response:
    """An authenticated request we cannot use: answer 4xx JSON, keep what arrived."""
    svc.writer.add_event(
        EventRecord(
            source=SOURCE,
            kind="bad_request",
            created_at=utc_now_iso(),
            payload={
                "status": status,
                "code": code,
                "message": message,
                "body": raw[:_STORED_BODY_LIMIT].decode("utf-8", "replace"),
                "body_bytes": body_bytes,
            },
        )
    )
    log.info("vapi_webhook_rejected", status=status, code=code)
    return json_error(status, code, message)


def _refuse(refusal: AuthRefusal) -> web.Response:
    log.warning("vapi_webhook_refused", status=refusal.status, code=refusal.code)
    return json_error(refusal.status, refusal.code, refusal.message)


def _validation_message(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "body"
    return f"{where}: {first['msg']}"


async def webhook(request: web.Request) -> web.Response:
    state = request.app[WEBHOOK]
    svc = services(request)
    authenticator = state.authenticator
    assert authenticator is not None
    refusal = authenticator.check_headers(request.headers)
    if refusal is not None:
        return _refuse(refusal)
    limit = svc.settings.vapi_webhook_max_body_bytes
    try:
        raw = await _read_limited(request, limit)
    except _BodyTooLarge as too_large:
        too_large_text = f"request body is over the {limit} byte limit"
        if authenticator.needs_body:  # not authenticated yet: keep nothing
            return json_error(413, "request_too_large", too_large_text)
        size = request.content_length or len(too_large.received)
        return _keep_rejected(
            svc, 413, "request_too_large", too_large_text, too_large.received, size
        )
    refusal = authenticator.check_signature(request.headers, raw)
    if refusal is not None:
        return _refuse(refusal)
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return _keep_rejected(svc, 400, "invalid_json", f"invalid JSON: {exc}", raw, len(raw))
    try:
        envelope = WebhookEnvelope.model_validate(body)
    except ValidationError as exc:
        return _keep_rejected(svc, 400, "invalid_message", _validation_message(exc), raw, len(raw))
    message = envelope.message
    svc.writer.add_event(
        EventRecord(
            source=SOURCE,
            kind=message.type,
            created_at=utc_now_iso(),
            call_id=message.call_id,
            payload=body,
        )
    )
    handler = _HANDLERS.get(message.type, _acknowledge)
    try:
        return await handler(state, svc, body["message"])
    except ValidationError as exc:
        return _keep_rejected(
            svc, 400, "invalid_message", f"message.{_validation_message(exc)}", raw, len(raw)
        )


async def _acknowledge(state: WebhookState, svc: Services, raw: dict[str, Any]) -> web.Response:
    message_type = raw.get("type")
    if message_type == "hang":
        call_id = (raw.get("call") or {}).get("id")
        log.warning("vapi_hang", call_id=call_id)  # VAPI waited too long on the model or a tool
    return web.json_response({})


async def _assistant_request(
    state: WebhookState, svc: Services, raw: dict[str, Any]
) -> web.Response:
    return web.json_response({"assistant": state.assistant})


def _tool_context(message: ServerMessage, source: str) -> ToolContext:
    return ToolContext(source=source, call_id=message.call_id, caller_number=message.caller_number)


def _tool_result_entry(tool_call_id: str, result: ToolResult) -> dict[str, Any]:
    outcome = "result" if result.ok else "error"
    return {"toolCallId": tool_call_id, "name": result.tool, outcome: result.message}


async def _tool_calls(state: WebhookState, svc: Services, raw: dict[str, Any]) -> web.Response:
    message = ToolCallsMessage.model_validate(raw)
    invocations = message.invocations()
    if not invocations:
        return json_error(400, "no_tool_calls", "toolCallList and toolWithToolCallList are empty")
    assert state.toolbox is not None
    context = _tool_context(message, SOURCE)
    results = []
    for invocation in invocations:
        if not invocation.name:
            result = ToolResult(tool="", ok=False, message="The tool call has no tool name.")
        else:
            result = await state.toolbox.run(invocation.name, invocation.arguments, context)
        results.append(_tool_result_entry(invocation.id, result))
    return web.json_response({"results": results})


async def _function_call(state: WebhookState, svc: Services, raw: dict[str, Any]) -> web.Response:
    message = FunctionCallMessage.model_validate(raw)
    assert state.toolbox is not None
    call = message.functionCall
    arguments = call.parameters if call.parameters is not None else call.arguments
    result = await state.toolbox.run(
        call.name or "", arguments, _tool_context(message, "vapi_function_call")
    )
    if result.ok:
        return web.json_response({"result": result.message})
    return web.json_response({"result": result.message, "error": result.message})


def _call_facts(message: ServerMessage) -> dict[str, Any]:
    call = message.call
    phone = message.phoneNumber
    if phone is None and call is not None:
        phone = (call.model_extra or {}).get("phoneNumber")
    return {
        "provider_call_id": call.phoneCallProviderId if call else None,
        "direction": call.type if call else None,
        "from_number": message.caller_number,
        "to_number": phone.get("number") if isinstance(phone, dict) else None,
    }


def _end_call(svc: Services, report: CallEndReport) -> None:
    queue_call_end(svc.writer, report)
    svc.engine.history.forget(report.call_id)


async def _status_update(state: WebhookState, svc: Services, raw: dict[str, Any]) -> web.Response:
    message = StatusUpdateMessage.model_validate(raw)
    if message.status == "ended" and message.call_id:
        _end_call(
            svc,
            CallEndReport(
                call_id=message.call_id,
                channel="vapi",
                ended_reason=message.endedReason,
                **_call_facts(message),
            ),
        )
    return web.json_response({})


async def _end_of_call_report(
    state: WebhookState, svc: Services, raw: dict[str, Any]
) -> web.Response:
    message = EndOfCallReportMessage.model_validate(raw)
    if message.call_id:
        _end_call(
            svc,
            CallEndReport(
                call_id=message.call_id,
                channel="vapi",
                ended_reason=message.endedReason,
                transcript=message.report_transcript(),
                summary=message.report_summary(),
                recording_url=message.report_recording_url(),
                cost=message.cost,
                started_at=message.startedAt,
                ended_at=message.endedAt,
                **_call_facts(message),
            ),
        )
    else:
        log.warning("vapi_report_without_call_id")
    return web.json_response({})


async def _transfer_destination(
    state: WebhookState, svc: Services, raw: dict[str, Any]
) -> web.Response:
    """VAPI's transfer tool had no destination: the configured human line, if there is one."""
    number = svc.settings.transfer_number
    if not number:
        return web.json_response(
            {"error": "Nobody is available to take the call right now. Please take a message."}
        )
    spoken = f"Transferring you to a person at {svc.persona.company} now."
    return web.json_response(
        {
            "destination": {"type": "number", "number": number, "message": spoken},
            "message": {"type": "request-start", "message": spoken},
        }
    )


_Handler = Callable[[WebhookState, Services, dict[str, Any]], Awaitable[web.Response]]

_HANDLERS: dict[str, _Handler] = {
    "assistant-request": _assistant_request,
    "tool-calls": _tool_calls,
    "function-call": _function_call,
    "status-update": _status_update,
    "end-of-call-report": _end_of_call_report,
    "transfer-destination-request": _transfer_destination,
}


async def _start(app: web.Application) -> None:
    """Runs after the app's lifecycle has created the shared services."""
    svc = app[SERVICES]
    state = app[WEBHOOK]
    state.authenticator = WebhookAuthenticator.from_settings(svc.settings)
    state.toolbox = Toolbox(svc.database, svc.writer, company=svc.persona.company)
    config = load_assistant_config(svc.settings.config_dir)
    state.assistant = build_assistant(
        config, svc.persona, svc.settings, state.toolbox.definitions()
    )
    seeded = await seed_demo_tenants_if_empty(svc.database, svc.writer)
    if seeded:
        log.info("demo_tenants_seeded", count=seeded)
    settings = svc.settings
    if settings.vapi_webhook_secret is None:
        log.warning(
            "vapi_webhook_unprotected" if settings.insecure_dev else "vapi_webhook_disabled",
            reason="PETE_VAPI_WEBHOOK_SECRET is not set",
        )
    elif settings.vapi_webhook_auth == "hmac" and not settings.vapi_credential_id:
        log.warning(
            "vapi_assistant_unsigned",
            reason="HMAC needs a VAPI credential: set PETE_VAPI_CREDENTIAL_ID",
        )


def add_routes(app: web.Application) -> None:
    app[WEBHOOK] = WebhookState()
    app.on_startup.append(_start)
    app.router.add_post("/vapi/webhook", webhook)
