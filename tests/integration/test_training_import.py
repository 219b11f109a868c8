"""`pete import`: seed-shaped SQLite, CSV/JSON/JSONL uploads and logged calls, as a user runs it."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from core.categories import Categories
from core.clock import utc_now_iso
from core.corpus import insert_conversations
from core.settings import PROJECT_ROOT
from core.store.records import CallRecord, TurnRecord
from core.store.writer import StoreWriter
from tests.conftest import make_settings
from tests.support.seed_files import seed_row, write_seed_db
from training.demo_data import generate_demo_conversations
from training.progress import Progress

PETE = str(Path(sys.executable).parent / "pete")
PELLETS = (
    "Something in my kitchen keeps squeaking and scurrying at night, and I found little black "
    "pellets by the cereal."
)
AVERY = "(503) 555-0142"


def pete(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PETE_DATA_DIR": str(data_dir), "OLLAMA_HOST": "127.0.0.1:9"}
    return subprocess.run([PETE, *args], env=env, capture_output=True, text=True, timeout=120)


def rows(data_dir: Path, sql: str, params: tuple = ()) -> list[dict]:
    with sqlite3.connect(data_dir / "pete.db") as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql, params)]


def exchanges_of(data_dir: Path) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    for r in rows(
        data_dir,
        "SELECT conversation_id, tenant_text, jamie_text FROM exchanges "
        "ORDER BY conversation_id, position",
    ):
        found.setdefault(r["conversation_id"], []).append((r["tenant_text"], r["jamie_text"]))
    return found


SEED_ROWS = [
    # 1: opaque labels; "A" says Jamie's phrases
    seed_row(
        "2025-07-14 15:32:10.123",
        phone=AVERY,
        name="Avery Okafor",
        segments=[
            {"speaker": "A", "text": "Maple Grove, this is Jamie. How can I help?"},
            {"speaker": "B", "text": "Hi Jamie, my kitchen sink is leaking under the cabinet."},
            {
                "speaker": "A",
                "text": "Sorry about that, Avery. I'll have the plumber come by tomorrow morning.",
            },
            {"speaker": "B", "text": "Thanks."},
        ],
    ),
    # 2: the same caller next day, no TranscriptionJson: text heuristics
    seed_row(
        "2025-07-15 09:00:00",
        phone="503-555-0142",
        name="Avery Okafor",
        transcription="Hi, this is Jamie. How can I help? Hi Jamie, the sink is still "
        "dripping. I'm calling about the leak. I'll send the plumber back "
        "today before five.",
    ),
    # 3: the same caller a month later (another thread), role labels
    seed_row(
        "2025-08-20T10:00:00Z",
        phone="+1 503 555 0142",
        segments=[
            {"role": "customer", "content": "The AC is blowing warm air again."},
            {"role": "agent", "content": "I'm putting in a work order for the HVAC tech tomorrow."},
        ],
    ),
    # 4: another caller, an AssemblyAI-like shape with words
    seed_row(
        "2025-07-14 16:00:00",
        phone="503-555-0177",
        segments=[
            {
                "speaker": "caller",
                "words": [
                    {"text": "My"},
                    {"text": "rent"},
                    {"text": "payment"},
                    {"text": "failed"},
                    {"text": "on"},
                    {"text": "the"},
                    {"text": "portal."},
                ],
            },
            {"speaker": "jamie", "text": "I'll check the ledger and call you back today."},
        ],
    ),
    seed_row("not a date", phone="503-555-0100", transcription="Hello there."),  # 5: bad
    seed_row("2025-07-16 10:00:00", phone="503-555-0101"),  # 6: bad, no transcript
    # 7: a voicemail: Jamie alone, nothing to learn from
    seed_row(
        "2025-07-17 10:00:00",
        phone="503-555-0102",
        segments=[{"speaker": "A", "text": "Hi, this is Jamie returning your call."}],
    ),
    # 8: unreadable TranscriptionJson with a plain transcript to fall back on
    seed_row(
        "2025-07-18 10:00:00",
        incoming=0,
        transcription="Hi, the mice are back in the kitchen. I'll have pest control come Monday.",
        raw_json="{not json",
    ),
]


def test_seed_database_import_uses_speaker_labels_threads_and_is_idempotent(tmp_path: Path):
    seed = write_seed_db(tmp_path / "seed.db", SEED_ROWS)
    data = tmp_path / "data"
    first = pete(data, "import", str(seed), "--no-second-opinion")
    assert first.returncode == 0, first.stderr
    assert f"{seed}: row 5: skipped: unreadable date 'not a date'" in first.stderr
    assert f"{seed}: row 6: skipped: no transcript" in first.stderr
    assert (
        "5 calls read, 0 already imported, 1 without a tenant-to-Jamie exchange, "
        "2 bad rows skipped" in first.stdout
    )
    assert "4 new conversations (5 exchanges" in first.stdout

    conversations = {r["id"]: r for r in rows(data, "SELECT * FROM conversations")}
    exchanges = exchanges_of(data)
    assert sorted(exchanges.values()) == sorted(
        [
            [
                (
                    "Hi Jamie, my kitchen sink is leaking under the cabinet.",
                    "Sorry about that, Avery. I'll have the plumber come by tomorrow morning.",
                ),
                (
                    "Hi Jamie, the sink is still dripping. I'm calling about the leak.",
                    "I'll send the plumber back today before five.",
                ),
            ],
            [
                (
                    "The AC is blowing warm air again.",
                    "I'm putting in a work order for the HVAC tech tomorrow.",
                )
            ],
            [
                (
                    "My rent payment failed on the portal.",
                    "I'll check the ledger and call you back today.",
                )
            ],
            [("Hi, the mice are back in the kitchen.", "I'll have pest control come Monday.")],
        ]
    )
    by_first = {exchanges[cid][0][0]: conversations[cid] for cid in exchanges}
    sink = by_first["Hi Jamie, my kitchen sink is leaking under the cabinet."]
    meta = json.loads(sink["metadata"])
    assert [c["speakers"] for c in meta["calls"]] == ["labels", "text_heuristic"]
    assert meta["calls"][0]["named_by"] == "phrases" and meta["names"] == ["Avery Okafor"]
    assert sink["category"] == "plumbing" and meta["category"]["decided_by"] == "phrases"
    assert sink["started_at"] == "2025-07-14T15:32:10.123000Z"
    hvac = by_first["The AC is blowing warm air again."]
    assert hvac["category"] == "hvac" and hvac["caller_key"] == sink["caller_key"]
    assert "0142" not in sink["caller_key"]  # a key per caller, not the number
    assert by_first["My rent payment failed on the portal."]["category"] == "payment"
    mice = json.loads(by_first["Hi, the mice are back in the kitchen."]["metadata"])
    assert mice["calls"][0]["speakers"] == "text_heuristic"  # the broken JSON was not trusted
    assert all(c["split"] in ("train", "held_out") for c in conversations.values())

    again = pete(data, "import", str(seed), "--no-second-opinion")
    assert again.returncode == 0, again.stderr
    assert "5 already imported" in again.stdout and "0 new conversations" in again.stdout
    assert len(rows(data, "SELECT id FROM conversations")) == 4
    assert len(rows(data, "SELECT id FROM exchanges")) == 5


CSV = (
    "call_id,caller,started_at,tenant,jamie\n"
    'c1,+15035550199,2025-09-01T10:00:00Z,"My dishwasher won\'t drain.","I\'ll send maintenance '
    'tomorrow morning."\n'
    "c1,+15035550199,2025-09-01T10:00:00Z,Okay thanks.,You're welcome. Have a good day.\n"
    "c2,+15035550198,2025-09-02T10:00:00Z,,I'm sorry?\n"
    "c3,+15035550197,yesterday-ish,Hi,Hello\n"
    "c4,+15035550196,2025-09-03T10:00:00Z,Hi,Hello,surplus\n"
)
JSON = [
    {
        "caller": "+15035550195",
        "started_at": "2025-09-04T11:00:00Z",
        "direction": "inbound",
        "turns": [
            {"speaker": "jamie", "text": "Maple Grove, Jamie speaking."},
            {"speaker": "tenant", "text": "There are roaches in my kitchen."},
            {"speaker": "jamie", "text": "I'll have the exterminator out on Thursday."},
        ],
    },
    {"caller": "+15035550194", "started_at": "2025-09-04T12:00:00Z"},
    {"caller": "+15035550193", "direction": "sideways", "transcript": "Hi. Hello."},
]
JSONL = [
    json.dumps(
        {
            "caller": "+15035550192",
            "started_at": 1757000000,
            "transcript_json": [
                {"speaker": "customer", "text": "I'm locked out of my unit."},
                {"speaker": "agent", "text": "I'll send someone with a spare key right now."},
            ],
        }
    ),
    "{this is not json",
    json.dumps(
        {
            "caller": "+15035550199",
            "started_at": "2025-09-01T10:00:00Z",
            "exchanges": [
                {
                    "tenant": "My dishwasher won't drain.",
                    "jamie": "I'll send maintenance tomorrow morning.",
                },
                {"tenant": "Okay thanks.", "jamie": "You're welcome. Have a good day."},
            ],
        }
    ),
]


def test_csv_json_jsonl_uploads_report_bad_rows_and_never_import_a_call_twice(tmp_path: Path):
    data = tmp_path / "data"
    csv_file, json_file, jsonl_file = tmp_path / "a.csv", tmp_path / "b.json", tmp_path / "c.jsonl"
    csv_file.write_text(CSV)
    json_file.write_text(json.dumps(JSON))
    jsonl_file.write_text("\n".join(JSONL) + "\n")

    result = pete(data, "import", str(csv_file), "--no-second-opinion", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [p["ref"] for p in report["problems"]] == ["line 4", "line 5", "line 6"]
    assert report["problems"][0]["message"] == "tenant or jamie empty"
    assert "unreadable date" in report["problems"][1]["message"]
    assert report["problems"][2]["message"] == "more fields than columns"
    assert report["conversations_added"] == 1 and report["exchanges_added"] == 2

    result = pete(data, "import", str(json_file), "--no-second-opinion", "--json")
    report = json.loads(result.stdout)
    assert [p["ref"] for p in report["problems"]] == ["item 2", "item 3"]
    assert "needs turns, exchanges" in report["problems"][0]["message"]
    assert "unknown direction" in report["problems"][1]["message"]
    assert report["conversations_added"] == 1
    assert report["categories"] == {"pest": 1}

    result = pete(data, "import", str(jsonl_file), "--no-second-opinion", "--json")
    report = json.loads(result.stdout)
    assert [p["ref"] for p in report["problems"]] == ["line 2"]
    assert report["already_imported"] == 1  # the CSV's call c1, given as exchanges this time
    assert report["conversations_added"] == 1 and report["categories"] == {"lockout": 1}
    assert f"{jsonl_file}: line 2: skipped: not JSON" in result.stderr

    assert sorted(e for ex in exchanges_of(data).values() for e in ex) == sorted(
        [
            ("My dishwasher won't drain.", "I'll send maintenance tomorrow morning."),
            ("Okay thanks.", "You're welcome. Have a good day."),
            ("There are roaches in my kitchen.", "I'll have the exterminator out on Thursday."),
            ("I'm locked out of my unit.", "I'll send someone with a spare key right now."),
        ]
    )
    for path in (csv_file, json_file, jsonl_file):
        again = pete(data, "import", str(path), "--no-second-opinion", "--json")
        assert json.loads(again.stdout)["conversations_added"] == 0
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    refused = pete(data, "import", str(bad), "--no-second-opinion")
    assert refused.returncode == 2 and "not JSON" in refused.stderr


def test_an_interrupted_import_leaves_nothing_behind(tmp_path: Path, monkeypatch):
    from training import importer
    from training.import_cli import run_import

    seed = write_seed_db(tmp_path / "seed.db", SEED_ROWS)
    settings = make_settings(tmp_path)
    real_insert = importer.insert_conversations

    async def insert_then_interrupt(conn, items):  # type: ignore[no-untyped-def]
        await real_insert(conn, items)
        raise KeyboardInterrupt  # Ctrl-C half-way through the transaction

    monkeypatch.setattr(importer, "insert_conversations", insert_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        asyncio.run(
            run_import(
                settings,
                path=seed,
                file_format=None,
                logged_calls=False,
                second_opinion=False,
                progress=Progress(),
            )
        )
    data = settings.data_dir
    assert rows(data, "SELECT COUNT(*) AS n FROM conversations")[0]["n"] == 0
    assert rows(data, "SELECT COUNT(*) AS n FROM import_rows")[0]["n"] == 0
    monkeypatch.setattr(importer, "insert_conversations", real_insert)
    report = asyncio.run(
        run_import(
            settings,
            path=seed,
            file_format=None,
            logged_calls=False,
            second_opinion=False,
            progress=Progress(),
        )
    )
    assert report.conversations_added == 4


async def _log_calls(settings) -> None:  # type: ignore[no-untyped-def]
    writer = StoreWriter(settings.database_path)
    await writer.start()
    old = "2026-01-10T10:00:00Z"
    for call_id, channel, status, started in (
        ("vapi-1", "vapi", "ended", old),
        ("eval-1", "eval", "ended", old),
        ("live-1", "twilio_relay", "active", utc_now_iso()),
    ):
        writer.add_call(
            CallRecord(id=call_id, channel=channel, started_at=started, from_number="+15035550142")
        )
        if status == "ended":
            writer.end_call(call_id)
        for index, (said, heard, error) in enumerate(
            (
                ("My toilet is clogged.", "I'll send the plumber this afternoon.", None),
                ("Thanks.", "", "backend_unavailable: down"),
                ("When will they come?", "Between one and four today.", None),
            )
        ):
            writer.add_turn(
                TurnRecord(
                    uid=f"{call_id}-{index}",
                    call_id=call_id,
                    turn_index=index,
                    channel=channel,
                    persona="jamie",
                    model="smollm2:135m",
                    model_version=None,
                    backend="embedded",
                    user_text=said,
                    reply_text=heard,
                    started_at=started,
                    ttft_ms=1.0,
                    first_byte_out_ms=2.0,
                    total_ms=3.0,
                    tokens=5,
                    error=error,
                )
            )
    writer.execute(
        "INSERT INTO tenants (name, phone, phone_key, unit, property, created_at) "
        "VALUES ('Avery Okafor', '+15035550142', '5035550142', '4B', 'Maple Grove', :now)",
        {"now": utc_now_iso()},
    )
    await writer.close()


def test_logged_calls_become_conversations_once(tmp_path: Path):
    settings = make_settings(tmp_path)
    asyncio.run(_log_calls(settings))
    result = pete(settings.data_dir, "import", "--logged-calls", "--no-second-opinion", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["calls_read"] == 1 and report["conversations_added"] == 1  # not eval, not live
    conversation = rows(settings.data_dir, "SELECT * FROM conversations")[0]
    assert conversation["source"] == "logged" and conversation["category"] == "plumbing"
    assert json.loads(conversation["metadata"])["names"] == ["Avery Okafor"]
    assert list(exchanges_of(settings.data_dir).values()) == [
        [
            ("My toilet is clogged.", "I'll send the plumber this afternoon."),
            ("When will they come?", "Between one and four today."),
        ]
    ]
    again = pete(settings.data_dir, "import", "--logged-calls", "--no-second-opinion", "--json")
    assert json.loads(again.stdout)["conversations_added"] == 0


@pytest.mark.timeout(300)  # loads torch and embeds a small reference corpus
def test_embedding_second_opinion_decides_only_where_no_phrase_matched(tmp_path: Path):
    from training.import_cli import run_import

    settings = make_settings(tmp_path)
    corpus = [c for c in generate_demo_conversations() if c.split == "train"][:60]

    async def seed() -> None:
        from core.store.database import connect, migrate

        conn = await connect(settings.database_path)
        await migrate(conn)
        await insert_conversations(conn, corpus)
        await conn.commit()
        await conn.close()

    asyncio.run(seed())
    upload = tmp_path / "calls.jsonl"
    upload.write_text(
        "\n".join(
            json.dumps(c)
            for c in [
                {
                    "caller": "+15035550111",
                    "started_at": "2025-09-01T10:00:00Z",
                    "exchanges": [
                        {
                            "tenant": PELLETS,
                            "jamie": "I'm sorry, I'll have someone check it tomorrow.",
                        }
                    ],
                },
                {
                    "caller": "+15035550112",
                    "started_at": "2025-09-01T11:00:00Z",
                    "exchanges": [
                        {
                            "tenant": "The toilet is clogged again.",
                            "jamie": "I'll send the plumber today.",
                        }
                    ],
                },
                {
                    "caller": "+15035550113",
                    "started_at": "2025-09-01T12:00:00Z",
                    "exchanges": [
                        {
                            "tenant": "Water is coming through my bathroom ceiling from upstairs.",
                            "jamie": "I'm sending maintenance up right now.",
                        }
                    ],
                },
            ]
        )
    )
    report = asyncio.run(
        run_import(
            settings,
            path=upload,
            file_format=None,
            logged_calls=False,
            second_opinion=True,
            progress=Progress(),
        )
    )
    assert report.conversations_added == 3
    names = set(Categories.load(PROJECT_ROOT / "config").names)
    decisions = {
        json.loads(r["metadata"])["category"]["phrase_category"]: (
            r["category"],
            json.loads(r["metadata"]),
        )
        for r in rows(
            settings.data_dir, "SELECT category, metadata FROM conversations WHERE source = 'jsonl'"
        )
    }
    # No phrase of the list in it: the nearest centroid (the pest calls of the corpus) decides.
    category, meta = decisions["general_question"]
    assert category == "pest" and meta["category"]["decided_by"] == "second_opinion"
    assert meta["category"]["similarity"] >= 0.35
    category, meta = decisions["plumbing"]
    assert category == "plumbing" and meta["category"]["decided_by"] == "phrases"
    assert meta["category"]["second_opinion"] == "plumbing"
    # A phrase match wins; a second opinion that differs is kept for review, never an emergency
    # by itself (only the emergency classifier's reviewed phrases make one).
    category, meta = decisions["general_maintenance"]
    assert category == "general_maintenance" and meta["category"]["hits"] == ["ceiling"]
    assert meta["category"]["second_opinion"] not in (None, "general_maintenance")
    assert meta["category"]["second_opinion"] in names
    assert report.second_opinion_disagrees == 1
