"""`pete eval` end to end: the embedded model, real scoring, a small held-out set."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from core.settings import PROJECT_ROOT

PETE = str(Path(sys.executable).parent / "pete")
HELD_OUT = [
    {
        "id": "h-1",
        "source": "test",
        "category": "plumbing",
        "split": "held_out",
        "exchanges": [
            {
                "tenant": "My bathroom sink is clogged.",
                "jamie": "Sorry about that. I'll have the plumber come by tomorrow morning.",
            },
            {"tenant": "Do I need to be home?", "jamie": "No need, they have a key."},
        ],
    },
    {
        "id": "h-2",
        "source": "test",
        "category": "emergency_gas_leak",
        "split": "held_out",
        "exchanges": [{"tenant": "I smell gas in the kitchen.", "jamie": "Leave now."}],
    },
    {
        "id": "t-1",
        "source": "test",
        "category": "pest",
        "split": "train",
        "exchanges": [
            {"tenant": "I saw mice.", "jamie": "Sorry to hear that. Pest control comes Monday."}
        ],
    },
]


@pytest.mark.timeout(900)  # nine full replies from the CPU model, plus loading torch
def test_eval_reports_quality_and_latency(tmp_path: Path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("\n".join(json.dumps(c) for c in HELD_OUT))
    env = {**os.environ, "PETE_DATA_DIR": str(tmp_path / "data"), "OLLAMA_HOST": "127.0.0.1:9"}
    subprocess.run(
        [PETE, "conversations", "import", str(corpus)], env=env, check=True, capture_output=True
    )
    result = subprocess.run(
        [PETE, "eval", "--backend", "embedded", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    with (PROJECT_ROOT / "config" / "quality" / "adversarial.toml").open("rb") as handle:
        adversarial = len(tomllib.load(handle)["cases"])
    assert report["cases"] == 3 + adversarial  # every held-out tenant turn, then adversarial
    assert report["errors"] == 0 and report["backend"] == "embedded"
    assert report["emergency_cases"] == 1 and report["emergency_recall"] == 1.0
    assert 0 <= report["pass_rate"] <= 1 and 0 <= report["mean_jamie_score"] <= 100
    assert 0 < report["ttft_ms_p50"] <= report["ttft_ms_p95"]
    with sqlite3.connect(tmp_path / "data" / "pete.db") as conn:
        scored = conn.execute(
            "SELECT COUNT(*) FROM turns t JOIN turn_scores s ON s.turn_uid = t.uid "
            "WHERE t.channel = 'eval'"
        ).fetchone()[0]
    assert scored == report["cases"]
