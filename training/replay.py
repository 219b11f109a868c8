"""`pete replay`: logged tenant turns, with the history they had, answered again by a candidate.

Each turn runs through the same turn engine as a live call (channel `replay`, so its turns
are kept apart from calls), and both replies, the one given then and the candidate's now,
are checked and scored by the same scorer. A candidate reply that fails becomes a correction
(`replay_correction`) with the better reply as its answer, so the next version's dataset
holds it. Results are stored one call per transaction: an interrupted replay keeps whole calls.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from pydantic import BaseModel, Field

from core.categories import Categories
from core.clock import now_ns, utc_now_iso
from core.corpus import load_reference_exchanges
from core.engine.turn import TurnRequest
from core.engine.turn_engine import TurnEngine
from core.llm.base import BackendError, ChatMessage, LLMBackend
from core.llm.registration import register_models
from core.llm.selection import open_backend
from core.model_settings import ModelSettingsManager
from core.persona import Persona, load_persona
from core.quality.checks import ReplyChecker
from core.quality.embeddings import Embedder
from core.quality.reference_index import ReferenceIndex
from core.quality.rules import load_rules
from core.quality.scoring import Scorer, ScoringJob, TurnScore
from core.quality.service import safety_sentence_lookup
from core.settings import Settings
from core.store.database import Database
from core.store.writer import StoreWriter
from training.call_selection import parse_selection
from training.logged_calls import NOT_CALLS
from training.progress import Progress
from training.promotion import ensure_entry
from training.store import open_store, transaction
from training.versions import find_version


class ReplayError(Exception):
    pass


class Verdict(BaseModel):
    passed: bool
    score: float
    violations: list[str] = Field(default_factory=list)


class ReplayTurn(BaseModel):
    call_id: str
    turn_index: int
    tenant: str
    original_uid: str
    original_model: str
    original_reply: str
    original: Verdict
    candidate_uid: str | None
    candidate_reply: str
    candidate: Verdict
    candidate_ttft_ms: float | None = None
    error: str | None = None
    # The real Jamie reply closest to this situation: a correction's answer when needed.
    nearest_reply: str | None = Field(default=None, exclude=True)


class ReplaySummary(BaseModel):
    turns: int = 0
    errors: int = 0
    original_pass_rate: float | None = None
    candidate_pass_rate: float | None = None
    original_mean_score: float | None = None
    candidate_mean_score: float | None = None
    better: int = 0
    worse: int = 0
    corrections_added: int = 0


class ReplayRun(BaseModel):
    id: str
    model_name: str
    version: str | None
    selection: str
    status: str
    calls: int
    turns: list[ReplayTurn] = Field(default_factory=list)
    summary: ReplaySummary = Field(default_factory=ReplaySummary)


class _LoggedTurn(BaseModel):
    uid: str
    turn_index: int
    user_text: str
    reply_text: str
    model: str


def _verdict(score: TurnScore) -> Verdict:
    return Verdict(
        passed=score.passed, score=score.jamie_score, violations=[v.code for v in score.violations]
    )


def summarize(turns: list[ReplayTurn], corrections: int) -> ReplaySummary:
    scored = [t for t in turns if t.error is None]
    if not scored:
        return ReplaySummary(turns=len(turns), errors=len(turns), corrections_added=corrections)
    count = len(scored)
    return ReplaySummary(
        turns=len(turns),
        errors=len(turns) - count,
        original_pass_rate=round(sum(t.original.passed for t in scored) / count, 4),
        candidate_pass_rate=round(sum(t.candidate.passed for t in scored) / count, 4),
        original_mean_score=round(sum(t.original.score for t in scored) / count, 1),
        candidate_mean_score=round(sum(t.candidate.score for t in scored) / count, 1),
        better=sum(t.candidate.score > t.original.score for t in scored),
        worse=sum(t.candidate.score < t.original.score for t in scored),
        corrections_added=corrections,
    )


async def _logged_calls(database: Database, selection: str) -> dict[str, list[_LoggedTurn]]:
    chosen = parse_selection(selection)
    sql = f"SELECT c.id FROM calls c WHERE {chosen.where} ORDER BY c.started_at DESC, c.id"
    rows = await database.fetch_all(
        sql + (" LIMIT ?" if chosen.limit else ""),
        (*chosen.params, *([chosen.limit] if chosen.limit else [])),
    )
    ids = [row["id"] for row in reversed(rows)]  # oldest first
    calls: dict[str, list[_LoggedTurn]] = {}
    marks = ",".join("?" * len(NOT_CALLS))
    for call_id in ids:
        turns = await database.fetch_all(
            "SELECT uid, turn_index, user_text, reply_text, model FROM turns WHERE call_id = ? "
            f"AND error IS NULL AND channel NOT IN ({marks}) AND TRIM(reply_text) != '' "
            "ORDER BY turn_index",
            (call_id, *NOT_CALLS),
        )
        if turns:
            calls[call_id] = [_LoggedTurn(**turn) for turn in turns]
    return calls


async def _scorer(
    settings: Settings,
    persona: Persona,
    database: Database,
    categories: Categories,
    similarity: bool,
) -> Scorer:
    checker = ReplyChecker(load_rules(settings.quality_dir, persona.name), persona.instructions)
    safety = safety_sentence_lookup(categories.emergencies)
    if not similarity:
        return Scorer(checker, None, lambda: None, safety)
    embedder = Embedder()
    embedder.start_loading()
    if not await embedder.wait_ready():
        raise ReplayError("the embedding model could not be loaded (use --no-similarity)")
    exchanges = await load_reference_exchanges(database.conn)
    index = await embedder.run(ReferenceIndex.build, exchanges, embedder, settings.cache_dir)
    return Scorer(checker, embedder, lambda: index, safety)


async def _resolve_model(
    database: Database, manager: ModelSettingsManager, ref: str, display_name: str
) -> tuple[str, str | None]:
    record = await find_version(database.conn, ref)
    if record is not None:
        await ensure_entry(manager, record, display_name, "replay")
        return record.model_name, record.label
    try:
        return manager.resolve(ref), None
    except KeyError:
        raise ReplayError(f"no version or model {ref!r} (see `pete models versions`)") from None


class Replayer:
    def __init__(self, engine: TurnEngine, scorer: Scorer, database: Database):
        self.engine = engine
        self.scorer = scorer
        self.database = database

    async def replay_call(
        self, run_id: str, model: str, call_id: str, turns: list[_LoggedTurn], progress: Progress
    ) -> list[ReplayTurn]:
        history: list[ChatMessage] = []
        answers: list[tuple[str | None, str, float | None, str | None]] = []
        for logged in turns:
            turn = self.engine.start(
                TurnRequest(
                    call_id=f"replay-{run_id}-{call_id}",
                    channel="replay",
                    user_text=logged.user_text,
                    received_ns=now_ns(),
                    model=model,
                    history=list(history),
                )
            )
            reply, error = "", None
            try:
                await turn.open()
                reply = "".join([piece async for piece in turn.pieces()])
            except BackendError as exc:
                error = f"{exc.code}: {exc}"
            answers.append((turn.uid, reply, turn.ttft_ms, error))
            history += [
                ChatMessage(role="user", content=logged.user_text),
                ChatMessage(role="assistant", content=logged.reply_text),
            ]
            progress.step()
        jobs = [
            ScoringJob(turn_uid=f"then-{t.uid}", tenant_text=t.user_text, reply_text=t.reply_text)
            for t in turns
        ] + [
            ScoringJob(turn_uid=f"now-{uid}", tenant_text=t.user_text, reply_text=reply or " ")
            for t, (uid, reply, _ttft, _error) in zip(turns, answers, strict=True)
        ]
        scores = await self.scorer.run_in_background(self.scorer.score_batch, jobs)
        results = []
        for position, (logged, (uid, reply, ttft, error)) in enumerate(
            zip(turns, answers, strict=True)
        ):
            then, now = scores[position], scores[len(turns) + position]
            results.append(
                ReplayTurn(
                    call_id=call_id,
                    turn_index=logged.turn_index,
                    tenant=logged.user_text,
                    original_uid=logged.uid,
                    original_model=logged.model,
                    original_reply=logged.reply_text,
                    original=_verdict(then),
                    candidate_uid=uid,
                    candidate_reply=reply,
                    candidate=_verdict(now),
                    candidate_ttft_ms=ttft,
                    error=error,
                    nearest_reply=now.nearest.jamie if now.nearest else None,
                )
            )
        return results


async def _store_call(conn: Any, run_id: str, results: list[ReplayTurn]) -> int:
    """One transaction: the call's results and the corrections its failed replies make."""
    corrections = 0
    async with transaction(conn):
        for r in results:
            await conn.execute(
                "INSERT INTO replay_results (run_id, call_id, turn_index, tenant_text, "
                "original_turn_uid, original_model, original_reply, original_passed, "
                "original_score, original_violations, candidate_turn_uid, candidate_reply, "
                "candidate_passed, candidate_score, candidate_violations, candidate_ttft_ms, "
                "error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    r.call_id,
                    r.turn_index,
                    r.tenant,
                    r.original_uid,
                    r.original_model,
                    r.original_reply,
                    int(r.original.passed),
                    r.original.score,
                    json.dumps(r.original.violations),
                    r.candidate_uid,
                    r.candidate_reply,
                    int(r.candidate.passed),
                    r.candidate.score,
                    json.dumps(r.candidate.violations),
                    r.candidate_ttft_ms,
                    r.error,
                ),
            )
            if r.error is not None or r.candidate.passed:
                continue
            # The better answer: what was said then if it passed, else the closest real reply.
            good = r.original_reply if r.original.passed else r.nearest_reply
            if not good:
                continue
            await conn.execute(
                "INSERT INTO training_examples (kind, source_turn_uid, tenant_text, bad_reply, "
                "good_reply, errors, category, created_at) VALUES "
                "('replay_correction', ?, ?, ?, ?, ?, NULL, ?)",
                (
                    r.candidate_uid,
                    r.tenant,
                    r.candidate_reply,
                    good,
                    json.dumps(r.candidate.violations),
                    utc_now_iso(),
                ),
            )
            corrections += 1
    return corrections


