"""Input files shaped like the real ones, built in the test: the seed's `pete.db`
(`communication_logs`, no id column, as pandas' to_sql writes it) and uploads."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any


def seed_row(
    created: str | None,
    *,
    phone: str | None = None,
    name: str | None = None,
    incoming: int = 1,
    segments: list[dict[str, Any]] | None = None,
    transcription: str | None = None,
    raw_json: str | None = None,  # TranscriptionJson as stored, readable or not
) -> tuple[Any, ...]:
    data = json.dumps({"ContactDisplayName": name, "ContactPhoneNumber": phone, "Duration": 95})
    return (
        incoming,
        data,
        created,
        transcription,
        json.dumps(segments) if segments is not None else raw_json,
    )


def write_seed_db(path: Path, rows: list[tuple[Any, ...]]) -> Path:
    with sqlite3.connect(path) as conn:
        conn.execute(
            'CREATE TABLE communication_logs ("Incoming" INTEGER, "Data" TEXT, '
            '"CreationDate" TIMESTAMP, "Transcription" TEXT, "TranscriptionJson" TEXT)'
        )
        conn.executemany("INSERT INTO communication_logs VALUES (?, ?, ?, ?, ?)", rows)
    return path
