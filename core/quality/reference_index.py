"""Good Jamie replies to compare with: the train split's exchanges, embedded once and cached.

The cache file is named by a fingerprint of the exchanges, so a changed reference set is
embedded again and an unchanged one loads in milliseconds after a restart.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import BaseModel

from core.corpus import ReferenceExchange, reference_fingerprint
from core.logging import get_logger
from core.quality.embeddings import Embedder

log = get_logger(__name__)


class Neighbour(BaseModel):
    tenant: str
    jamie: str
    category: str
    similarity: float


class ReferenceIndex:
    def __init__(
        self,
        exchanges: list[ReferenceExchange],
        tenant_vectors: np.ndarray,
        jamie_vectors: np.ndarray,
    ):
        self.exchanges = exchanges
        self.tenant_vectors = tenant_vectors
        self.jamie_vectors = jamie_vectors

    @classmethod
    def build(
        cls, exchanges: list[ReferenceExchange], embedder: Embedder, cache_dir: Path
    ) -> ReferenceIndex:
        """Blocking (embeds on this thread): run it off the event loop."""
        fingerprint = reference_fingerprint(exchanges)
        cache = cache_dir / f"reference-{fingerprint}.npz"
        if cache.exists():
            stored = np.load(cache)
            return cls(exchanges, stored["tenant"], stored["jamie"])
        tenant = (
            embedder.encode_now([e.tenant for e in exchanges])
            if exchanges
            else np.zeros((0, 384), np.float32)
        )
        jamie = (
            embedder.encode_now([e.jamie for e in exchanges])
            if exchanges
            else np.zeros((0, 384), np.float32)
        )
        cache_dir.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(".tmp.npz")
        np.savez(partial, tenant=tenant, jamie=jamie)
        partial.replace(cache)
        for stale in cache_dir.glob("reference-*.npz"):
            if stale != cache:
                stale.unlink(missing_ok=True)
        log.info("reference_index_built", exchanges=len(exchanges), fingerprint=fingerprint)
        return cls(exchanges, tenant, jamie)

    def __len__(self) -> int:
        return len(self.exchanges)

    def nearest(self, tenant_vector: np.ndarray, k: int = 5) -> list[Neighbour]:
        """The k reference exchanges whose tenant utterance is closest (dot product)."""
        if not self.exchanges:
            return []
        scores = self.tenant_vectors @ tenant_vector
        top = np.argsort(-scores)[:k]
        return [
            Neighbour(
                tenant=self.exchanges[i].tenant,
                jamie=self.exchanges[i].jamie,
                category=self.exchanges[i].category,
                similarity=float(scores[i]),
            )
            for i in top
        ]

    def reply_similarity(
        self, tenant_vector: np.ndarray, reply_vector: np.ndarray, k: int = 5
    ) -> float:
        """How close the reply is to the best Jamie reply among the k nearest situations."""
        if not self.exchanges:
            return 0.0
        scores = self.tenant_vectors @ tenant_vector
        top = np.argsort(-scores)[:k]
        return float(np.clip((self.jamie_vectors[top] @ reply_vector).max(), 0.0, 1.0))