async def replay(
    settings: Settings,
    selection: str,
    model_ref: str,
    *,
    backend: LLMBackend | None = None,
    similarity: bool = True,
    progress: Progress | None = None,
) -> ReplayRun:
    progress = progress or Progress()
    persona = load_persona(settings.personas_dir, settings.persona)
    categories = Categories.load(settings.config_dir)
    manager = ModelSettingsManager(
        settings.model_settings_path,
        persona_names=(persona.name,),
        fallback_path=settings.model_settings_fallback_path,
    )
    async with open_store(settings) as database:
        model, version = await _resolve_model(database, manager, model_ref, persona.display_name)
        calls = await _logged_calls(database, selection)
        if not calls:
            raise ReplayError(f"no logged calls with turns match {selection!r}")
        run = ReplayRun(
            id=uuid.uuid4().hex[:12],
            model_name=model,
            version=version,
            selection=selection,
            status="running",
            calls=len(calls),
        )
        async with transaction(database.conn):
            await database.conn.execute(
                "INSERT INTO replay_runs (id, model_name, version, selection, status, calls, "
                "started_at) VALUES (?, ?, ?, ?, 'running', ?, ?)",
                (run.id, model, version, selection, len(calls), utc_now_iso()),
            )
        own_backend = backend is None
        if backend is None:
            backend = await open_backend(settings)
            await register_models(backend, manager, database)
        writer = StoreWriter(settings.database_path)
        await writer.start()
        scorer = await _scorer(settings, persona, database, categories, similarity)
        engine = TurnEngine.from_settings(
            settings, backend=backend, model_settings=manager, persona=persona, writer=writer
        )
        replayer = Replayer(engine, scorer, database)
        corrections = 0
        progress.stage("replaying", sum(len(turns) for turns in calls.values()))
        try:
            for call_id, turns in calls.items():
                results = await replayer.replay_call(run.id, model, call_id, turns, progress)
                corrections += await _store_call(database.conn, run.id, results)
                run.turns += results
            run.status = "finished"
        except BaseException:
            run.status = "interrupted"
            raise
        finally:
            run.summary = summarize(run.turns, corrections)
            await _finish_run(database, run)
            await writer.close()
            if own_backend:
                await backend.close()
    return run


async def _finish_run(database: Database, run: ReplayRun) -> None:
    async with transaction(database.conn):
        await database.conn.execute(
            "UPDATE replay_runs SET status = ?, turns = ?, summary = ?, finished_at = ? "
            "WHERE id = ?",
            (run.status, len(run.turns), run.summary.model_dump_json(), utc_now_iso(), run.id),
        )
