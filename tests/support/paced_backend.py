"""An LLMBackend that writes scripted tokens at a fixed pace and keeps a timeline of each
stream: when it started, when its first token left, when it stopped and whether it was cut
short. For barge-in, deadline and failure tests and for the relay benchmark, where *when*
the backend stopped matters (the embedded model's timing is not controllable).

The pace is picked by the first `Pace.keyword` found in the utterance, else the default.
"""

from __future__ import annotations

import asyncio
import builtins
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from core.llm.base import (
    BackendError,
    ChatMessage,
    GenerationOptions,
    LoadedModel,
    ModelSpec,
    Token,
)


@dataclass(frozen=True)
class Pace:
    tokens: tuple[str, ...]
    first_token_delay_s: float = 0.0
    token_interval_s: float = 0.0
    keyword: str | None = None
    fail_before_first: BackendError | None = None
    fail_after_tokens: int | None = None  # raise BackendError once this many tokens went out
    # The first token waits until a test sets this (from any thread): exact, not timed.
    gate: threading.Event | None = None


@dataclass
class StreamRecord:
    utterance: str
    messages: list[ChatMessage]
    started_ns: int
    first_token_ns: int | None = None
    ended_ns: int | None = None
    tokens: int = 0
    stopped_early: bool = False


@dataclass
class PacedBackend:
    default: Pace
    paces: list[Pace] = field(default_factory=list)
    name: str = "paced"
    streams: list[StreamRecord] = field(default_factory=list)

    def pace_for(self, utterance: str) -> Pace:
        for pace in self.paces:
            if pace.keyword and pace.keyword in utterance:
                return pace
        return self.default

    async def stream(
        self, model: str, messages: list[ChatMessage], options: GenerationOptions
    ) -> AsyncIterator[Token]:
        utterance = next((m.content for m in reversed(messages) if m.role == "user"), "")
        record = StreamRecord(utterance, list(messages), time.perf_counter_ns())
        self.streams.append(record)
        pace = self.pace_for(utterance)
        finished = False
        try:
            if pace.first_token_delay_s:
                await asyncio.sleep(pace.first_token_delay_s)
            while pace.gate is not None and not pace.gate.is_set():  # noqa: ASYNC110 (set from another thread)
                await asyncio.sleep(0.002)
            if pace.fail_before_first is not None:
                raise pace.fail_before_first
            for index, text in enumerate(pace.tokens):
                if index and pace.token_interval_s:
                    await asyncio.sleep(pace.token_interval_s)
                if pace.fail_after_tokens is not None and index == pace.fail_after_tokens:
                    raise BackendError("the backend dropped the stream")
                if record.first_token_ns is None:
                    record.first_token_ns = time.perf_counter_ns()
                record.tokens += 1
                yield Token(text=text)
            finished = True
            yield Token(done=True, finish_reason="stop", completion_tokens=len(pace.tokens))
        finally:
            record.ended_ns = time.perf_counter_ns()
            record.stopped_early = not finished

    def streams_for(self, utterance_part: str) -> list[StreamRecord]:
        return [s for s in self.streams if utterance_part in s.utterance]

    async def preload(self, model: str) -> None:
        return None

    async def unload(self, model: str) -> None:
        return None

    async def create(self, spec: ModelSpec) -> None:
        return None

    async def delete(self, model: str) -> None:
        return None

    async def list(self) -> builtins.list[str]:
        return []

    async def loaded(self) -> builtins.list[LoadedModel]:
        return []

    async def close(self) -> None:
        return None


def word_tokens(text: str) -> tuple[str, ...]:
    """Text as a model streams it: words with their leading spaces."""
    parts = text.split(" ")
    return (parts[0], *(" " + part for part in parts[1:]))
