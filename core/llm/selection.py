"""Pick the backend PETE_BACKEND names; `auto`: a reachable Ollama, else the embedded model."""

from __future__ import annotations

from core.llm.base import LLMBackend
from core.llm.embedded import EmbeddedBackend
from core.llm.ollama_backend import OllamaBackend, ollama_answers
from core.logging import get_logger
from core.settings import Settings

log = get_logger(__name__)


async def open_backend(settings: Settings, *, load_weights: bool = True) -> LLMBackend:
    """`load_weights=False` for work that only creates models (training): the embedded
    backend then registers specs without loading its weights."""
    choice = settings.backend
    if choice == "auto":
        reachable = await ollama_answers(settings.ollama_host)
        choice = "ollama" if reachable else "embedded"
        log.info(
            "backend_selected",
            backend=choice,
            ollama_host=settings.ollama_host,
            reason="ollama answered" if reachable else "no ollama server answered",
        )
    else:
        log.info("backend_selected", backend=choice, reason="PETE_BACKEND")
    if choice == "ollama":
        return OllamaBackend(
            settings.ollama_host,
            keep_alive=settings.ollama_keep_alive,
            max_connections=settings.ollama_max_connections,
        )
    backend = EmbeddedBackend(n_ctx=settings.embedded_context, n_threads=settings.embedded_threads)
    if load_weights:
        await backend.start()
    return backend
