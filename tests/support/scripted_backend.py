"""An LLMBackend whose replies are scripted: fixed tokens, set delays, errors on cue.

For tests where the reply's exact text or timing matters (the embedded model's own words are
not predictable enough to assert on). It speaks the same protocol as the real backends.
"""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from core.llm.base import (
    BackendError,
    ChatMessage,
    GenerationOptions,
    LoadedModel,
    ModelNotFound,
    ModelSpec,
    Token,
)


@dataclass
class ScriptedBackend:
    """A reply is a list of tokens: the one `by_utterance` names for the last user message,
    else the next of `replies` (the last one repeats)."""

    replies: list[list[str]]
    by_utterance: dict[str, list[str]] = field(default_factory=dict)
    first_token_delay_s: float = 0.0
    token_delay_s: float = 0.0
    fail_with: BackendError | None = None
    name: str = "scripted"
    models: set[str] = field(default_factory=lambda: {"smollm2:135m", "llama3.2:3b"})
    calls: list[list[ChatMessage]] = field(default_factory=list)
    stopped_early: int = 0
    _served: int = 0

    async def stream(
        self, model: str, messages: list[ChatMessage], options: GenerationOptions
    ) -> AsyncIterator[Token]:
        if model not in self.models:
            raise ModelNotFound(model)
        self.calls.append(messages)
        utterance = next((m.content for m in reversed(messages) if m.role == "user"), "")
        if utterance in self.by_utterance:
            reply = self.by_utterance[utterance]
        else:
            self._served += 1
            reply = self.replies[min(self._served - 1, len(self.replies) - 1)]
        if self.fail_with is not None:
            raise self.fail_with
        finished = False
        try:
            await asyncio.sleep(self.first_token_delay_s)
            for token in reply:
                yield Token(text=token)
                await asyncio.sleep(self.token_delay_s)
            finished = True
            yield Token(done=True, finish_reason="stop", completion_tokens=len(reply))
        finally:
            if not finished:
                self.stopped_early += 1

    async def preload(self, model: str) -> None:
        return None

    async def unload(self, model: str) -> None:
        return None

    async def create(self, spec: ModelSpec) -> None:
        self.models.add(spec.name)

    async def delete(self, model: str) -> None:
        self.models.discard(model)

    async def list(self) -> builtins.list[str]:
        return sorted(self.models)

    async def loaded(self) -> builtins.list[LoadedModel]:
        return [LoadedModel(name=m) for m in sorted(self.models)]

    async def close(self) -> None:
        return None


def words(text: str) -> list[str]:
    """Split text into word tokens the way a model streams them (leading spaces kept)."""
    parts = text.split(" ")
    return [parts[0]] + [" " + p for p in parts[1:]]
