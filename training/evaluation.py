"""`pete eval`: how good a model is, in one run, through the same turn engine as calls.

It replays every tenant turn of the held-out split (with the real conversation before it as
history) and the adversarial cases, lets the scoring worker check and score each reply, and
reports the pass rate, the mean Jamie score, emergency recall and latency percentiles.
"""

from __future__ import annotations

import asyncio
import sys
import tomllib
import uuid
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from core.clock import now_ns
from core.corpus import load_conversations
from core.engine.turn import TurnRequest
from core.engine.turn_engine import TurnEngine
from core.llm.base import BackendError, ChatMessage
from core.llm.registration import register_models
from core.llm.selection import open_backend
from core.model_settings import ModelSettingsManager
from core.persona import load_persona
from core.quality.retrieval import ExampleRetriever
from core.quality.service import QualityService, safety_sentence_lookup
from core.settings import Settings
from core.stats import percentile
from core.store.database import Database
from core.store.writer import StoreWriter


class EvalCase(BaseModel):
    id: str
    kind: str  # "held_out" or "adversarial"
    category: str
    tenant_text: str
    history: list[ChatMessage] = []
    pattern: str | None = None
    safety_sentence: str | None = None


class EvalReport(BaseModel):
    model: str
    backend: str
    cases: int
    passed: int
    pass_rate: float
    mean_jamie_score: float
    emergency_cases: int
    emergency_recall: float | None
    adversarial_pass_rate: float | None
    ttft_ms_p50: float  # utterance in → first spoken text out, as the caller waits for it
    ttft_ms_p95: float
    total_ms_p50: float
    total_ms_p95: float
    errors: int
    failures_by_code: dict[str, int]


def adversarial_cases(path: Path) -> list[EvalCase]:
    with path.open("rb") as handle:
        raw = tomllib.load(handle)["cases"]
    return [
        EvalCase(
            id=c["id"],
            kind="adversarial",
            category="adversarial",
            tenant_text=c["text"],
            pattern=c.get("pattern"),
        )
        for c in raw
    ]


async def held_out_cases(
    database: Database, split: str, safety_sentence_for: Callable[[str], str | None]
) -> list[EvalCase]:
    cases = []
    for conversation in await load_conversations(database.conn, split=split):  # type: ignore[arg-type]
        history: list[ChatMessage] = []
        for position, exchange in enumerate(conversation.exchanges):
            cases.append(
                EvalCase(
                    id=f"{conversation.id}#{position}",
                    kind=split,
                    category=conversation.category,
                    tenant_text=exchange.tenant,
                    history=list(history),
                    safety_sentence=safety_sentence_for(exchange.tenant),
                )
            )
            history += [
                ChatMessage(role="user", content=exchange.tenant),
                ChatMessage(role="assistant", content=exchange.jamie),
            ]
    return cases


class _Progress:
    def __init__(self, total: int, enabled: bool):
        self.total, self.done, self.enabled = total, 0, enabled

    def step(self) -> None:
        self.done += 1
        if self.enabled:
            filled = int(30 * self.done / max(self.total, 1))
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total}")
            if self.done == self.total:
                sys.stderr.write("\n")
            sys.stderr.flush()


async def run_eval(
    settings: Settings,
    *,
    model: str | None,
    split: str,
    limit: int | None,
    progress: bool,
    retrieved_examples: int | None = None,
) -> EvalReport:
    persona = load_persona(settings.personas_dir, settings.persona)
    model_settings = ModelSettingsManager(
        settings.model_settings_path, persona_names=(persona.name,)
    )
    model_name = model_settings.resolve(model)
    database = Database(settings.database_path)
    await database.open()
    writer = StoreWriter(settings.database_path)
    await writer.start()
    backend = await open_backend(settings)
    await register_models(backend, model_settings, database)
    engine = TurnEngine.from_settings(
        settings, backend=backend, model_settings=model_settings, persona=persona, writer=writer
    )
    safety_sentence_for = safety_sentence_lookup(engine.safety_gate.emergencies)
    quality = QualityService(
        persona=persona,
        quality_dir=settings.quality_dir,
        cache_dir=settings.cache_dir,
        database=database,
        writer=writer,
        safety_sentence_for=safety_sentence_for,
        queue_size=100_000,
    )
    engine.turn_listeners.append(quality.worker.submit_turn)
    if retrieved_examples is None:
        retrieved_examples = persona.retrieved_examples
    if retrieved_examples > 0:
        engine.example_retriever = ExampleRetriever(
            quality.embedder, lambda: quality.index, retrieved_examples
        )
    quality.start()
    try:
        if retrieved_examples > 0:
            await quality.ready()  # examples from the first turn on, for a fair measurement
        cases = await held_out_cases(database, split, safety_sentence_for)
        cases = (cases[:limit] if limit else cases) + adversarial_cases(
            settings.quality_dir / "adversarial.toml"
        )
        run_id = uuid.uuid4().hex[:8]
        bar = _Progress(len(cases), progress)
        turns: dict[str, tuple[EvalCase, str, float | None, float, str | None]] = {}
        for case in cases:
            turn = engine.start(
                TurnRequest(
                    call_id=f"eval-{run_id}-{case.id}",
                    channel="eval",
                    user_text=case.tenant_text,
                    received_ns=now_ns(),
                    model=model_name,
                    history=case.history,
                )
            )
            pieces: list[str] = []
            first_piece_ms, error = None, None
            try:
                await turn.open()
                async for piece in turn.pieces():
                    if first_piece_ms is None:
                        first_piece_ms = (now_ns() - turn.request.received_ns) / 1e6
                    pieces.append(piece)
            except BackendError as exc:
                error = str(exc)
            total_ms = (now_ns() - turn.request.received_ns) / 1e6
            turns[turn.uid] = (case, "".join(pieces), first_piece_ms, total_ms, error)
            bar.step()
        await quality.worker.queue.join()
        await writer.flush()
        scores = {
            row["turn_uid"]: row
            for row in await database.fetch_all(
                f"SELECT * FROM turn_scores WHERE turn_uid IN ({','.join('?' * len(turns))})",
                tuple(turns),
            )
        }
    finally:
        await quality.stop()
        await writer.close()
        await database.close()
        await backend.close()
    return _report(model_name, backend.name, turns, scores)


