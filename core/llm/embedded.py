"""In-process GGUF model through llama-cpp-python.

`llama_cpp.Llama` crashes when two threads use one instance, so a single worker thread owns the
model and runs one stream at a time; tokens reach the event loop through an asyncio queue, and a
stream is cancelled by closing its async iterator (the worker checks between tokens).
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import queue
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.llm.base import (
    BackendError,
    ChatMessage,
    GenerationOptions,
    LoadedModel,
    ModelNotFound,
    ModelSpec,
    Token,
)
from core.llm.embedded_weights import SMOLLM2_BASE_MODEL, bundled_gguf_path
from core.logging import get_logger

log = get_logger(__name__)

# Ollama-style Modelfile parameter names -> llama-cpp-python keyword arguments.
_PARAMETER_NAMES = {
    "temperature": "temperature",
    "top_p": "top_p",
    "top_k": "top_k",
    "min_p": "min_p",
    "repeat_penalty": "repeat_penalty",
    "seed": "seed",
    "num_predict": "max_tokens",
    "max_tokens": "max_tokens",
    "stop": "stop",
}


@dataclass
class _StreamJob:
    messages: list[dict[str, str]]
    params: dict[str, Any]
    loop: asyncio.AbstractEventLoop
    out: asyncio.Queue[Token | BaseException] = field(default_factory=asyncio.Queue)
    cancelled: threading.Event = field(default_factory=threading.Event)

    def push(self, item: Token | BaseException) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is listening
            self.loop.call_soon_threadsafe(self.out.put_nowait, item)


def build_prompt_messages(spec: ModelSpec, messages: list[ChatMessage]) -> list[dict[str, str]]:
    """The spec's system prompt (unless the caller sent one) and example pairs, then the chat."""
    has_system = any(m.role == "system" for m in messages)
    prompt: list[dict[str, str]] = []
    if spec.system and not has_system:
        prompt.append({"role": "system", "content": spec.system})
    leading_system = [m for m in messages[:1] if m.role == "system"]
    prompt.extend({"role": m.role, "content": m.content} for m in leading_system)
    prompt.extend({"role": m.role, "content": m.content} for m in spec.messages)
    prompt.extend({"role": m.role, "content": m.content} for m in messages[len(leading_system) :])
    return prompt


def sampling_params(spec: ModelSpec, options: GenerationOptions) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for source in (spec.parameters, options.extra):
        for key, value in source.items():
            if key in _PARAMETER_NAMES:
                params[_PARAMETER_NAMES[key]] = value
    for key in ("temperature", "top_p", "seed", "max_tokens"):
        value = getattr(options, key)
        if value is not None:
            params[key] = value
    if options.stop:
        params["stop"] = [*params.get("stop", []), *options.stop]
    return params


class EmbeddedBackend:
    name = "embedded"

    def __init__(self, *, n_ctx: int = 2048, n_threads: int = 2, gguf_path: Path | None = None):
        self._gguf_path = gguf_path
        self._n_ctx = n_ctx
        self._n_threads = n_threads
        self._specs: dict[str, ModelSpec] = {}
        self._jobs: queue.SimpleQueue[_StreamJob | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._loaded = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._load_error: BaseException | None = None

    async def start(self) -> None:
        """Load the weights on the worker thread (the only thread that ever touches them)."""
        if self._thread is not None:
            return
        path = self._gguf_path or bundled_gguf_path()
        self._thread = threading.Thread(
            target=self._worker, args=(path,), name="embedded-llm", daemon=True
        )
        self._thread.start()
        await asyncio.to_thread(self._loaded.wait)
        if self._load_error is not None:
            raise BackendError(f"embedded model failed to load: {self._load_error}")
        log.info("embedded_model_loaded", path=str(path))

    def _worker(self, path: Path) -> None:
        try:
            from llama_cpp import Llama

            llama = Llama(
                model_path=str(path),
                n_ctx=self._n_ctx,
                n_threads=self._n_threads,
                verbose=False,
            )
        except Exception as exc:
            self._load_error = exc
            self._loaded.set()
            return
        self._loaded.set()
        while (job := self._jobs.get()) is not None:
            self._idle.clear()
            try:
                self._run_job(llama, job)
            finally:
                if self._jobs.empty():
                    self._idle.set()
        llama.close()

    @staticmethod
    def _run_job(llama: Any, job: _StreamJob) -> None:
        if job.cancelled.is_set():
            return
        produced = 0
        finish_reason: str | None = None
        try:
            chunks = llama.create_chat_completion(messages=job.messages, stream=True, **job.params)
            for chunk in chunks:
                if job.cancelled.is_set():
                    finish_reason = "cancelled"
                    break
                choice = chunk["choices"][0]
                text = choice["delta"].get("content")
                if text:
                    produced += 1
                    job.push(Token(text=text))
                finish_reason = choice.get("finish_reason") or finish_reason
            chunks.close()
        except Exception as exc:
            job.push(exc)
            return
        job.push(
            Token(done=True, finish_reason=finish_reason or "stop", completion_tokens=produced)
        )

    async def stream(
        self, model: str, messages: list[ChatMessage], options: GenerationOptions
    ) -> AsyncIterator[Token]:
        spec = self._specs.get(model)
        if spec is None:
            raise ModelNotFound(f"model {model!r} is not registered on the embedded backend")
        if self._thread is None:
            await self.start()
        job = _StreamJob(
            messages=build_prompt_messages(spec, messages),
            params=sampling_params(spec, options),
            loop=asyncio.get_running_loop(),
        )
        self._idle.clear()
        self._jobs.put(job)
        try:
            while True:
                item = await job.out.get()
                if isinstance(item, BaseException):
                    raise BackendError(f"embedded generation failed: {item}") from item
                yield item
                if item.done:
                    return
        finally:
            job.cancelled.set()

    async def wait_idle(self, within_s: float = 5.0) -> bool:
        """True once the worker has stopped producing (used to measure barge-in)."""
        return await asyncio.to_thread(self._idle.wait, within_s)

    async def preload(self, model: str) -> None:
        if model not in self._specs:
            raise ModelNotFound(f"model {model!r} is not registered on the embedded backend")
        await self.start()

    async def unload(self, model: str) -> None:
        """The one embedded model stays in memory (~210 MB); unloading is a no-op."""

    async def create(self, spec: ModelSpec) -> None:
        if spec.base_model != SMOLLM2_BASE_MODEL:
            raise BackendError(
                f"the embedded backend has only {SMOLLM2_BASE_MODEL}; "
                f"{spec.base_model!r} needs Ollama (PETE_BACKEND=ollama)"
            )
        self._specs[spec.name] = spec

    async def delete(self, model: str) -> None:
        if self._specs.pop(model, None) is None:
            raise ModelNotFound(f"model {model!r} is not registered on the embedded backend")

    async def list(self) -> builtins.list[str]:
        return sorted(self._specs)

    async def loaded(self) -> builtins.list[LoadedModel]:
        if not self._loaded.is_set() or self._load_error is not None:
            return []
        return [LoadedModel(name=name) for name in sorted(self._specs)]

    async def close(self) -> None:
        if self._thread is not None:
            self._jobs.put(None)
            await asyncio.to_thread(self._thread.join, 10)
            self._thread = None
