"""The model's own tool calls on VAPI's custom-LLM path: the request's `tools` reach Ollama (the
local server speaking its wire format), a scripted tool call comes back as OpenAI
`delta.tool_calls` that the `openai` client parses, VAPI's follow-up request with the tool's
result reaches the model, and the webhook runs the same call on the same call record."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import openai
import pytest

from tests.conftest import make_settings, query_db
from tests.support import vapi_payloads as vapi
from tests.support.background_loop import BackgroundLoop
from tests.support.fake_ollama import FakeOllama, ScriptedModel
from voice.server import ServerThread

MODEL = "smollm2:135m"  # the default model of config/model_settings.json
SECRET = "stream-secret-55aa"
ARGUMENTS = {
    "unit": "2B",
    "category": "plumbing",
    "description": "kitchen sink leaking under the cabinet",
    "urgency": "urgent",
}
OLLAMA_TOOL_CALL = {"function": {"name": "create_work_order", "arguments": ARGUMENTS}}
TENANT = "My kitchen sink is leaking, I'm in 2B."


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[tuple[ServerThread, FakeOllama, list[dict]]]:
    with BackgroundLoop() as background:
        script = ScriptedModel(tokens=["Let", " me", " put", " that", " in."])
        fake = background.run(FakeOllama(models={MODEL: script}).start())
        settings = make_settings(
            tmp_path_factory.mktemp("tool-stream"),
            backend="ollama",
            ollama_host=fake.url,
            vapi_webhook_secret=SECRET,
        )
        server = ServerThread(settings).start()
        assistant = httpx.post(
            server.base_url + "/vapi/webhook",
            json=vapi.assistant_request(vapi.new_call_id()),
            headers={"X-Vapi-Secret": SECRET},
        ).json()["assistant"]
        # What VAPI sends the custom LLM: the assistant's tools in OpenAI's format.
        tools = [
            {"type": "function", "function": t["function"]} for t in assistant["model"]["tools"]
        ]
        try:
            yield server, fake, tools
        finally:
            server.stop()
            background.run(fake.stop())


@pytest.fixture
def scripted(stack):
    server, fake, tools = stack
    fake.models[MODEL].tool_calls = [OLLAMA_TOOL_CALL]
    yield server, fake, tools
    fake.models[MODEL].tool_calls = []


def client(server: ServerThread) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url + "/vapi", api_key="unused")


def test_streamed_tool_call_is_parsed_by_the_openai_client(scripted):
    server, fake, tools = scripted
    call_id = vapi.new_call_id()
    stream = client(server).chat.completions.create(
        model="jamie",
        messages=[{"role": "user", "content": TENANT}],
        tools=tools,
        stream=True,
        extra_body={"call": vapi.call_object(call_id)},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == "Let me put that in."
    calls = [tc for c in chunks for tc in (c.choices[0].delta.tool_calls or [])]
    assert len(calls) == 1
    call = calls[0]
    assert call.index == 0 and call.type == "function" and call.id.startswith("call_")
    assert call.function.name == "create_work_order"
    assert isinstance(call.function.arguments, str)
    assert json.loads(call.function.arguments) == ARGUMENTS
    assert chunks[-1].choices[0].finish_reason == "tool_calls"

    sent = fake.bodies("/api/chat")[-1]
    assert [t["function"]["name"] for t in sent["tools"]] == [t["function"]["name"] for t in tools]
    assert sent["tools"][0]["function"]["parameters"]["required"] == [
        "unit",
        "category",
        "description",
    ]
    [turn] = query_db(server, "SELECT * FROM turns WHERE call_id = ?", (call_id,))
    assert turn["finish_reason"] == "tool_calls" and turn["reply_text"] == text
    [event] = query_db(
        server,
        "SELECT payload FROM events WHERE kind = 'model_tool_calls' AND call_id = ?",
        (call_id,),
    )
    recorded = json.loads(event["payload"])
    assert recorded["turn_uid"] and recorded["tool_calls"][0]["arguments"] == ARGUMENTS


def test_tool_call_in_a_non_streamed_completion(scripted):
    server, _fake, tools = scripted
    completion = client(server).chat.completions.create(
        model="jamie", messages=[{"role": "user", "content": TENANT}], tools=tools, stream=False
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    [call] = choice.message.tool_calls or []
    assert call.function.name == "create_work_order"
    assert json.loads(call.function.arguments) == ARGUMENTS


def test_the_model_call_runs_through_the_webhook_onto_the_same_call(scripted):
    """VAPI's loop: the model asks for a tool, VAPI posts `tool-calls`, the result goes back to
    the model in the next request, which the model turns into words."""
    server, fake, tools = scripted
    call_id = vapi.new_call_id()
    extra = {"call": vapi.call_object(call_id), "customer": {"number": vapi.TENANT_PHONE}}
    chunks = list(
        client(server).chat.completions.create(
            model="jamie",
            messages=[{"role": "user", "content": TENANT}],
            tools=tools,
            stream=True,
            extra_body=extra,
        )
    )
    [call] = [tc for c in chunks for tc in (c.choices[0].delta.tool_calls or [])]

    webhook = httpx.post(
        server.base_url + "/vapi/webhook",
        json=vapi.tool_calls(
            call_id,
            [vapi.function_shape(call.id, call.function.name, call.function.arguments)],
        ),
        headers={"X-Vapi-Secret": SECRET},
    )
    [result] = webhook.json()["results"]
    assert result["toolCallId"] == call.id and "ticket number is" in result["result"]
    [order] = query_db(server, "SELECT * FROM work_orders WHERE call_id = ?", (call_id,))
    assert order["unit"] == "2B" and order["category"] == "plumbing"

    fake.models[MODEL].tool_calls = []
    follow_up = [
        {"role": "user", "content": TENANT},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.function.name, "arguments": call.function.arguments},
                }
            ],
        },
        {"role": "tool", "tool_call_id": call.id, "content": result["result"]},
    ]
    reply = client(server).chat.completions.create(
        model="jamie", messages=follow_up, tools=tools, stream=False, extra_body=extra
    )
    assert reply.choices[0].finish_reason == "stop"
    assert reply.choices[0].message.content == "Let me put that in."
    sent = fake.bodies("/api/chat")[-1]["messages"]
    assert sent[-3] == {"role": "user", "content": TENANT}
    assert sent[-2]["tool_calls"] == [OLLAMA_TOOL_CALL]  # arguments as an object for Ollama
    assert sent[-1] == {
        "role": "tool",
        "content": result["result"],
        "tool_name": "create_work_order",
    }

    turns = query_db(
        server, "SELECT finish_reason FROM turns WHERE call_id = ? ORDER BY id", (call_id,)
    )
    assert [t["finish_reason"] for t in turns] == ["tool_calls", "stop"]


def test_request_without_tools_offers_ollama_none(stack):
    server, fake, _tools = stack
    reply = client(server).chat.completions.create(
        model="jamie", messages=[{"role": "user", "content": "Hi"}], stream=False
    )
    assert reply.choices[0].message.tool_calls is None
    assert reply.choices[0].finish_reason == "stop"
    assert not fake.bodies("/api/chat")[-1].get("tools")  # the ollama client sends []


def test_malformed_tools_are_a_400(stack):
    server, _fake, _tools = stack
    response = httpx.post(
        server.base_url + "/vapi/chat/completions",
        json={"messages": [{"role": "user", "content": "Hi"}], "tools": [{"type": "function"}]},
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"].startswith("tools")
