"""`pete demo-data` and `pete conversations export|import`, run as a user would."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from core.tools.tenants import demo_tenants
from training.demo_data import generate_demo_conversations

PETE = str(Path(sys.executable).parent / "pete")
DEMO = generate_demo_conversations()
HELD_OUT = sum(c.split == "held_out" for c in DEMO)


def pete(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PETE_DATA_DIR": str(data_dir)}
    return subprocess.run([PETE, *args], env=env, capture_output=True, text=True, timeout=120)


def count(data_dir: Path, table: str) -> int:
    with sqlite3.connect(data_dir / "pete.db") as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_demo_data_is_stored_once(tmp_path: Path):
    first = pete(tmp_path, "demo-data")
    assert first.returncode == 0, first.stderr
    assert f"{len(DEMO)} generated" in first.stdout and f"{len(DEMO)} new" in first.stdout
    second = pete(tmp_path, "demo-data")
    assert "0 new" in second.stdout
    assert count(tmp_path, "conversations") == len(DEMO)
    tenants = len(demo_tenants())
    assert count(tmp_path, "tenants") == tenants and f"demo tenants: {tenants}" in second.stdout
    with sqlite3.connect(tmp_path / "pete.db") as conn:
        held_out = conn.execute("SELECT COUNT(*) FROM conversations WHERE split='held_out'")
        assert held_out.fetchone()[0] == HELD_OUT


def test_export_then_import_elsewhere_round_trips(tmp_path: Path):
    source, target = tmp_path / "a", tmp_path / "b"
    pete(source, "demo-data")
    exported = tmp_path / "held_out.jsonl"
    result = pete(source, "conversations", "export", str(exported), "--split", "held_out")
    assert result.returncode == 0 and f"exported {HELD_OUT}" in result.stdout
    lines = exported.read_text().splitlines()
    assert len(lines) == HELD_OUT and json.loads(lines[0])["split"] == "held_out"
    imported = pete(target, "conversations", "import", str(exported))
    assert f"imported {HELD_OUT} new" in imported.stdout
    assert count(target, "exchanges") == sum(len(json.loads(x)["exchanges"]) for x in lines)


def test_import_reports_bad_lines_and_adds_nothing_twice(tmp_path: Path):
    good = {
        "id": "imp-1",
        "source": "import",
        "category": "plumbing",
        "exchanges": [{"tenant": "My sink leaks.", "jamie": "I'll send a plumber today."}],
    }
    rows = [
        json.dumps(good),
        "{not json",
        json.dumps({**good, "id": "imp-2", "exchanges": []}),
        json.dumps({**good, "id": "imp-3"}),
        "",
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(rows))
    first = pete(tmp_path / "data", "conversations", "import", str(path))
    assert first.returncode == 0
    assert "imported 2 new" in first.stdout and "2 bad lines skipped" in first.stdout
    assert f"{path}:2: skipped" in first.stderr and f"{path}:3: skipped: exchanges" in first.stderr
    second = pete(tmp_path / "data", "conversations", "import", str(path))
    assert "imported 0 new conversations (2 already present" in second.stdout
    assert count(tmp_path / "data", "conversations") == 2
