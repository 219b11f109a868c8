"""The Ollama backend with tools: the definitions go out in the request, a tool call comes back
in Ollama's wire format (arguments as an object) and becomes a `Token.tool_calls` entry."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from core.llm.base import ChatMessage, GenerationOptions, ToolCall
from core.llm.ollama_backend import OllamaBackend
from tests.support.fake_ollama import FakeOllama, ScriptedModel

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "work_order_status",
            "description": "Look up a work order",
            "parameters": {
                "type": "object",
                "properties": {"ticket": {"type": "string", "description": "six digits"}},
                "required": ["ticket"],
            },
        },
    }
]


@pytest.fixture
async def fake() -> AsyncIterator[FakeOllama]:
    script = ScriptedModel(
        tokens=["Checking", "."],
        tool_calls=[{"function": {"name": "work_order_status", "arguments": {"ticket": "482193"}}}],
    )
    server = await FakeOllama(models={"m": script}).start()
    yield server
    await server.stop()


async def test_tools_go_out_and_tool_calls_come_back(fake: FakeOllama):
    backend = OllamaBackend(fake.url)
    messages = [ChatMessage(role="user", content="Where is my repair?")]
    tokens = [t async for t in backend.stream("m", messages, GenerationOptions(tools=TOOLS))]
    await backend.close()
    assert "".join(t.text for t in tokens) == "Checking."
    calls = [call for t in tokens for call in t.tool_calls]
    assert [(c.name, c.arguments) for c in calls] == [("work_order_status", {"ticket": "482193"})]
    assert calls[0].id.startswith("call_")
    assert tokens[-1].done
    sent = fake.bodies("/api/chat")[-1]
    assert sent["tools"][0]["function"]["name"] == "work_order_status"
    assert sent["tools"][0]["function"]["parameters"]["required"] == ["ticket"]


async def test_a_tool_exchange_goes_out_in_ollamas_message_shape(fake: FakeOllama):
    backend = OllamaBackend(fake.url)
    call = ToolCall(id="call_1", name="work_order_status", arguments={"ticket": "482193"})
    messages = [
        ChatMessage(role="user", content="Where is my repair?"),
        ChatMessage(role="assistant", content="", tool_calls=[call]),
        ChatMessage(role="tool", content="It is open.", tool_name="work_order_status"),
    ]
    [_ async for _ in backend.stream("m", messages, GenerationOptions())]
    await backend.close()
    sent = fake.bodies("/api/chat")[-1]["messages"]
    assert sent[1]["tool_calls"] == [
        {"function": {"name": "work_order_status", "arguments": {"ticket": "482193"}}}
    ]
    assert sent[2] == {"role": "tool", "content": "It is open.", "tool_name": "work_order_status"}