def _report(model: str, backend: str, turns: dict, scores: dict) -> EvalReport:  # type: ignore[type-arg]
    import json
    import re

    passed = 0
    jamie_scores: list[float] = []
    codes: dict[str, int] = {}
    emergency_total = emergency_hit = adversarial_total = adversarial_passed = errors = 0
    ttfts, totals = [], []
    for uid, (case, reply, ttft, total, error) in turns.items():
        score = scores.get(uid)
        if error or score is None:
            errors += 1
            continue
        ok = bool(score["passed"])
        if case.pattern and re.search(case.pattern, reply):
            ok = False
            codes["adversarial_pattern"] = codes.get("adversarial_pattern", 0) + 1
        for violation in json.loads(score["violations"]):
            codes[violation["code"]] = codes.get(violation["code"], 0) + 1
        passed += ok
        jamie_scores.append(score["jamie_score"])
        if case.safety_sentence:
            emergency_total += 1
            emergency_hit += " ".join(case.safety_sentence.lower().split()) in " ".join(
                reply.lower().split()
            )
        if case.kind == "adversarial":
            adversarial_total += 1
            adversarial_passed += ok
        if ttft is not None:
            ttfts.append(ttft)
        totals.append(total)
    count = len(turns)
    return EvalReport(
        model=model,
        backend=backend,
        cases=count,
        passed=passed,
        pass_rate=round(passed / count, 4) if count else 0.0,
        mean_jamie_score=round(sum(jamie_scores) / len(jamie_scores), 1) if jamie_scores else 0.0,
        emergency_cases=emergency_total,
        emergency_recall=round(emergency_hit / emergency_total, 4) if emergency_total else None,
        adversarial_pass_rate=(
            round(adversarial_passed / adversarial_total, 4) if adversarial_total else None
        ),
        ttft_ms_p50=round(percentile(ttfts, 50), 1),
        ttft_ms_p95=round(percentile(ttfts, 95), 1),
        total_ms_p50=round(percentile(totals, 50), 1),
        total_ms_p95=round(percentile(totals, 95), 1),
        errors=errors,
        failures_by_code=dict(sorted(codes.items())),
    )


def format_report(report: EvalReport) -> str:
    recall = "n/a" if report.emergency_recall is None else f"{report.emergency_recall:.0%}"
    adversarial = (
        "n/a" if report.adversarial_pass_rate is None else f"{report.adversarial_pass_rate:.0%}"
    )
    lines = [
        f"model {report.model} on {report.backend}: {report.cases} turns",
        f"  pass rate          {report.pass_rate:.1%} ({report.passed}/{report.cases})",
        f"  mean Jamie score   {report.mean_jamie_score:.1f} / 100",
        f"  emergency recall   {recall} of {report.emergency_cases} emergency turns",
        f"  adversarial passed {adversarial}",
        f"  ttft   p50 {report.ttft_ms_p50:.0f} ms  p95 {report.ttft_ms_p95:.0f} ms",
        f"  total  p50 {report.total_ms_p50:.0f} ms  p95 {report.total_ms_p95:.0f} ms",
        f"  errors {report.errors}",
    ]
    if report.failures_by_code:
        lines.append(
            "  failures: " + ", ".join(f"{code} {n}" for code, n in report.failures_by_code.items())
        )
    return "\n".join(lines)


def run(settings: Settings, **kwargs) -> EvalReport:  # type: ignore[no-untyped-def]
    return asyncio.run(run_eval(settings, **kwargs))
