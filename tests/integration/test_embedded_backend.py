"""The embedded model: one worker owns it; a stream cancelled mid-way leaves the next one clean."""

from __future__ import annotations

import asyncio

import pytest

from core.llm.base import BackendError, ChatMessage, GenerationOptions, ModelNotFound, ModelSpec
from core.llm.embedded import EmbeddedBackend

MODEL = "embedded-test"
STORY = [ChatMessage(role="user", content="Tell me a long story about a leaky roof.")]


@pytest.fixture
async def backend(embedded_backend: EmbeddedBackend) -> EmbeddedBackend:
    await embedded_backend.create(
        ModelSpec(
            name=MODEL,
            base_model="smollm2:135m",
            system="You are Jamie.",
            parameters={"temperature": 0.0, "seed": 7},
        )
    )
    return embedded_backend


async def test_cancel_mid_stream_then_next_stream_is_clean(backend: EmbeddedBackend):
    stream = backend.stream(MODEL, STORY, GenerationOptions(max_tokens=200))
    first = [await anext(stream) for _ in range(3)]
    assert all(t.text for t in first)
    await stream.aclose()
    assert await backend.wait_idle(within_s=5), "the worker must stop producing after a cancel"

    tokens = [t async for t in backend.stream(MODEL, STORY, GenerationOptions(max_tokens=8))]
    assert tokens[-1].done and tokens[-1].finish_reason == "length"
    assert 1 <= len([t for t in tokens if t.text]) <= 8


async def test_concurrent_streams_are_serialized_not_crashed(backend: EmbeddedBackend):
    async def run(question: str) -> str:
        messages = [ChatMessage(role="user", content=question)]
        return "".join(
            [
                t.text
                async for t in backend.stream(MODEL, messages, GenerationOptions(max_tokens=12))
            ]
        )

    replies = await asyncio.gather(
        *(run(q) for q in ("When is rent due?", "Is parking free?", "Who fixes locks?"))
    )
    assert all(reply.strip() for reply in replies)


async def test_same_seed_same_reply(backend: EmbeddedBackend):
    options = GenerationOptions(max_tokens=10, temperature=0.0)
    first = "".join([t.text async for t in backend.stream(MODEL, STORY, options)])
    second = "".join([t.text async for t in backend.stream(MODEL, STORY, options)])
    assert first == second and first


async def test_unknown_model_and_foreign_base(backend: EmbeddedBackend):
    with pytest.raises(ModelNotFound):
        await anext(backend.stream("nope", STORY, GenerationOptions()))
    with pytest.raises(BackendError, match="needs Ollama"):
        await backend.create(ModelSpec(name="big", base_model="llama3.2:3b"))
    assert MODEL in await backend.list()
