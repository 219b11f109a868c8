"""Scores every turn after it ends, off the call's path, and never drops one.

Turns arrive through `submit_turn` (an engine turn listener: no I/O, no waiting). A bounded
queue feeds one scoring loop; when the queue is full the job is persisted in
`scoring_backlog` instead, and a drainer feeds the backlog back as room frees up, also after
a restart. A failed reply becomes a correction in `training_examples`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

from core.clock import utc_now_iso
from core.logging import get_logger
from core.quality.scoring import Scorer, ScoringJob, TurnScore
from core.store.database import Database
from core.store.records import TurnRecord
from core.store.writer import StoreWriter

log = get_logger(__name__)

_SAVE_SCORE = """
INSERT OR REPLACE INTO turn_scores
    (turn_uid, passed, jamie_score, violations, soft_scores, similarity, scored_at)
VALUES (:turn_uid, :passed, :jamie_score, :violations, :soft_scores, :similarity, :scored_at)
"""
_SAVE_CORRECTION = """
INSERT INTO training_examples
    (kind, source_turn_uid, tenant_text, bad_reply, good_reply, errors, category, created_at)
SELECT 'correction', :turn_uid, :tenant_text, :bad_reply, :good_reply, :errors, :category,
       :created_at
WHERE NOT EXISTS (SELECT 1 FROM training_examples WHERE source_turn_uid = :turn_uid)
"""
_BACKLOG = """
INSERT OR REPLACE INTO scoring_backlog (turn_uid, payload, queued_at)
VALUES (:turn_uid, :payload, :queued_at)
"""
_DONE = "DELETE FROM scoring_backlog WHERE turn_uid = :turn_uid"
# Replies embedded together when turns pile up. On one torch thread, 4 replies (8 texts) a
# batch measured fastest here: 87 texts/s vs 77 for one reply and 63 for 16 replies.
BATCH = 4


class ScoringWorker:
    def __init__(
        self,
        scorer: Scorer,
        writer: StoreWriter,
        database: Database,
        *,
        queue_size: int = 256,
        drain_interval_s: float = 1.0,
    ):
        self.scorer = scorer
        self.writer = writer
        self.database = database
        self.queue: asyncio.Queue[ScoringJob] = asyncio.Queue(maxsize=queue_size)
        self.drain_interval_s = drain_interval_s
        self._queued: set[str] = set()
        self._failed: set[str] = set()  # left in the backlog, not retried by this process
        self._tasks: list[asyncio.Task[None]] = []
        self.scored = 0
        self.persisted = 0

    def submit_turn(self, record: TurnRecord) -> None:
        if record.error or not record.reply_text.strip():
            return
        self.submit(
            ScoringJob(
                turn_uid=record.uid,
                tenant_text=record.user_text,
                reply_text=record.reply_text,
                complete=not record.interrupted,
                model=record.model,
                channel=record.channel,
            )
        )

    def submit(self, job: ScoringJob) -> None:
        if job.turn_uid in self._queued:
            return
        try:
            self.queue.put_nowait(job)
            self._queued.add(job.turn_uid)
        except asyncio.QueueFull:
            self._persist(job)

    def _persist(self, job: ScoringJob) -> None:
        self.writer.execute(
            _BACKLOG,
            {
                "turn_uid": job.turn_uid,
                "payload": job.model_dump_json(),
                "queued_at": utc_now_iso(),
            },
        )
        self.persisted += 1

    def start(self, ready: asyncio.Future[None] | None = None) -> None:
        self._tasks = [
            asyncio.create_task(self._score_loop(ready), name="scoring-loop"),
            asyncio.create_task(self._drain_loop(), name="scoring-backlog"),
        ]

    async def _score_loop(self, ready: asyncio.Future[None] | None) -> None:
        if ready is not None:
            await ready  # the reference index: scores must not depend on start-up timing
        while True:
            jobs = [await self.queue.get()]
            while len(jobs) < BATCH and not self.queue.empty():
                jobs.append(self.queue.get_nowait())
            try:
                scores = await self.scorer.run_in_background(self.scorer.score_batch, jobs)
                for job, score in zip(jobs, scores, strict=True):
                    self._save(job, score)
            except Exception:
                log.exception("scoring_failed", turns=[job.turn_uid for job in jobs])
                for job in jobs:
                    self._failed.add(job.turn_uid)
                    self._persist(job)
            finally:
                for job in jobs:
                    self._queued.discard(job.turn_uid)
                    self.queue.task_done()

    def _save(self, job: ScoringJob, score: TurnScore) -> None:
        self.writer.execute(
            _SAVE_SCORE,
            {
                "turn_uid": score.turn_uid,
                "passed": int(score.passed),
                "jamie_score": score.jamie_score,
                "violations": json.dumps([v.model_dump() for v in score.violations]),
                "soft_scores": score.soft.model_dump_json(),
                "similarity": score.similarity,
                "scored_at": utc_now_iso(),
            },
        )
        if not score.passed:
            self.writer.execute(
                _SAVE_CORRECTION,
                {
                    "turn_uid": score.turn_uid,
                    "tenant_text": job.tenant_text,
                    "bad_reply": job.reply_text,
                    "good_reply": score.nearest.jamie if score.nearest else "",
                    "errors": json.dumps([v.model_dump() for v in score.violations]),
                    "category": score.nearest.category if score.nearest else None,
                    "created_at": utc_now_iso(),
                },
            )
        self.writer.execute(_DONE, {"turn_uid": score.turn_uid})
        self.scored += 1

    async def _drain_loop(self) -> None:
        while True:
            room = self.queue.maxsize - self.queue.qsize()
            if room > 0:
                await self._refill(room)
            await asyncio.sleep(self.drain_interval_s)

    async def _refill(self, room: int) -> None:
        rows = await self.database.fetch_all(
            "SELECT turn_uid, payload FROM scoring_backlog ORDER BY queued_at LIMIT ?",
            (room + len(self._queued),),
        )
        for row in rows:
            if self.queue.full():
                return
            if row["turn_uid"] not in self._queued and row["turn_uid"] not in self._failed:
                self.submit(ScoringJob.model_validate_json(row["payload"]))

    async def stop(self) -> None:
        """Persist what is still queued, so a restart scores it."""
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        while not self.queue.empty():
            self._persist(self.queue.get_nowait())
        self._queued.clear()
