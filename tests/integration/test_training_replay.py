"""`pete replay` on a logged call: a demo thread played through the real server (VAPI), then
answered again by a candidate version, side by side, with checks, scores and corrections."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import openai
import pytest

from core.categories import Categories
from core.persona import load_persona
from core.tools.tenants import demo_tenants
from tests.conftest import make_settings, query_db
from tests.support.scripted_backend import ScriptedBackend, words
from tests.support.training_store import CORPUS, seed
from training.datasets import DatasetFilters
from training.demo_data import generate_demo_conversations
from training.pii import PiiScrubber
from training.replay import ReplayError, replay
from training.replay_cli import format_run
from training.store import open_store
from training.train import TrainOptions, dataset_builder, keep_words, train
from voice.server import ServerThread

# A train-split demo thread with an opening line of its own (not shared with held-out lines).
DEMO_CALL = next(
    c
    for c in generate_demo_conversations()
    if c.split == "train" and c.category == "plumbing" and len(c.exchanges) >= 3
)
REFUSAL = "As an AI I cannot help with that."
GOOD = "I'm sorry about that. I'll have maintenance come by tomorrow morning."


@pytest.mark.timeout(300)
def test_replay_shows_then_and_now_scores_both_and_feeds_failures_to_the_next_version(
    tmp_path: Path,
):
    settings = make_settings(tmp_path)
    asyncio.run(seed(settings, CORPUS))
    backend = ScriptedBackend(
        replies=[words(GOOD)],
        by_utterance={e.tenant: words(e.jamie) for e in DEMO_CALL.exchanges},
    )
    candidate = asyncio.run(
        train(settings, TrainOptions(evaluate=False), backend=backend, newly_listed=None)
    )
    server = ServerThread(settings, backend=backend).start()
    call_id = f"call-{uuid.uuid4()}"
    try:
        client = openai.OpenAI(base_url=server.base_url + "/vapi", api_key="unused")
        history: list[dict[str, str]] = []
        for exchange in DEMO_CALL.exchanges:  # the logged call: what was said then
            messages = [*history, {"role": "user", "content": exchange.tenant}]
            stream = client.chat.completions.create(
                model="jamie",
                messages=messages,
                stream=True,
                extra_body={"call": {"id": call_id}},
            )
            reply = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
            assert reply == exchange.jamie
            history += [messages[-1], {"role": "assistant", "content": reply}]
        query_db(server, "SELECT 1")  # everything the server logged is committed
    finally:
        server.stop()

    opener = DEMO_CALL.exchanges[0].tenant
    backend.by_utterance = {opener: words(REFUSAL)}  # the candidate fails the opening turn
    backend.calls.clear()
    run = asyncio.run(
        replay(settings, "today", candidate.version, backend=backend, similarity=False)
    )

    assert (run.status, run.calls, run.version, run.model_name) == (
        "finished",
        1,
        "v0.1.0",
        candidate.model_name,
    )
    assert [(t.tenant, t.original_reply) for t in run.turns] == [
        (e.tenant, e.jamie) for e in DEMO_CALL.exchanges
    ]
    assert [t.candidate_reply for t in run.turns] == [REFUSAL] + [GOOD] * (
        len(DEMO_CALL.exchanges) - 1
    )
    first = run.turns[0]
    assert first.original.passed and not first.candidate.passed
    assert first.candidate.violations == ["refusal"] and first.candidate.score <= 40
    assert all(t.candidate.passed for t in run.turns[1:])
    # Each logged turn ran with the history the call had then (the replies given then).
    last_prompt = backend.calls[-1]
    said_then = [m.content for m in last_prompt if m.role == "assistant"]
    assert said_then[-(len(DEMO_CALL.exchanges) - 1) :] == [
        e.jamie for e in DEMO_CALL.exchanges[:-1]
    ]
    summary = run.summary
    assert (summary.turns, summary.corrections_added, summary.errors) == (
        len(DEMO_CALL.exchanges),
        1,
        0,
    )
    assert summary.original_pass_rate == 1.0
    assert summary.candidate_pass_rate == round(1 - 1 / len(DEMO_CALL.exchanges), 4)

    text = format_run(run)
    assert f"call {call_id}" in text and "against v0.1.0" in text
    assert f"tenant {opener[:40]}" in " ".join(text.split())
    assert "failed refusal" in text and "1 corrections added for the next version" in text

    async def stored() -> tuple[list[dict], list[dict], list[dict]]:
        async with open_store(settings) as database:
            return (
                await database.fetch_all("SELECT * FROM replay_results ORDER BY turn_index"),
                await database.fetch_all("SELECT * FROM replay_runs"),
                await database.fetch_all(
                    "SELECT kind, tenant_text, bad_reply, good_reply FROM training_examples"
                ),
            )

    results, runs, examples = asyncio.run(stored())
    assert len(results) == len(DEMO_CALL.exchanges) and runs[0]["status"] == "finished"
    assert results[0]["candidate_passed"] == 0 and results[0]["original_passed"] == 1
    assert examples == [
        {
            "kind": "replay_correction",
            "tenant_text": opener,
            "bad_reply": REFUSAL,
            "good_reply": DEMO_CALL.exchanges[0].jamie,
        }
    ]

    async def next_dataset():  # type: ignore[no-untyped-def]
        persona = load_persona(settings.personas_dir, "jamie")
        builder = dataset_builder(settings, persona, Categories.load(settings.config_dir))
        async with open_store(settings) as database:
            return await builder.build(database.conn, "default", DatasetFilters())

    corrections = [i for i in asyncio.run(next_dataset()).items if i.kind == "replay_correction"]
    persona = load_persona(settings.personas_dir, "jamie")
    scrubber = PiiScrubber([t.name for t in demo_tenants()], keep=keep_words(persona))
    expected = scrubber.scrub_all([opener, DEMO_CALL.exchanges[0].jamie])
    assert [(i.tenant, i.jamie) for i in corrections] == [tuple(expected)]
    assert "[NAME]" in expected[1]  # the demo reply names the tenant: scrubbed on the way out
    following = asyncio.run(
        train(settings, TrainOptions(evaluate=False), backend=backend, newly_listed=None)
    )
    assert (following.version, following.reason) == ("v0.1.1", "new data")
    assert following.dataset.corrections == 1

    with pytest.raises(ReplayError, match="no logged calls"):
        asyncio.run(replay(settings, "2001-01-01", "v0.1.0", backend=backend, similarity=False))
