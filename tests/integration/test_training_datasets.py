"""Datasets: reproducible (same hash, same example pairs), scrubbed, held-out never used."""

from __future__ import annotations

import json
from pathlib import Path

from core.categories import Categories
from core.clock import utc_now_iso
from core.corpus import Conversation, Exchange, insert_conversations
from core.persona import load_persona
from core.settings import Settings
from core.store.database import Database
from tests.conftest import make_settings
from training.config import load_training_config
from training.datasets import DatasetFilters, save_dataset
from training.demo_data import generate_demo_conversations
from training.examples import select_examples
from training.train import dataset_builder

DEMO = generate_demo_conversations()
CORPUS = [c for c in DEMO if c.split == "train"][:70] + [c for c in DEMO if c.split == "held_out"][
    :8
]
HELD_OUT = [c for c in CORPUS if c.split == "held_out"]
PRIVATE = Conversation(
    id="import-pii-1",
    source="csv",
    category="plumbing",
    started_at="2025-09-01T10:00:00Z",
    metadata={"names": ["Marisol Quintero"]},
    exchanges=[
        Exchange(
            tenant="Hi, this is Marisol Quintero at 818 Juniper Street, apartment 12. My sink "
            "is leaking. Call me at 503-555-0187.",
            jamie="Thanks for calling, Marisol. I'll have the plumber at apartment 12 tomorrow "
            "morning.",
        )
    ],
)
# (kind, channel of the turn it came from, tenant line, good reply)
CORRECTIONS = [
    (
        "correction",
        "vapi",
        "The garbage disposal is humming but not spinning.",
        "Sorry about that. I'll send maintenance tomorrow between nine and noon.",
    ),
    ("correction", "eval", "My window won't lock.", "I'll have maintenance fix it today."),
    ("replay_correction", None, HELD_OUT[0].exchanges[0].tenant, "A held-out answer."),
]


async def _store(settings: Settings, conversations: list[Conversation], reverse: bool) -> Database:
    database = Database(settings.database_path)
    await database.open()
    conn = database.conn
    await conn.execute(
        "INSERT INTO tenants (name, phone, phone_key, unit, property, created_at) "
        "VALUES ('Dana Whitfield', '+15035550150', '5035550150', '2D', 'Maple Grove', ?)",
        (utc_now_iso(),),
    )
    await insert_conversations(conn, conversations[::-1] if reverse else conversations)
    corrections = CORRECTIONS[::-1] if reverse else CORRECTIONS
    for number, (kind, channel, tenant, good) in enumerate(corrections):
        uid = f"turn-{channel}-{number}"
        if channel is not None:
            await conn.execute(
                "INSERT INTO calls (id, channel, started_at, last_activity_at) VALUES (?, ?, ?, ?)",
                (f"call-{uid}", channel, utc_now_iso(), utc_now_iso()),
            )
            await conn.execute(
                "INSERT INTO turns (uid, call_id, turn_index, channel, persona, model, backend, "
                "user_text, reply_text, started_at, total_ms, tokens) "
                "VALUES (?, ?, 0, ?, 'jamie', 'm', 'embedded', ?, 'bad', ?, 1, 1)",
                (uid, f"call-{uid}", channel, tenant, utc_now_iso()),
            )
        await conn.execute(
            "INSERT INTO training_examples (kind, source_turn_uid, tenant_text, bad_reply, "
            "good_reply, errors, category, created_at) VALUES (?, ?, ?, 'bad', ?, '[]', NULL, ?)",
            (kind, uid, tenant, good, utc_now_iso()),
        )
    await conn.commit()
    return database


async def _build(settings: Settings, database: Database, filters: DatasetFilters | None = None):
    persona = load_persona(settings.personas_dir, settings.persona)
    builder = dataset_builder(settings, persona, Categories.load(settings.config_dir))
    return await builder.build(database.conn, "default", filters or DatasetFilters())


