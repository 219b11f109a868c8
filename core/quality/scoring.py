"""The Jamie score of a reply: checks, soft scores and closeness to real Jamie replies.

pattern    = 0.30·acknowledgment + 0.30·next_step + 0.25·timeline + 0.15·empathy  (0..1)
similarity = max cosine between the reply and the Jamie replies of the 5 reference
             exchanges whose tenant utterance is closest to this one            (0..1)
score      = 100 · (0.5·similarity + 0.5·pattern), capped at 40 when a hard check fails
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from core.quality.checks import CheckResult, ReplyChecker, SoftScores, Violation
from core.quality.embeddings import Embedder
from core.quality.reference_index import Neighbour, ReferenceIndex

FAILED_SCORE_CAP = 40.0
NEIGHBOURS = 5


class ScoringJob(BaseModel):
    turn_uid: str
    tenant_text: str
    reply_text: str
    complete: bool = True
    model: str | None = None
    channel: str | None = None


class TurnScore(BaseModel):
    turn_uid: str
    passed: bool
    jamie_score: float
    violations: list[Violation] = Field(default_factory=list)
    soft: SoftScores
    similarity: float | None = None
    nearest: Neighbour | None = None  # the most similar real exchange: the correction's model


def jamie_score(check: CheckResult, similarity: float | None) -> float:
    pattern = check.pattern_score
    raw = pattern if similarity is None else 0.5 * similarity + 0.5 * pattern
    score = 100.0 * raw
    if not check.passed:
        score = min(score, FAILED_SCORE_CAP)
    return round(score, 1)


class Scorer:
    def __init__(
        self,
        checker: ReplyChecker,
        embedder: Embedder | None,
        index: Callable[[], ReferenceIndex | None],
        safety_sentence_for: Callable[[str], str | None] = lambda _text: None,
    ):
        self.checker = checker
        self.embedder = embedder
        self.index = index
        self.safety_sentence_for = safety_sentence_for

    async def run_in_background(self, function: Any, *args: Any) -> Any:
        """CPU work off the event loop: on the embedder's low-priority thread when there is one."""
        if self.embedder is not None:
            return await self.embedder.run(function, *args)
        return await asyncio.to_thread(function, *args)

    def score_now(self, job: ScoringJob) -> TurnScore:
        """Blocking (embeddings are CPU work): call it from a worker thread."""
        return self.score_batch([job])[0]

    def score_batch(self, jobs: list[ScoringJob]) -> list[TurnScore]:
        """Several replies with one embedding call (much faster per reply than one by one)."""
        index = self.index()
        vectors = None
        if self.embedder is not None and index is not None and len(index) and jobs:
            texts = [text for job in jobs for text in (job.tenant_text, job.reply_text or " ")]
            vectors = self.embedder.encode_now(texts)
        scores = []
        for position, job in enumerate(jobs):
            check = self.checker.check(
                job.tenant_text,
                job.reply_text,
                safety_sentence=self.safety_sentence_for(job.tenant_text),
                complete=job.complete,
            )
            similarity, nearest = None, None
            if vectors is not None and index is not None:
                tenant_vector, reply_vector = vectors[2 * position], vectors[2 * position + 1]
                similarity = round(
                    index.reply_similarity(tenant_vector, reply_vector, NEIGHBOURS), 4
                )
                nearest = index.nearest(tenant_vector, 1)[0]
            scores.append(
                TurnScore(
                    turn_uid=job.turn_uid,
                    passed=check.passed,
                    jamie_score=jamie_score(check, similarity),
                    violations=check.violations,
                    soft=check.soft,
                    similarity=similarity,
                    nearest=nearest,
                )
            )
        return scores
