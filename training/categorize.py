"""The category of a thread: the project's one category list (whole-word phrases, emergencies
by the emergency classifier), with an embedding nearest-centroid classifier as second opinion.

Centroids are the mean embedding of the opening tenant lines (why the tenant called) of each
category in the corpus's train split; follow-ups such as "do I need to be home?" are alike in
every category and would blur them. A thread is embedded by the opening lines of its calls.
Vectors are cached on disk by text, so an import embeds only openings it has not seen.
The second opinion decides only a thread no phrase matched, and never makes an emergency:
those need the reviewed phrases. Where the two disagree, both are kept in the conversation's
metadata for review.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from core.categories import Categories
from core.quality.embeddings import Embedder
from core.store.database import Database

DecidedBy = Literal["emergency_classifier", "phrases", "second_opinion", "fallback"]
_DIMENSIONS = 384  # all-MiniLM-L6-v2
_CACHE = "opening-vectors.npz"
_OPENINGS = (
    "SELECT c.category, e.tenant_text FROM conversations c JOIN exchanges e "
    "ON e.conversation_id = c.id AND e.position = 0 WHERE c.split = 'train' ORDER BY c.id"
)


def _key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def cached_vectors(embedder: Embedder, texts: list[str], cache_dir: Path) -> np.ndarray:
    """Blocking: one unit vector a text, embedding only texts the cache does not hold."""
    path = cache_dir / _CACHE
    known: dict[str, np.ndarray] = {}
    if path.exists():
        stored = np.load(path)
        known = dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))
    keys = [_key(text) for text in texts]
    missing = list({k: t for k, t in zip(keys, texts, strict=True) if k not in known}.items())
    if missing:
        fresh = embedder.encode_now([text for _, text in missing])
        known.update({k: vector for (k, _), vector in zip(missing, fresh, strict=True)})
        wanted = sorted(set(keys))
        cache_dir.mkdir(parents=True, exist_ok=True)
        partial = cache_dir / f".{_CACHE}.tmp.npz"
        np.savez(partial, keys=np.array(wanted), vectors=np.vstack([known[k] for k in wanted]))
        partial.replace(path)
    if not keys:
        return np.zeros((0, _DIMENSIONS), np.float32)
    return np.vstack([known[k] for k in keys]).astype(np.float32)


class CategoryDecision(BaseModel):
    category: str
    decided_by: DecidedBy
    phrase_category: str
    hits: list[str] = Field(default_factory=list)
    second_opinion: str | None = None
    similarity: float | None = None

    @property
    def disagrees(self) -> bool:
        return self.second_opinion is not None and self.second_opinion != self.category


class Centroids:
    def __init__(self, names: list[str], vectors: np.ndarray):
        self.names = names
        self.vectors = vectors

    @classmethod
    def from_vectors(cls, categories: list[str], vectors: np.ndarray) -> Centroids:
        by_category: dict[str, list[int]] = defaultdict(list)
        for position, category in enumerate(categories):
            by_category[category].append(position)
        names = sorted(by_category)
        if not names:
            return cls([], np.zeros((0, _DIMENSIONS), np.float32))
        rows = []
        for name in names:
            mean = vectors[by_category[name]].mean(axis=0)
            rows.append(mean / (np.linalg.norm(mean) or 1.0))
        return cls(names, np.vstack(rows).astype(np.float32))

    def nearest(self, vector: np.ndarray) -> tuple[str, float] | None:
        if not self.names:
            return None
        scores = self.vectors @ vector
        best = int(np.argmax(scores))
        return self.names[best], float(scores[best])


class ThreadCategorizer:
    def __init__(
        self,
        categories: Categories,
        *,
        embedder: Embedder | None = None,
        centroids: Centroids | None = None,
        min_similarity: float = 0.35,
    ):
        self.categories = categories
        self.embedder = embedder
        self.centroids = centroids
        self.min_similarity = min_similarity

    @classmethod
    async def with_second_opinion(
        cls, categories: Categories, database: Database, cache_dir: Path, min_similarity: float
    ) -> ThreadCategorizer:
        """Loads the embedding model (torch: seconds) and the cached reference vectors."""
        embedder = Embedder()
        embedder.start_loading()
        if not await embedder.wait_ready():
            raise RuntimeError("the embedding model could not be loaded")
        rows = await database.fetch_all(_OPENINGS)
        texts = [row["tenant_text"] for row in rows]
        vectors = await embedder.run(cached_vectors, embedder, texts, cache_dir)
        return cls(
            categories,
            embedder=embedder,
            centroids=Centroids.from_vectors([row["category"] for row in rows], vectors),
            min_similarity=min_similarity,
        )

    def thread_vectors(self, threads: list[list[str]]) -> list[np.ndarray | None]:
        """Blocking: one vector per thread (the mean of the lines given), or None."""
        if self.embedder is None or self.centroids is None or not self.centroids.names:
            return [None] * len(threads)
        flat = [text for texts in threads for text in texts]
        vectors = self.embedder.encode_now(flat) if flat else np.zeros((0, 384), np.float32)
        out: list[np.ndarray | None] = []
        start = 0
        for texts in threads:
            part = vectors[start : start + len(texts)]
            start += len(texts)
            if len(part) == 0:
                out.append(None)
                continue
            mean = part.mean(axis=0)
            out.append(mean / (np.linalg.norm(mean) or 1.0))
        return out

    def decide(self, tenant_texts: list[str], vector: np.ndarray | None = None) -> CategoryDecision:
        match = self.categories.classify("\n".join(tenant_texts))
        second: tuple[str, float] | None = None
        if vector is not None and self.centroids is not None:
            second = self.centroids.nearest(vector)
        opinion, similarity = (second[0], round(second[1], 4)) if second else (None, None)
        if self.categories.is_emergency(match.category):
            decided_by: DecidedBy = "emergency_classifier"
            category = match.category
        elif match.hits:
            decided_by, category = "phrases", match.category
        elif (
            opinion is not None
            and similarity is not None
            and similarity >= self.min_similarity
            and not self.categories.is_emergency(opinion)
        ):
            decided_by, category = "second_opinion", opinion
        else:
            decided_by, category = "fallback", match.category
        return CategoryDecision(
            category=category,
            decided_by=decided_by,
            phrase_category=match.category,
            hits=match.hits,
            second_opinion=opinion,
            similarity=similarity,
        )