async def test_same_inputs_give_the_same_hash_and_the_same_example_pairs(tmp_path: Path):
    config = load_training_config(Path(make_settings(tmp_path / "a").config_dir))
    categories = Categories.load(make_settings(tmp_path / "a").config_dir)
    built = []
    for name, reverse in (("a", False), ("b", True)):  # rows stored in opposite orders
        settings = make_settings(tmp_path / name)
        database = await _store(settings, [*CORPUS, PRIVATE], reverse)
        first, second = await _build(settings, database), await _build(settings, database)
        assert first.content_hash == second.content_hash
        built.append(first)
        saved = await save_dataset(database.conn, first)
        assert (await save_dataset(database.conn, second)).id == saved.id  # stored once
        await database.close()
    a, b = built
    assert a.content_hash == b.content_hash
    pairs_a = [(i.tenant, i.jamie) for i in select_examples(a.items, config.examples, categories)]
    pairs_b = [(i.tenant, i.jamie) for i in select_examples(b.items, config.examples, categories)]
    assert pairs_a == pairs_b and len(pairs_a) == config.examples.max_pairs
    assert len({i.category for i in select_examples(a.items, config.examples, categories)}) >= 8


async def test_held_out_and_eval_answers_never_reach_a_dataset_and_pii_is_scrubbed(
    tmp_path: Path,
):
    settings = make_settings(tmp_path)
    database = await _store(settings, [*CORPUS, PRIVATE], reverse=False)
    dataset = await _build(settings, database)
    held_out_ids = {c.id for c in HELD_OUT}
    refs = {item.ref.split("#")[0] for item in dataset.items if item.kind == "exchange"}
    assert refs and not refs & held_out_ids
    held_out_lines = {e.tenant for c in HELD_OUT for e in c.exchanges}
    assert not {item.tenant for item in dataset.items} & held_out_lines
    corrections = [i for i in dataset.items if i.kind != "exchange"]
    assert [(i.kind, i.tenant) for i in corrections] == [
        ("correction", "The garbage disposal is humming but not spinning.")
    ]  # the eval turn's and the held-out line's corrections are left out
    assert corrections[0].category == "appliance"  # categorised with the one list

    private = [i for i in dataset.items if i.ref.startswith("import-pii-1")]
    assert [(i.tenant, i.jamie) for i in private] == [
        (
            "Hi, this is [NAME] at [ADDRESS], [UNIT]. My sink is leaking. Call me at [PHONE].",
            "Thanks for calling, [NAME]. I'll have the plumber at [UNIT] tomorrow morning.",
        )
    ]
    everything = json.dumps([i.model_dump() for i in dataset.items])
    for secret in ("Marisol", "Quintero", "Juniper", "0187", "Dana Whitfield"):
        assert secret not in everything
    names_in_demo = {"Avery", "Jordan", "Riley", "Testwood", "Sampleton"}
    assert not any(name in everything for name in names_in_demo)
    await database.close()


async def test_filters_select_by_category_source_date_and_score(tmp_path: Path):
    settings = make_settings(tmp_path)
    database = await _store(settings, [*CORPUS, PRIVATE], reverse=False)
    everything = await _build(settings, database)
    plumbing = await _build(settings, database, DatasetFilters(categories=["plumbing"]))
    assert plumbing.items and {i.category for i in plumbing.items} == {"plumbing"}
    csv_only = await _build(settings, database, DatasetFilters(sources=["csv"], corrections=False))
    assert [i.ref for i in csv_only.items] == ["import-pii-1#0"]
    september = await _build(
        settings, database, DatasetFilters(since="2025-09-01", until="2025-09-01")
    )
    assert {i.ref for i in september.items if i.kind == "exchange"} == {"import-pii-1#0"}
    good = await _build(settings, database, DatasetFilters(min_score=60))
    assert good.items and all(i.quality >= 60 for i in good.items)
    assert len(good.items) < len(everything.items)
    assert len({plumbing.content_hash, everything.content_hash, good.content_hash}) == 3
    await database.close()
