"""The one protocol every LLM backend speaks, and the types that cross it."""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["system", "user", "assistant", "tool"]


class ToolCall(BaseModel):
    """A tool the model asked for; `arguments` is an object (Ollama's form, not OpenAI's string)."""

    id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class ChatMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: Role
    content: str
    tool_calls: list[ToolCall] | None = None  # an assistant message that called tools
    tool_name: str | None = None  # a `tool` message: which tool this is the result of


class GenerationOptions(BaseModel):
    """Sampling options; `None` means the model's own default."""

    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    stop: list[str] = Field(default_factory=list)
    seed: int | None = None
    extra: dict[str, Any] = Field(default_factory=dict)
    tools: list[dict[str, Any]] | None = None  # OpenAI `tools` format; backends may ignore them


class Token(BaseModel):
    """One piece of streamed text; the last one carries `done` and the backend's counts."""

    text: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    done: bool = False
    finish_reason: str | None = None
    completion_tokens: int | None = None
    prompt_tokens: int | None = None


class ModelSpec(BaseModel):
    """What a model version is made of; the same spec creates it on every backend."""

    name: str
    base_model: str
    system: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    messages: list[ChatMessage] = Field(default_factory=list)
    template: str | None = None


class LoadedModel(BaseModel):
    name: str
    size_bytes: int | None = None
    expires_at: str | None = None


class BackendError(Exception):
    """A backend failed to answer; `code` is machine readable."""

    code = "backend_error"


class BackendUnavailable(BackendError):
    code = "backend_unavailable"


class ModelNotFound(BackendError):
    code = "model_not_found"


@runtime_checkable
class LLMBackend(Protocol):
    name: str

    def stream(
        self, model: str, messages: list[ChatMessage], options: GenerationOptions
    ) -> AsyncIterator[Token]:
        """Tokens as the model writes them. Closing the iterator stops generation."""
        ...

    async def preload(self, model: str) -> None: ...

    async def unload(self, model: str) -> None: ...

    async def create(self, spec: ModelSpec) -> None: ...

    async def delete(self, model: str) -> None: ...

    async def list(self) -> builtins.list[str]: ...

    async def loaded(self) -> builtins.list[LoadedModel]: ...

    async def close(self) -> None: ...
