"""Scoring after the turn: real embeddings, a real store, the worker's queue and backlog."""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from core.corpus import Conversation, Exchange, insert_conversations, load_reference_exchanges
from core.persona import load_persona
from core.quality.checks import ReplyChecker
from core.quality.embeddings import Embedder
from core.quality.reference_index import ReferenceIndex
from core.quality.rules import load_rules
from core.quality.scoring import Scorer, ScoringJob
from core.quality.worker import ScoringWorker
from core.settings import PROJECT_ROOT
from core.store.database import Database, connect, migrate
from core.store.writer import StoreWriter
from tests.conftest import make_settings
from tests.support.scripted_backend import ScriptedBackend, words
from voice.server import ServerThread

PERSONA = load_persona(PROJECT_ROOT / "config" / "personas", "jamie")
CHECKER = ReplyChecker(
    load_rules(PROJECT_ROOT / "config" / "quality", "jamie"), PERSONA.instructions
)
CORPUS = [
    Conversation(
        id="ref-1",
        source="test",
        category="plumbing",
        exchanges=[
            Exchange(
                tenant="My kitchen sink is leaking.",
                jamie="I'm sorry about the leak. I'm sending our plumber today at one.",
            )
        ],
    ),
    Conversation(
        id="ref-2",
        source="test",
        category="pest",
        exchanges=[
            Exchange(
                tenant="I saw mice in the pantry.",
                jamie="Sorry to hear that. I'm scheduling pest control for tomorrow morning.",
            )
        ],
    ),
    Conversation(
        id="ref-3",
        source="test",
        category="payment",
        exchanges=[
            Exchange(
                tenant="When is rent due?",
                jamie="Rent is due on the first. I'll text you the portal link right now.",
            )
        ],
    ),
]
GOOD = "I'm sorry about that leak. I'm sending our plumber out today between one and four."
BAD = "Go to www.fixit.com and book it yourself."


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    model = Embedder()
    model.start_loading()
    assert asyncio.run(model.wait_ready())
    return model


async def seed_corpus_async(database_path: Path) -> None:
    conn = await connect(database_path)
    await migrate(conn)
    await insert_conversations(conn, CORPUS)
    await conn.commit()
    await conn.close()


def seed_corpus(database_path: Path) -> None:
    asyncio.run(seed_corpus_async(database_path))


async def open_store(path: Path) -> tuple[Database, StoreWriter]:
    database = Database(path)
    await database.open()
    writer = StoreWriter(path)
    await writer.start()
    return database, writer


def make_scorer(embedder: Embedder, database: Database, cache: Path):
    """A scorer, and the coroutine that (re)builds its reference index from the store."""
    holder: dict[str, ReferenceIndex] = {}

    async def build() -> None:
        refs = await load_reference_exchanges(database.conn)
        holder["index"] = await asyncio.to_thread(ReferenceIndex.build, refs, embedder, cache)

    return Scorer(CHECKER, embedder, lambda: holder.get("index")), build


async def test_score_is_stable_and_cached_index_gives_the_same(tmp_path: Path, embedder: Embedder):
    await seed_corpus_async(tmp_path / "pete.db")
    database, writer = await open_store(tmp_path / "pete.db")
    scorer, build = make_scorer(embedder, database, tmp_path / "cache")
    await build()
    job = ScoringJob(turn_uid="t1", tenant_text="The sink in my kitchen drips.", reply_text=GOOD)
    first, second = scorer.score_now(job), scorer.score_now(job)
    assert first == second
    assert first.passed and 50 < first.jamie_score <= 100
    assert first.nearest is not None and first.nearest.category == "plumbing"
    assert len(list((tmp_path / "cache").glob("reference-*.npz"))) == 1
    await build()  # from the cache file this time
    assert scorer.score_now(job) == first
    bad = scorer.score_now(ScoringJob(turn_uid="t2", tenant_text="The sink drips.", reply_text=BAD))
    assert not bad.passed and bad.jamie_score <= 40
    await writer.close()
    await database.close()


