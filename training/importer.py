"""`pete import`: calls in, conversations out — skip what was imported before, thread per caller
and time window, categorise, and store everything of one import in one transaction."""

from __future__ import annotations

import asyncio
from collections import Counter

import aiosqlite
from pydantic import BaseModel, Field

from core.clock import utc_now_iso
from core.corpus import Conversation, insert_conversations
from training.call_threads import CallThread, group_threads, held_out
from training.categorize import ThreadCategorizer
from training.config import ImportConfig
from training.imported_calls import ImportedCall, ImportProblem
from training.progress import Progress
from training.store import transaction


class ImportReport(BaseModel):
    source: str
    calls_read: int = 0
    problems: list[ImportProblem] = Field(default_factory=list)
    without_exchange: int = 0
    already_imported: int = 0
    threads: int = 0
    conversations_added: int = 0
    exchanges_added: int = 0
    held_out: int = 0
    categories: dict[str, int] = Field(default_factory=dict)
    decided_by: dict[str, int] = Field(default_factory=dict)
    second_opinion_disagrees: int = 0
    speaker_sources: dict[str, int] = Field(default_factory=dict)


async def known_fingerprints(conn: aiosqlite.Connection, fingerprints: list[str]) -> set[str]:
    known: set[str] = set()
    for start in range(0, len(fingerprints), 500):
        chunk = fingerprints[start : start + 500]
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT fingerprint FROM import_rows WHERE fingerprint IN ({marks})"
        async with conn.execute(sql, chunk) as cursor:
            known.update(row[0] for row in await cursor.fetchall())
    return known


def _conversation(
    thread: CallThread, source: str, decision_metadata: dict, category: str, every: int
) -> Conversation:  # type: ignore[type-arg]
    names = sorted({name for call in thread.calls for name in call.names})
    return Conversation(
        id=thread.id,
        source=source,
        category=category,
        split="held_out" if held_out(thread.id, every) else "train",
        caller_key=thread.caller_key,
        started_at=thread.started_at,
        metadata={
            "calls": [
                {
                    "ref": call.ref,
                    "started_at": call.started_at,
                    "incoming": call.incoming,
                    "exchanges": len(call.exchanges),
                    "speakers": call.speaker_source,
                    "named_by": call.named_by,
                }
                for call in thread.calls
            ],
            "category": decision_metadata,
            "names": names,  # for scrubbing datasets; the store itself keeps what was said
        },
        exchanges=[e for call in thread.calls for e in call.exchanges],
    )


async def import_calls(
    conn: aiosqlite.Connection,
    source: str,
    calls: list[ImportedCall],
    *,
    config: ImportConfig,
    categorizer: ThreadCategorizer,
    problems: list[ImportProblem] | None = None,
    without_exchange: int = 0,
    progress: Progress | None = None,
) -> ImportReport:
    progress = progress or Progress()
    report = ImportReport(
        source=source,
        calls_read=len(calls),
        problems=problems or [],
        without_exchange=without_exchange,
    )
    known = await known_fingerprints(conn, [c.fingerprint for c in calls])
    fresh: dict[str, ImportedCall] = {}
    for call in calls:
        if call.fingerprint in known or call.fingerprint in fresh:
            report.already_imported += 1
        else:
            fresh[call.fingerprint] = call
    threads = group_threads(source, list(fresh.values()), config.thread_window_hours)
    report.threads = len(threads)
    progress.stage("categorizing", len(threads))
    texts = [thread.tenant_texts() for thread in threads]
    openings = [thread.openings() for thread in threads]
    if categorizer.embedder is not None:
        vectors = await categorizer.embedder.run(categorizer.thread_vectors, openings)
    else:
        vectors = categorizer.thread_vectors(openings)
    conversations = []
    for thread, tenant_texts, vector in zip(threads, texts, vectors, strict=True):
        decision = categorizer.decide(tenant_texts, vector)
        conversations.append(
            _conversation(
                thread,
                source,
                decision.model_dump(),
                decision.category,
                config.held_out_every,
            )
        )
        report.second_opinion_disagrees += decision.disagrees
        progress.step()
        await asyncio.sleep(0)  # let Ctrl-C in between threads
    progress.stage("storing", 1)
    imported_at = utc_now_iso()
    async with transaction(conn):
        report.conversations_added = await insert_conversations(conn, conversations)
        await conn.executemany(
            "INSERT OR IGNORE INTO import_rows (fingerprint, source, conversation_id, imported_at) "
            "VALUES (?, ?, ?, ?)",
            [
                (call.fingerprint, source, thread.id, imported_at)
                for thread in threads
                for call in thread.calls
            ],
        )
    progress.step()
    report.exchanges_added = sum(len(c.exchanges) for c in conversations)
    report.held_out = sum(c.split == "held_out" for c in conversations)
    report.categories = dict(sorted(Counter(c.category for c in conversations).items()))
    report.decided_by = dict(
        sorted(Counter(c.metadata["category"]["decided_by"] for c in conversations).items())
    )
    report.speaker_sources = dict(sorted(Counter(c.speaker_source for c in fresh.values()).items()))
    return report


def format_report(report: ImportReport, label: str) -> str:
    lines = [
        f"{label}: {report.calls_read} calls read, {report.already_imported} already imported, "
        f"{report.without_exchange} without a tenant-to-Jamie exchange, "
        f"{len(report.problems)} bad rows skipped",
        f"  {report.conversations_added} new conversations ({report.exchanges_added} exchanges, "
        f"{report.held_out} held out) in {report.threads} threads",
    ]
    if report.speaker_sources:
        lines.append(
            "  speakers from: " + ", ".join(f"{k} {v}" for k, v in report.speaker_sources.items())
        )
    if report.categories:
        lines.append("  categories: " + ", ".join(f"{k} {v}" for k, v in report.categories.items()))
        lines.append(
            "  decided by: "
            + ", ".join(f"{k} {v}" for k, v in report.decided_by.items())
            + f"; second opinion disagrees on {report.second_opinion_disagrees}"
        )
    return "\n".join(lines)
