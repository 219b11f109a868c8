"""Production backend: an Ollama server (GPU pod) via `ollama.AsyncClient`, `/api/chat`."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx
import ollama

from core.llm.base import (
    BackendError,
    BackendUnavailable,
    ChatMessage,
    GenerationOptions,
    LoadedModel,
    ModelNotFound,
    ModelSpec,
    Token,
    ToolCall,
)
from core.logging import get_logger

log = get_logger(__name__)


def _keep_alive(value: str) -> str | int:
    """Ollama takes a duration string ("24h") or seconds; a negative number keeps it forever."""
    try:
        return int(value)
    except ValueError:
        return value


def ollama_options(options: GenerationOptions) -> dict[str, Any]:
    mapped: dict[str, Any] = dict(options.extra)
    if options.temperature is not None:
        mapped["temperature"] = options.temperature
    if options.top_p is not None:
        mapped["top_p"] = options.top_p
    if options.seed is not None:
        mapped["seed"] = options.seed
    if options.max_tokens is not None:
        mapped["num_predict"] = options.max_tokens
    if options.stop:
        mapped["stop"] = list(options.stop)
    return mapped


def ollama_message(message: ChatMessage) -> dict[str, Any]:
    """Ollama's message shape: tool calls as `{"function": {"name", "arguments": {...}}}`."""
    body: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        body["tool_calls"] = [
            {"function": {"name": call.name, "arguments": call.arguments}}
            for call in message.tool_calls
        ]
    if message.tool_name:
        body["tool_name"] = message.tool_name
    return body


def _tool_calls(calls: Sequence[ollama.Message.ToolCall] | None) -> list[ToolCall]:
    """Ollama gives no call ids; OpenAI clients need one to pair results with calls."""
    return [
        ToolCall(
            id=f"call_{uuid.uuid4().hex[:24]}",
            name=call.function.name,
            arguments=dict(call.function.arguments or {}),
        )
        for call in calls or ()
    ]


def normalize_ollama_host(host: str) -> str:
    """`OLLAMA_HOST` may be a bind address ("0.0.0.0", "0.0.0.0:11434"); turn it into a URL."""
    has_scheme = "://" in host
    parsed = httpx.URL(host if has_scheme else f"http://{host}")
    hostname = "127.0.0.1" if parsed.host in ("", "0.0.0.0") else parsed.host
    port = parsed.port or (None if has_scheme else 11434)
    return f"{parsed.scheme}://{hostname}" + (f":{port}" if port else "")


def _translate(exc: BaseException, model: str, host: str) -> BackendError:
    if isinstance(exc, ollama.ResponseError):
        if exc.status_code == 404:
            return ModelNotFound(f"Ollama has no model {model!r}: {exc.error}")
        return BackendError(f"Ollama error {exc.status_code}: {exc.error}")
    if isinstance(exc, httpx.TimeoutException):
        return BackendUnavailable(f"Ollama at {host} timed out")
    if isinstance(exc, (httpx.TransportError, ConnectionError)):
        return BackendUnavailable(f"Ollama is not reachable at {host}: {exc}")
    return BackendError(f"Ollama request failed: {exc}")


_FAILURES = (ollama.ResponseError, httpx.HTTPError, ConnectionError)


class OllamaBackend:
    name = "ollama"

    def __init__(self, host: str, *, keep_alive: str = "-1", max_connections: int = 512):
        self.host = normalize_ollama_host(host)
        self.keep_alive = _keep_alive(keep_alive)
        # One client for the process, its pool sized for concurrent calls (httpx defaults to 100).
        self._client = ollama.AsyncClient(
            host=self.host,
            timeout=httpx.Timeout(connect=3.0, read=None, write=10.0, pool=None),
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
        )

    async def stream(
        self, model: str, messages: list[ChatMessage], options: GenerationOptions
    ) -> AsyncIterator[Token]:
        parts = None
        try:
            parts = await self._client.chat(
                model=model,
                messages=[ollama_message(m) for m in messages],
                stream=True,
                keep_alive=self.keep_alive,
                options=ollama_options(options) or None,
                tools=options.tools or None,
            )
            async for part in parts:
                if part.done:
                    yield Token(
                        text=part.message.content or "",
                        tool_calls=_tool_calls(part.message.tool_calls),
                        done=True,
                        finish_reason=part.done_reason or "stop",
                        completion_tokens=part.eval_count,
                        prompt_tokens=part.prompt_eval_count,
                    )
                    return
                if part.message.content or part.message.tool_calls:
                    yield Token(
                        text=part.message.content or "",
                        tool_calls=_tool_calls(part.message.tool_calls),
                    )
        except _FAILURES as exc:
            raise _translate(exc, model, self.host) from exc
        finally:
            if parts is not None:  # closing the HTTP stream tells Ollama to stop generating
                await parts.aclose()  # type: ignore[attr-defined]  # an async generator
        # The server closed the stream without a `done` line: the reply is cut short.
        raise BackendUnavailable(f"Ollama at {self.host} ended the stream before it was done")

    async def preload(self, model: str) -> None:
        """An empty chat request loads the model and keeps it for `keep_alive`."""
        try:
            await self._client.chat(model=model, messages=[], keep_alive=self.keep_alive)
        except _FAILURES as exc:
            raise _translate(exc, model, self.host) from exc

    async def unload(self, model: str) -> None:
        try:
            await self._client.chat(model=model, messages=[], keep_alive=0)
        except _FAILURES as exc:
            raise _translate(exc, model, self.host) from exc

    async def create(self, spec: ModelSpec) -> None:
        try:
            await self._client.create(
                model=spec.name,
                from_=spec.base_model,
                system=spec.system,
                parameters=spec.parameters or None,
                messages=[ollama_message(m) for m in spec.messages] or None,
                template=spec.template,
            )
        except _FAILURES as exc:
            raise _translate(exc, spec.name, self.host) from exc

    async def delete(self, model: str) -> None:
        try:
            await self._client.delete(model)
        except _FAILURES as exc:
            raise _translate(exc, model, self.host) from exc

    async def list(self) -> builtins.list[str]:
        try:
            response = await self._client.list()
        except _FAILURES as exc:
            raise _translate(exc, "", self.host) from exc
        return sorted(m.model for m in response.models if m.model)

    async def loaded(self) -> builtins.list[LoadedModel]:
        try:
            response = await self._client.ps()
        except _FAILURES as exc:
            raise _translate(exc, "", self.host) from exc
        return [
            LoadedModel(
                name=m.model or m.name or "",
                size_bytes=m.size,
                expires_at=m.expires_at.isoformat() if m.expires_at else None,
            )
            for m in response.models
        ]

    async def close(self) -> None:
        await self._client._client.aclose()


async def ollama_answers(host: str, timeout_s: float = 1.0) -> bool:
    """Whether an Ollama server answers `/api/version` (used by PETE_BACKEND=auto)."""
    try:
        async with httpx.AsyncClient(timeout=timeout_s) as client:
            response = await client.get(f"{normalize_ollama_host(host)}/api/version")
            return response.status_code == 200
    except httpx.HTTPError:
        return False
