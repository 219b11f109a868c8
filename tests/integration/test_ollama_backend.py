"""The Ollama backend against a local server speaking Ollama's NDJSON wire format."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import httpx
import openai
import pytest

from core.llm.base import (
    BackendError,
    BackendUnavailable,
    ChatMessage,
    GenerationOptions,
    ModelNotFound,
    ModelSpec,
)
from core.llm.ollama_backend import OllamaBackend, normalize_ollama_host
from core.llm.selection import open_backend
from tests.conftest import make_settings, query_db
from tests.support.background_loop import BackgroundLoop
from tests.support.fake_ollama import FakeOllama, ScriptedModel
from voice.server import ServerThread

HELLO = [ChatMessage(role="user", content="Hello")]
TOKENS = ["Thanks", " for", " calling", ",", " I", " can", " help", "."]


@pytest.fixture
async def fake() -> AsyncIterator[FakeOllama]:
    server = await FakeOllama(models={"jamie-test": ScriptedModel(tokens=TOKENS)}).start()
    yield server
    await server.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def collect(backend: OllamaBackend, model: str, options=None) -> list:
    return [t async for t in backend.stream(model, HELLO, options or GenerationOptions())]


async def test_streams_tokens_and_sends_keep_alive_and_options(fake: FakeOllama):
    backend = OllamaBackend(fake.url, keep_alive="-1")
    tokens = await collect(
        backend, "jamie-test", GenerationOptions(temperature=0.2, max_tokens=50, stop=["User:"])
    )
    assert "".join(t.text for t in tokens) == "".join(TOKENS)
    assert tokens[-1].done and tokens[-1].finish_reason == "stop"
    assert tokens[-1].completion_tokens == len(TOKENS)
    body = fake.bodies("/api/chat")[-1]
    assert body["stream"] is True and body["keep_alive"] == -1
    assert body["options"] == {"temperature": 0.2, "num_predict": 50, "stop": ["User:"]}
    assert body["messages"] == [{"role": "user", "content": "Hello"}]
    await backend.close()


async def test_server_down_raises_backend_unavailable():
    backend = OllamaBackend(f"127.0.0.1:{free_port()}")
    with pytest.raises(BackendUnavailable, match="not reachable"):
        await collect(backend, "jamie-test")
    with pytest.raises(BackendUnavailable):
        await backend.preload("jamie-test")
    await backend.close()


async def test_unknown_model_raises_model_not_found(fake: FakeOllama):
    backend = OllamaBackend(fake.url)
    with pytest.raises(ModelNotFound, match="not found"):
        await collect(backend, "missing:1b")
    await backend.close()


async def test_disconnect_mid_stream_is_an_error_not_a_short_reply(fake: FakeOllama):
    fake.models["jamie-test"].disconnect_after = 3
    backend = OllamaBackend(fake.url)
    received = []
    with pytest.raises(BackendUnavailable):
        async for token in backend.stream("jamie-test", HELLO, GenerationOptions()):
            received.append(token.text)
    assert received == TOKENS[:3]
    await backend.close()


async def test_error_line_mid_stream_raises(fake: FakeOllama):
    fake.models["jamie-test"].error_after = 2
    backend = OllamaBackend(fake.url)
    with pytest.raises(BackendError, match="unexpectedly stopped"):
        await collect(backend, "jamie-test")
    await backend.close()


async def test_closing_the_stream_stops_the_server_side_generation(fake: FakeOllama):
    fake.models["jamie-test"].token_delay_s = 0.05
    backend = OllamaBackend(fake.url)
    stream = backend.stream("jamie-test", HELLO, GenerationOptions())
    first = await anext(stream)
    await stream.aclose()
    assert first.text == TOKENS[0]
    for _ in range(50):
        if fake.stopped_streams:
            break
        await asyncio.sleep(0.01)
    assert fake.stopped_streams == 1
    await backend.close()


async def test_preload_unload_create_list_delete_wire_bodies(fake: FakeOllama):
    backend = OllamaBackend(fake.url, keep_alive="24h")
    await backend.preload("jamie-test")
    assert [m.name for m in await backend.loaded()] == ["jamie-test"]
    await backend.unload("jamie-test")
    assert await backend.loaded() == []
    preload, unload = fake.bodies("/api/chat")[-2:]
    assert preload["messages"] == [] and preload["keep_alive"] == "24h"
    assert unload["keep_alive"] == 0 and unload["messages"] == []

    spec = ModelSpec(
        name="jamie:v0.1.0",
        base_model="smollm2:135m",
        system="You are Jamie.",
        parameters={"temperature": 0.3},
        messages=[
            ChatMessage(role="user", content="Hi"),
            ChatMessage(role="assistant", content="Hello, this is Jamie."),
        ],
    )
    await backend.create(spec)
    create = fake.bodies("/api/create")[-1]
    assert create["model"] == "jamie:v0.1.0" and create["from"] == "smollm2:135m"
    assert create["system"] == "You are Jamie." and create["parameters"] == {"temperature": 0.3}
    assert create["messages"][1] == {"role": "assistant", "content": "Hello, this is Jamie."}
    assert "modelfile" not in create
    assert "jamie:v0.1.0" in await backend.list()
    await backend.delete("jamie:v0.1.0")
    assert "jamie:v0.1.0" not in await backend.list()
    with pytest.raises(ModelNotFound):
        await backend.delete("jamie:v0.1.0")
    await backend.close()


def test_ollama_host_bind_addresses_become_urls():
    assert normalize_ollama_host("0.0.0.0") == "http://127.0.0.1:11434"
    assert normalize_ollama_host("0.0.0.0:11500") == "http://127.0.0.1:11500"
    assert normalize_ollama_host("https://gpu.example") == "https://gpu.example"
    assert normalize_ollama_host("http://10.1.2.3:11434") == "http://10.1.2.3:11434"


async def test_auto_picks_ollama_when_it_answers_else_embedded(
    fake: FakeOllama, tmp_path, monkeypatch
):
    chosen = await open_backend(make_settings(tmp_path, backend="auto", ollama_host=fake.url))
    assert chosen.name == "ollama"
    await chosen.close()
    import core.llm.selection as selection

    class Embedded:
        name = "embedded"

        def __init__(self, **_kwargs):
            pass

        async def start(self):
            pass

    monkeypatch.setattr(selection, "EmbeddedBackend", Embedded)
    down = make_settings(tmp_path, backend="auto", ollama_host=f"127.0.0.1:{free_port()}")
    assert (await open_backend(down)).name == "embedded"


def test_vapi_path_through_ollama_backend(tmp_path):
    """The whole server with the Ollama backend: tokens from the wire reach the openai client."""
    with BackgroundLoop() as background:
        fake = background.run(
            FakeOllama(models={"smollm2:135m": ScriptedModel(tokens=TOKENS)}).start()
        )
        settings = make_settings(tmp_path, backend="ollama", ollama_host=fake.url)
        server = ServerThread(settings).start()
        try:
            _chat_through_server(server)
        finally:
            server.stop()
            background.run(fake.stop())


def _chat_through_server(server: ServerThread) -> None:
    client = openai.OpenAI(base_url=server.base_url + "/vapi", api_key="x")
    stream = client.chat.completions.create(
        model="jamie",
        messages=[{"role": "user", "content": "Hi"}],
        stream=True,
        extra_body={"call": {"id": "ollama-call"}},
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == "Thanks for calling, I can help."
    turn = query_db(server, "SELECT * FROM turns WHERE call_id = 'ollama-call'")[0]
    assert turn["backend"] == "ollama" and turn["reply_text"] == text
    assert turn["tokens"] == len(TOKENS)
    missing = httpx.post(
        server.base_url + "/vapi/chat/completions",
        json={"model": "llama3.2:3b", "messages": [{"role": "user", "content": "Hi"}]},
    )
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "model_not_found"


def test_server_answers_503_when_ollama_is_down(tmp_path):
    settings = make_settings(tmp_path, backend="ollama", ollama_host=f"127.0.0.1:{free_port()}")
    server = ServerThread(settings).start()
    try:
        response = httpx.post(
            server.base_url + "/vapi/chat/completions",
            json={"messages": [{"role": "user", "content": "Hi"}], "call": {"id": "down-call"}},
        )
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "backend_unavailable"
        turn = query_db(server, "SELECT * FROM turns WHERE call_id = 'down-call'")[0]
        assert turn["error"].startswith("backend_unavailable") and turn["reply_text"] == ""
        health = httpx.get(server.base_url + "/health")
        assert health.status_code == 503 and health.json()["backend_ok"] is False
    finally:
        server.stop()
