"""Per-model figures computed by SQLite from stored turns, and the SVG charts drawn from them."""

from __future__ import annotations

import sqlite3
import uuid
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from pathlib import Path

import pendulum
import pytest

from admin.charts import bar_chart, line_chart
from admin.metrics import decode_rate
from admin.stats_api import stats_csv
from admin.stats_queries import model_figures
from core.stats import percentile
from core.store.database import Database

NOW = pendulum.now("UTC")


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(tmp_path / "pete.db")
    await db.open()
    yield db
    await db.close()


def insert_turns(db: Database, turns: list[dict]) -> None:
    with sqlite3.connect(db.path) as conn:
        conn.execute(
            "INSERT INTO calls (id, channel, started_at, last_activity_at) VALUES ('c', 'vapi', "
            "'2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')"
        )
        for index, turn in enumerate(turns):
            fields = {
                "model": "a",
                "model_version": None,
                "channel": "vapi",
                "started_at": NOW.subtract(minutes=30).to_iso8601_string(),
                "ttft_ms": 100.0,
                "total_ms": 1100.0,
                "tokens": 21,
                "interrupted": 0,
                "error": None,
                **{k: v for k, v in turn.items() if k not in ("passed", "score")},
            }
            uid = uuid.uuid4().hex
            conn.execute(
                "INSERT INTO turns (uid, call_id, turn_index, channel, persona, model, "
                "model_version, backend, user_text, reply_text, started_at, ttft_ms, total_ms, "
                "tokens, interrupted, error) VALUES (?, 'c', ?, ?, 'jamie', ?, ?, 'x', 'u', 'r', "
                "?, ?, ?, ?, ?, ?)",
                (
                    uid,
                    index,
                    fields["channel"],
                    fields["model"],
                    fields["model_version"],
                    fields["started_at"],
                    fields["ttft_ms"],
                    fields["total_ms"],
                    fields["tokens"],
                    fields["interrupted"],
                    fields["error"],
                ),
            )
            if "score" in turn:
                conn.execute(
                    "INSERT INTO turn_scores (turn_uid, passed, jamie_score, scored_at) "
                    "VALUES (?, ?, ?, 'now')",
                    (uid, turn["passed"], turn["score"]),
                )


async def test_figures_per_model_and_version(database: Database):
    insert_turns(
        database,
        [
            {"ttft_ms": 100.0, "passed": 1, "score": 0.8},
            {"ttft_ms": 200.0, "passed": 0, "score": 0.4, "interrupted": 1},
            {"ttft_ms": 300.0, "total_ms": 2300.0},
            {"ttft_ms": None, "total_ms": 50.0, "tokens": 0, "error": "backend_unavailable"},
            {"model_version": "v2", "ttft_ms": 50.0},
            {"channel": "web", "ttft_ms": 70.0},
        ],
    )
    stats, series = await model_figures(database, window_hours=24, channel="vapi")
    by_key = {(s.model, s.version): s for s in stats}
    a = by_key[("a", None)]
    assert a.turns == 4 and a.errors == 1 and a.interruptions == 1
    assert a.ttft_p50_ms == 200.0 and a.ttft_p95_ms == pytest.approx(290.0)
    assert a.total_p50_ms == pytest.approx(1100.0)  # failed turns don't count as replies
    # 20 tokens after the first over 1.0 s, 0.9 s and 2.0 s of decoding
    assert a.tokens_per_s == pytest.approx(60 / 3.9, rel=1e-3)
    assert a.scored == 2 and a.pass_rate == 0.5 and a.mean_jamie_score == pytest.approx(0.6)
    assert by_key[("a", "v2")].turns == 1 and by_key[("a", "v2")].pass_rate is None
    assert stats[0].version is None  # busiest first
    assert [p.turns for p in series["a"]] == [4] and [p.turns for p in series["a @ v2"]] == [1]

    everything, _ = await model_figures(database, window_hours=None, with_series=False)
    assert sum(s.turns for s in everything) == 6


async def test_percentiles_match_the_shared_helper(database: Database):
    ttfts = [float(v) for v in (5, 90, 13, 250, 47, 47, 120, 61, 8, 300, 75, 33, 19)]
    insert_turns(database, [{"ttft_ms": v} for v in ttfts])
    [a], _ = await model_figures(database, window_hours=None, with_series=False)
    assert a.ttft_p50_ms == pytest.approx(percentile(ttfts, 50))
    assert a.ttft_p95_ms == pytest.approx(percentile(ttfts, 95))


async def test_time_series_buckets_by_hour_and_filters_models(database: Database):
    hour = NOW.subtract(hours=3).start_of("hour")
    insert_turns(
        database,
        [
            {"started_at": hour.add(minutes=5).to_iso8601_string(), "passed": 1, "score": 1.0},
            {"started_at": hour.add(minutes=50).to_iso8601_string(), "passed": 0, "score": 0.0},
            {"started_at": hour.add(minutes=65).to_iso8601_string()},
            {"model": "b", "started_at": hour.add(minutes=65).to_iso8601_string()},
        ],
    )
    _, series = await model_figures(database, window_hours=24, models=["a"])
    assert list(series) == ["a"]
    assert [(p.turns, p.mean_jamie_score, p.pass_rate) for p in series["a"]] == [
        (2, 0.5, 0.5),
        (1, None, None),
    ]
    assert series["a"][0].bucket == hour.to_iso8601_string()[:13]


def test_decode_rate():
    assert decode_rate(21, 100.0, 1100.0) == 20.0
    assert decode_rate(1, 100.0, 1100.0) is None
    assert decode_rate(5, None, 1100.0) is None
    assert decode_rate(5, 100.0, 100.0) is None


async def test_csv_has_a_header_and_one_line_per_model(database: Database):
    insert_turns(database, [{"model": "a"}, {"model": "b"}, {"model": "b"}])
    stats, _ = await model_figures(database, window_hours=None, with_series=False)
    lines = stats_csv(stats).splitlines()
    assert lines[0].startswith("model,version,turns,ttft_p50_ms")
    assert lines[1].startswith("b,,2,") and lines[2].startswith("a,,1,")


def test_line_chart_is_valid_svg_with_escaped_labels():
    svg = line_chart(
        "TTFT <p50>",
        {"m<1>": [("2026-11-26T10", 120.0), ("2026-11-26T11", None), ("2026-11-26T12", 80.0)]},
        unit="ms",
    )
    root = ET.fromstring(str(svg))
    assert root.tag.endswith("svg") and root.get("role") == "img"
    titles = [el.text for el in root.iter() if el.tag.endswith("title")]
    assert "TTFT <p50>" in titles
    assert any(t and t.startswith("m<1>, 2026-11-26T12: 80 ms") for t in titles)
    assert len([el for el in root.iter() if el.tag.endswith("circle")]) == 2


def test_charts_without_data_say_so():
    assert "no data yet" in str(line_chart("Turns", {}))
    assert "no data yet" in str(bar_chart("Turns", [("a", None)]))


def test_bar_chart_has_one_bar_per_model():
    svg = bar_chart("Tokens per second", [("a", 10.0), ("b", 20.0), ("c", None)], unit="tok/s")
    root = ET.fromstring(str(svg))
    bars = [el for el in root.iter() if el.tag.endswith("rect")]
    widths = [float(el.get("width")) for el in bars]
    assert len(bars) == 3 and widths[1] == pytest.approx(2 * widths[0]) and widths[2] == 0
