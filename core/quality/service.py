"""Reply quality for a running server: checker, embeddings, reference index, scoring worker."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from core.corpus import load_reference_exchanges
from core.logging import get_logger
from core.persona import Persona
from core.quality.checks import ReplyChecker
from core.quality.embeddings import Embedder
from core.quality.reference_index import ReferenceIndex
from core.quality.rules import load_rules
from core.quality.scoring import Scorer
from core.quality.worker import ScoringWorker
from core.safety.emergencies import EmergencyClassifier
from core.store.database import Database
from core.store.writer import StoreWriter

log = get_logger(__name__)


def safety_sentence_lookup(classifier: EmergencyClassifier) -> Callable[[str], str | None]:
    """What an emergency reply to this utterance must say, or None when it is no emergency."""

    def lookup(tenant_text: str) -> str | None:
        match = classifier.classify(tenant_text)
        return match.case.safety_sentence if match else None

    return lookup


class QualityService:
    def __init__(
        self,
        *,
        persona: Persona,
        quality_dir: Path,
        cache_dir: Path,
        database: Database,
        writer: StoreWriter,
        safety_sentence_for: Callable[[str], str | None] = lambda _text: None,
        embedder: Embedder | None = None,
        queue_size: int = 256,
    ):
        self.checker = ReplyChecker(load_rules(quality_dir, persona.name), persona.instructions)
        self.embedder = embedder or Embedder()
        self.database = database
        self.cache_dir = cache_dir
        self.index: ReferenceIndex | None = None
        self.scorer = Scorer(self.checker, self.embedder, lambda: self.index, safety_sentence_for)
        self.worker = ScoringWorker(self.scorer, writer, database, queue_size=queue_size)
        self._index_ready: asyncio.Future[None] | None = None
        self._loader: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin loading embeddings in the background; the worker waits for them."""
        self._index_ready = asyncio.get_running_loop().create_future()
        self.worker.start(self._index_ready)
        self._loader = asyncio.create_task(self._load_index(), name="reference-index")

    async def _load_index(self) -> None:
        assert self._index_ready is not None
        try:
            if not self.embedder.ready:
                self.embedder.start_loading()
            exchanges = await load_reference_exchanges(self.database.conn)
            if await self.embedder.wait_ready():
                self.index = await self.embedder.run(
                    ReferenceIndex.build, exchanges, self.embedder, self.cache_dir
                )
            else:
                log.warning("scoring_without_similarity", reason="embedding model unavailable")
        except Exception:
            log.exception("reference_index_failed")
        finally:
            if not self._index_ready.done():
                self._index_ready.set_result(None)

    async def ready(self) -> None:
        """Wait until the reference index is built (or known to be unavailable)."""
        assert self._index_ready is not None
        await asyncio.shield(self._index_ready)

    async def reload_reference(self) -> None:
        """The reference set changed (an import, new demo data): embed it again."""
        exchanges = await load_reference_exchanges(self.database.conn)
        if await self.embedder.wait_ready():
            self.index = await self.embedder.run(
                ReferenceIndex.build, exchanges, self.embedder, self.cache_dir
            )

    async def stop(self) -> None:
        if self._loader is not None:
            self._loader.cancel()
        await self.worker.stop()
