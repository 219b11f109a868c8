"""`POST /vapi/webhook` against the real server: every message type, the assistant handed to
VAPI, the end-of-call report on the same call record as the LLM turns, bad and big bodies."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator

import httpx
import openai
import pytest

from core.llm.embedded import EmbeddedBackend
from tests.conftest import make_settings, query_db
from tests.support import vapi_payloads as vapi
from voice.server import ServerThread

SECRET = "whsec-test-7f3a"
AUTH = {"X-Vapi-Secret": SECRET}
WEBHOOK_LIMIT = 1024 * 1024
PUBLIC_URL = "https://jamie.example.test"


@pytest.fixture(scope="module")
def hooked(tmp_path_factory, embedded_backend: EmbeddedBackend) -> Iterator[ServerThread]:
    settings = make_settings(
        tmp_path_factory.mktemp("webhook"),
        vapi_webhook_secret=SECRET,
        vapi_webhook_max_body_bytes=WEBHOOK_LIMIT,
        public_url=PUBLIC_URL + "/",
    )
    thread = ServerThread(settings, backend=embedded_backend).start()
    yield thread
    thread.stop()


def post(server: ServerThread, body: dict | bytes, headers: dict | None = None) -> httpx.Response:
    headers = {**AUTH, **(headers or {})}
    if isinstance(body, bytes):
        headers.setdefault("Content-Type", "application/json")
        return httpx.post(server.base_url + "/vapi/webhook", content=body, headers=headers)
    return httpx.post(server.base_url + "/vapi/webhook", json=body, headers=headers)


def events_for(server: ServerThread, call_id: str) -> list[dict]:
    return query_db(
        server, "SELECT kind, source, payload FROM events WHERE call_id = ? ORDER BY id", (call_id,)
    )


def bad_requests(server: ServerThread) -> list[dict]:
    return query_db(
        server,
        "SELECT payload FROM events WHERE source = 'vapi_webhook' AND kind = 'bad_request' "
        "ORDER BY id",
    )


def test_assistant_request_gets_jamie_on_this_servers_custom_llm(hooked: ServerThread):
    call_id = vapi.new_call_id()
    response = post(hooked, vapi.assistant_request(call_id))
    assert response.status_code == 200
    assistant = response.json()["assistant"]
    persona = hooked.services.persona
    with (hooked.settings.config_dir / "vapi_assistant.toml").open("rb") as handle:
        config = tomllib.load(handle)

    assert assistant["firstMessage"] == persona.greeting
    model = assistant["model"]
    assert model["provider"] == "custom-llm"
    assert model["url"] == PUBLIC_URL + "/vapi"  # the trailing slash of PETE_PUBLIC_URL is dropped
    assert model["metadataSendMode"] == "variable"  # so LLM requests carry `call.id`
    served = [
        m.id for m in openai.OpenAI(base_url=hooked.base_url + "/vapi", api_key="x").models.list()
    ]
    assert model["model"] in served
    assert assistant["voice"] == config["voice"]
    assert assistant["transcriber"] == config["transcriber"]
    assert {"end-of-call-report", "tool-calls", "status-update"} <= set(assistant["serverMessages"])
    assert assistant["server"] == {
        "url": PUBLIC_URL + "/vapi/webhook",
        "headers": {"X-Vapi-Secret": SECRET},
    }
    tools = {tool["function"]["name"]: tool for tool in model["tools"]}
    assert set(tools) == {
        "create_work_order",
        "work_order_status",
        "lookup_tenant",
        "transfer_to_human",
        "end_call",
    }
    assert tools["create_work_order"]["type"] == "function"
    assert tools["create_work_order"]["server"]["url"] == PUBLIC_URL + "/vapi/webhook"
    assert tools["create_work_order"]["function"]["parameters"]["required"] == [
        "unit",
        "category",
        "description",
    ]
    assert tools["end_call"]["type"] == "endCall"
    assert tools["transfer_to_human"]["type"] == "transferCall"

    stored = events_for(hooked, call_id)
    assert [e["kind"] for e in stored] == ["assistant-request"]
    assert json.loads(stored[0]["payload"]) == vapi.assistant_request(call_id)


@pytest.mark.parametrize("kind", list(vapi.informational_messages("x")))
def test_informational_message_is_kept_raw_and_acknowledged(hooked: ServerThread, kind: str):
    call_id = vapi.new_call_id()
    body = vapi.informational_messages(call_id)[kind]
    response = post(hooked, body)
    assert response.status_code == 200
    assert response.json() == {}
    stored = events_for(hooked, call_id)
    assert len(stored) == 1
    assert stored[0]["kind"] == kind and stored[0]["source"] == "vapi_webhook"
    assert json.loads(stored[0]["payload"]) == body
    if kind == "status-update":  # not ended: the call stays open
        calls = query_db(hooked, "SELECT status FROM calls WHERE id = ?", (call_id,))
        assert all(c["status"] != "ended" for c in calls)


def test_events_and_llm_turns_join_on_one_call_record(hooked: ServerThread):
    call_id = vapi.new_call_id()
    client = openai.OpenAI(base_url=hooked.base_url + "/vapi", api_key="x")
    llm_call = vapi.call_object(call_id)
    reply = client.chat.completions.create(
        model="jamie",
        messages=[{"role": "user", "content": "My kitchen sink is leaking."}],
        max_tokens=12,
        stream=False,
        extra_body={"call": llm_call, "customer": llm_call["customer"]},
    )
    assert reply.choices[0].message.content is not None
    assert call_id in hooked.services.engine.history

    for body in (
        vapi.status_update(call_id, "in-progress"),
        vapi.informational_messages(call_id)["transcript"],
        vapi.status_update(call_id, "ended", "customer-ended-call"),
        vapi.end_of_call_report(call_id),
    ):
        assert post(hooked, body).status_code == 200

    calls = query_db(hooked, "SELECT * FROM calls WHERE id = ?", (call_id,))
    assert len(calls) == 1
    call = calls[0]
    report = vapi.end_of_call_report(call_id)["message"]
    assert call["channel"] == "vapi"
    assert call["status"] == "ended"
    assert call["ended_reason"] == "customer-ended-call"
    assert call["transcript"] == report["artifact"]["transcript"]
    assert call["summary"] == report["analysis"]["summary"]
    assert call["recording_url"] == report["artifact"]["recordingUrl"]
    assert call["cost"] == pytest.approx(0.0731)
    assert call["ended_at"] == "2026-11-26T10:01:04.000Z"
    assert call["provider_call_id"] == llm_call["phoneCallProviderId"]
    assert call["from_number"] == vapi.TENANT_PHONE

    turns = query_db(hooked, "SELECT user_text FROM turns WHERE call_id = ?", (call_id,))
    assert [t["user_text"] for t in turns] == ["My kitchen sink is leaking."]
    kinds = [e["kind"] for e in events_for(hooked, call_id)]
    assert kinds == ["status-update", "transcript", "status-update", "end-of-call-report"]
    assert call_id not in hooked.services.engine.history  # an ended call's memory is freed


def test_end_of_call_report_for_a_call_with_no_turns_creates_its_record(hooked: ServerThread):
    call_id = vapi.new_call_id()
    assert post(hooked, vapi.end_of_call_report(call_id)).status_code == 200
    call = query_db(hooked, "SELECT * FROM calls WHERE id = ?", (call_id,))[0]
    assert call["status"] == "ended" and call["channel"] == "vapi"
    assert call["started_at"] == "2026-11-26T10:00:02.000Z"
    assert call["to_number"] == vapi.PROPERTY_LINE
    assert call["recording_url"].endswith(f"{call_id}-mono.wav")


def test_status_ended_alone_closes_the_call(hooked: ServerThread):
    call_id = vapi.new_call_id()
    post(hooked, vapi.status_update(call_id, "ringing"))
    assert (
        post(hooked, vapi.status_update(call_id, "ended", "silence-timed-out")).status_code == 200
    )
    [call] = query_db(hooked, "SELECT * FROM calls WHERE id = ?", (call_id,))
    assert call["status"] == "ended" and call["ended_reason"] == "silence-timed-out"
    assert call["ended_at"] and call["transcript"] is None


def test_report_larger_than_the_api_body_limit_is_accepted(hooked: ServerThread):
    """End-of-call reports carry whole transcripts: the webhook has its own, larger limit."""
    call_id = vapi.new_call_id()
    transcript = "User: the sink drips. AI: noted.\n" * 12_000  # ~400 KB
    assert len(transcript) > hooked.settings.max_body_bytes
    assert post(hooked, vapi.end_of_call_report(call_id, transcript)).status_code == 200
    stored = query_db(hooked, "SELECT transcript FROM calls WHERE id = ?", (call_id,))
    assert stored[0]["transcript"] == transcript


def test_transfer_destination_request(hooked: ServerThread):
    call_id = vapi.new_call_id()
    body = vapi.message("transfer-destination-request", call_id)
    unavailable = post(hooked, body).json()
    assert "destination" not in unavailable and unavailable["error"]

    hooked.services.settings.transfer_number = "+15035550150"
    try:
        answer = post(hooked, body).json()
    finally:
        hooked.services.settings.transfer_number = None
    assert answer["destination"]["type"] == "number"
    assert answer["destination"]["number"] == "+15035550150"
    assert answer["message"]["type"] == "request-start"
    assert [e["kind"] for e in events_for(hooked, call_id)] == ["transfer-destination-request"] * 2


MALFORMED = [
    ("invalid json", b'{"message": {"type": "status-update"', "invalid_json"),
    ("not json at all", b"\xff\xfe not utf-8", "invalid_json"),
    ("no message", b'{"type": "status-update"}', "invalid_message"),
    ("message not an object", b'{"message": "status-update"}', "invalid_message"),
    ("no type", b'{"message": {"call": {"id": "c"}}}', "invalid_message"),
    ("empty type", b'{"message": {"type": ""}}', "invalid_message"),
    ("body is a list", b'[{"message": {"type": "hang"}}]', "invalid_message"),
    (
        "tool list not a list",
        b'{"message": {"type": "tool-calls", "toolCallList": "create_work_order"}}',
        "invalid_message",
    ),
    (
        "cost not a number",
        b'{"message": {"type": "end-of-call-report", "call": {"id": "c"}, "cost": "cheap"}}',
        "invalid_message",
    ),
    ("function call without body", b'{"message": {"type": "function-call"}}', "invalid_message"),
]


@pytest.mark.parametrize(("case", "body", "code"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_body_is_400_json_and_kept(hooked: ServerThread, case, body: bytes, code: str):
    before = len(bad_requests(hooked))
    response = post(hooked, body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    stored = bad_requests(hooked)
    assert len(stored) == before + 1
    payload = json.loads(stored[-1]["payload"])
    assert payload["status"] == 400 and payload["code"] == code
    assert payload["body"] == body.decode("utf-8", "replace")
    assert httpx.get(hooked.base_url + "/health").status_code == 200


def test_empty_tool_call_list_is_400(hooked: ServerThread):
    call_id = vapi.new_call_id()
    response = post(hooked, vapi.tool_calls(call_id, []))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "no_tool_calls"
    assert [e["kind"] for e in events_for(hooked, call_id)] == ["tool-calls"]


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_oversized_body_is_413_and_kept(hooked: ServerThread, chunked: bool):
    before = len(bad_requests(hooked))
    body = json.dumps({"message": {"type": "transcript", "transcript": "x" * WEBHOOK_LIMIT}})
    data = body.encode()
    content = (data[i : i + 65536] for i in range(0, len(data), 65536)) if chunked else data
    response = httpx.post(
        hooked.base_url + "/vapi/webhook",
        content=content,
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"
    stored = bad_requests(hooked)
    assert len(stored) == before + 1
    payload = json.loads(stored[-1]["payload"])
    assert payload["code"] == "request_too_large" and payload["body_bytes"] > WEBHOOK_LIMIT
    assert post(hooked, vapi.message("hang", vapi.new_call_id())).status_code == 200