async def test_full_queue_persists_and_a_restart_scores_everything(
    tmp_path: Path, embedder: Embedder
):
    path = tmp_path / "pete.db"
    await seed_corpus_async(path)
    database, writer = await open_store(path)
    scorer, build = make_scorer(embedder, database, tmp_path / "cache")
    worker = ScoringWorker(scorer, writer, database, queue_size=2)  # not started: nothing drains
    jobs = [
        ScoringJob(
            turn_uid=f"turn-{i}",
            tenant_text="My sink is leaking.",
            reply_text=BAD if i == 0 else GOOD,
        )
        for i in range(5)
    ]
    for job in jobs:
        worker.submit(job)
    assert worker.queue.qsize() == 2 and worker.persisted == 3
    await worker.stop()  # shutting down persists the two still queued
    await writer.flush()
    assert len(await database.fetch_all("SELECT * FROM scoring_backlog")) == 5
    await writer.close()
    await database.close()

    database, writer = await open_store(path)  # the restart
    scorer, build = make_scorer(embedder, database, tmp_path / "cache")
    await build()
    worker = ScoringWorker(scorer, writer, database, queue_size=2, drain_interval_s=0.05)
    worker.start()
    for _ in range(400):
        await writer.flush()
        rows = await database.fetch_all("SELECT * FROM turn_scores")
        if len(rows) == 5:
            break
        await asyncio.sleep(0.05)
    scores = {r["turn_uid"]: r for r in await database.fetch_all("SELECT * FROM turn_scores")}
    assert set(scores) == {job.turn_uid for job in jobs}
    assert scores["turn-0"]["passed"] == 0 and scores["turn-1"]["passed"] == 1
    assert await database.fetch_all("SELECT * FROM scoring_backlog") == []
    corrections = await database.fetch_all("SELECT * FROM training_examples")
    assert len(corrections) == 1 and corrections[0]["source_turn_uid"] == "turn-0"
    assert corrections[0]["bad_reply"] == BAD
    assert corrections[0]["good_reply"] == CORPUS[0].exchanges[0].jamie
    await worker.stop()
    await writer.close()
    await database.close()


@pytest.fixture
def scoring_server(tmp_path: Path, embedder: Embedder) -> Iterator[ServerThread]:
    settings = make_settings(tmp_path, quality_scoring=True)
    seed_corpus(settings.database_path)
    backend = ScriptedBackend(
        replies=[words(GOOD)],
        by_utterance={
            "My kitchen sink is leaking.": words(GOOD),
            "Where do I book the plumber?": words(BAD),
        },
    )
    server = ServerThread(settings, backend=backend).start()
    yield server
    server.stop()


def wait_for_score(database_path: Path, call_id: str) -> sqlite3.Row:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with sqlite3.connect(database_path) as conn:
            conn.row_factory = sqlite3.Row
            row = conn.execute(
                "SELECT s.* FROM turn_scores s JOIN turns t ON t.uid = s.turn_uid "
                "WHERE t.call_id = ?",
                (call_id,),
            ).fetchone()
        if row is not None:
            return row
        time.sleep(0.1)
    raise AssertionError(f"no score for {call_id}")


def test_live_turns_are_scored_and_failures_become_corrections(scoring_server: ServerThread):
    calls = [
        (f"call-{uuid.uuid4()}", "My kitchen sink is leaking."),
        (f"call-{uuid.uuid4()}", "Where do I book the plumber?"),
    ]
    for call_id, utterance in calls:
        response = httpx.post(
            scoring_server.base_url + "/vapi/chat/completions",
            timeout=30,
            json={
                "stream": False,
                "call": {"id": call_id},
                "messages": [{"role": "user", "content": utterance}],
            },
        )
        assert response.status_code == 200
    good, bad = (wait_for_score(scoring_server.settings.database_path, c) for c, _ in calls)
    assert good["passed"] == 1 and good["jamie_score"] > 50
    assert bad["passed"] == 0 and "url" in bad["violations"]
    with sqlite3.connect(scoring_server.settings.database_path) as conn:
        corrections = conn.execute("SELECT bad_reply, good_reply FROM training_examples").fetchall()
    assert corrections == [(BAD, CORPUS[0].exchanges[0].jamie)]


def test_retrieved_examples_reach_the_model_before_the_utterance(
    tmp_path: Path, embedder: Embedder
):
    settings = make_settings(tmp_path, quality_scoring=True)
    persona_file = settings.personas_dir / "jamie.toml"
    persona_file.write_text(
        persona_file.read_text().replace("retrieved_examples = 0", "retrieved_examples = 2")
    )
    seed_corpus(settings.database_path)
    backend = ScriptedBackend(replies=[words(GOOD)])
    server = ServerThread(settings, backend=backend).start()
    try:
        quality = server.services.quality
        assert quality is not None
        server.call(quality.ready())
        response = httpx.post(
            server.base_url + "/vapi/chat/completions",
            timeout=30,
            json={
                "stream": False,
                "messages": [{"role": "user", "content": "Water drips from my sink."}],
            },
        )
        assert response.status_code == 200
    finally:
        server.stop()
    messages = backend.calls[-1]
    assert messages[0].content == PERSONA.system_prompt  # the cached prefix is untouched
    examples, utterance = messages[-2], messages[-1]
    assert utterance.role == "user" and utterance.content == "Water drips from my sink."
    assert examples.role == "system"
    assert CORPUS[0].exchanges[0].tenant in examples.content  # the nearest exchange first
    assert examples.content.count("A tenant said") == 2
