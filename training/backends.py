"""The backend training commands create models on: the one the server would pick.

Creating a model on the embedded backend only registers its spec, so the embedded model's
weights are not loaded for that (the server and `pete eval` register stored specs themselves).
"""

from __future__ import annotations

from core.llm.base import LLMBackend
from core.llm.embedded import EmbeddedBackend
from core.llm.ollama_backend import OllamaBackend, ollama_answers
from core.settings import Settings


async def creation_backend(settings: Settings) -> LLMBackend:
    choice = settings.backend
    if choice == "auto":
        choice = "ollama" if await ollama_answers(settings.ollama_host) else "embedded"
    if choice == "ollama":
        return OllamaBackend(
            settings.ollama_host,
            keep_alive=settings.ollama_keep_alive,
            max_connections=8,
        )
    return EmbeddedBackend(n_ctx=settings.embedded_context, n_threads=settings.embedded_threads)
