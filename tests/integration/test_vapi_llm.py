"""VAPI's custom-LLM path, driven by the official `openai` client against the real server."""

from __future__ import annotations

import uuid

import httpx
import openai
import pytest

from tests.conftest import query_db
from voice.server import ServerThread

TENANT = "Hi, this is unit 4B. My kitchen sink is leaking under the cabinet."


def vapi_call(call_id: str) -> dict:
    return {
        "call": {"id": call_id, "type": "inboundPhoneCall", "phoneCallProviderId": "CA123"},
        "customer": {"number": "+15550100001"},
        "phoneNumber": {"number": "+15550100000"},
        "metadata": {"property": "maple-grove"},
    }


@pytest.mark.parametrize("prefix", ["/vapi", "/vapi/v1"])
def test_openai_client_streams_jamie_reply_and_turn_is_stored(server: ServerThread, prefix: str):
    client = openai.OpenAI(base_url=server.base_url + prefix, api_key="unused")
    call_id = f"call-{uuid.uuid4()}"
    stream = client.chat.completions.create(
        model="jamie",
        messages=[
            {"role": "system", "content": "VAPI's own prompt, replaced by the persona's."},
            {"role": "assistant", "content": "Hi, this is Jamie. How can I help?"},
            {"role": "user", "content": TENANT},
        ],
        stream=True,
        max_tokens=40,
        extra_body=vapi_call(call_id),
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip(), "the reply must not be empty"
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason in ("stop", "length")
    assert sum(1 for c in chunks if c.choices and c.choices[0].delta.content) >= 2, (
        "tokens must arrive as separate chunks"
    )

    turns = query_db(server, "SELECT * FROM turns WHERE call_id = ?", (call_id,))
    assert len(turns) == 1
    turn = turns[0]
    assert turn["user_text"] == TENANT
    assert turn["reply_text"] == text
    assert turn["channel"] == "vapi" and turn["model"] == "smollm2:135m"
    assert 0 < turn["ttft_ms"] <= turn["first_byte_out_ms"] <= turn["total_ms"]
    assert turn["tokens"] > 0 and turn["interrupted"] == 0 and turn["error"] is None
    call = query_db(server, "SELECT * FROM calls WHERE id = ?", (call_id,))[0]
    assert call["provider_call_id"] == "CA123"
    assert call["from_number"] == "+15550100001"


def test_sse_wire_format_ends_with_done(server: ServerThread):
    body = {
        "model": "default",
        "messages": [{"role": "user", "content": TENANT}],
        "stream": True,
        "max_tokens": 12,
    }
    with httpx.stream(
        "POST", server.base_url + "/vapi/chat/completions", json=body, timeout=60
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line]
    assert all(line.startswith("data: ") for line in lines)
    assert lines[-1] == "data: [DONE]"
    assert '"finish_reason":"stop"' in lines[-2] or '"finish_reason":"length"' in lines[-2]


def test_non_streaming_completion(server: ServerThread):
    client = openai.OpenAI(base_url=server.base_url + "/vapi/v1", api_key="unused")
    call_id = f"call-{uuid.uuid4()}"
    completion = client.chat.completions.create(
        model="smollm2:135m",
        messages=[{"role": "user", "content": "When is rent due?"}],
        stream=False,
        max_tokens=30,
        extra_body=vapi_call(call_id),
    )
    assert completion.object == "chat.completion"
    reply = completion.choices[0].message.content
    assert reply and reply.strip()
    assert completion.usage is not None and completion.usage.completion_tokens > 0
    turns = query_db(server, "SELECT reply_text FROM turns WHERE call_id = ?", (call_id,))
    assert [t["reply_text"] for t in turns] == [reply]


def test_turns_of_one_call_share_a_record(server: ServerThread):
    client = openai.OpenAI(base_url=server.base_url + "/vapi", api_key="unused")
    call_id = f"call-{uuid.uuid4()}"
    history = [{"role": "user", "content": "My heater stopped working."}]
    for follow_up in ("It is unit 12.", "Can someone come today?"):
        reply = (
            client.chat.completions.create(
                model="jamie",
                messages=history,
                max_tokens=20,
                stream=False,
                extra_body=vapi_call(call_id),
            )
            .choices[0]
            .message.content
        )
        history += [{"role": "assistant", "content": reply}, {"role": "user", "content": follow_up}]
    client.chat.completions.create(
        model="jamie", messages=history, max_tokens=20, stream=False, extra_body=vapi_call(call_id)
    )
    turns = query_db(
        server,
        "SELECT turn_index, user_text FROM turns WHERE call_id = ? ORDER BY turn_index",
        (call_id,),
    )
    assert [t["user_text"] for t in turns] == [
        "My heater stopped working.",
        "It is unit 12.",
        "Can someone come today?",
    ]
    assert [t["turn_index"] for t in turns] == [0, 1, 2]
    assert len(query_db(server, "SELECT id FROM calls WHERE id = ?", (call_id,))) == 1


def test_models_are_listed_in_openai_format(server: ServerThread):
    client = openai.OpenAI(base_url=server.base_url + "/vapi/v1", api_key="unused")
    names = [m.id for m in client.models.list()]
    assert names[:2] == ["default", "jamie"]
    assert "smollm2:135m" in names and "llama3.2:3b" in names


def test_health_reports_backend_model_and_database(server: ServerThread):
    health = httpx.get(server.base_url + "/health").json()
    assert health["status"] == "ok"
    assert health["backend"] == "embedded"
    assert health["default_model"] == "smollm2:135m"
    assert health["database"] == "ok"


def test_client_hanging_up_mid_reply_stops_generation_and_keeps_the_turn(server: ServerThread):
    call_id = f"call-{uuid.uuid4()}"
    body = {
        "model": "jamie",
        "stream": True,
        "max_tokens": 120,
        "call": {"id": call_id},
        "messages": [{"role": "user", "content": "Tell me everything about the lease."}],
    }
    with httpx.stream(
        "POST", server.base_url + "/vapi/chat/completions", json=body, timeout=60
    ) as response:
        lines = response.iter_lines()
        received = [next(lines) for _ in range(6)]  # role chunk, then a few tokens
    assert any('"content"' in line for line in received)
    backend = server.services.backend
    assert server.call(backend.wait_idle(within_s=5))  # type: ignore[attr-defined]
    turns = []
    for _ in range(50):
        turns = query_db(server, "SELECT * FROM turns WHERE call_id = ?", (call_id,))
        if turns:
            break
    assert len(turns) == 1
    assert turns[0]["interrupted"] == 1 and turns[0]["finish_reason"] == "interrupted"
    assert turns[0]["tokens"] < 120
