"""Calls from a SQLite database shaped like the seed's `pete.db`: table `communication_logs`
(`Incoming`, `Data`, `CreationDate`, `Transcription`, `TranscriptionJson`; no id column).

`Data` is the phone system's JSON about the call: `ContactDisplayName` and
`ContactPhoneNumber` (when present) name the caller. Speakers come from `TranscriptionJson`;
only a row without one (or with one that cannot be read) falls back to the plain text.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from training.imported_calls import (
    ImportedCall,
    ImportProblem,
    caller_key,
    exchanges_from,
    fingerprint,
    parse_direction,
    utc_timestamp,
)
from training.speakers import SpeakerResolver, TranscriptUnreadable, labelled_segments

TABLE = "communication_logs"
COLUMNS = ("Incoming", "Data", "CreationDate", "Transcription", "TranscriptionJson")
_PHONE_KEYS = ("ContactPhoneNumber", "PhoneNumber", "FromNumber", "From", "CallerNumber")
_NAME_KEYS = ("ContactDisplayName", "ContactName", "DisplayName", "CallerName")


class NotASeedDatabase(ValueError):
    pass


def is_seed_database(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def _contact(data_text: Any) -> tuple[str | None, str | None]:
    if not data_text:
        return None, None
    try:
        data = json.loads(data_text) if isinstance(data_text, str) else data_text
    except json.JSONDecodeError:
        return None, None
    if not isinstance(data, dict):
        return None, None
    phone = next((str(data[k]) for k in _PHONE_KEYS if data.get(k)), None)
    name = next((str(data[k]) for k in _NAME_KEYS if data.get(k)), None)
    return phone, name


def read_seed_database(
    path: Path, resolver: SpeakerResolver
) -> tuple[list[ImportedCall], list[ImportProblem], int]:
    """The calls, the rows that could not be read (with why), and how many rows had no
    tenant-to-Jamie exchange (voicemails, one-sided recordings)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise NotASeedDatabase(f"{path}: {exc}") from exc
    try:
        names = {r[1] for r in conn.execute(f"PRAGMA table_info({TABLE})")}
        missing = [c for c in COLUMNS if c not in names]
        if not names:
            raise NotASeedDatabase(f"{path} has no table {TABLE!r}")
        if missing:
            raise NotASeedDatabase(f"{path}: {TABLE} lacks the columns {missing}")
        rows = conn.execute(
            f"SELECT rowid, {', '.join(COLUMNS)} FROM {TABLE} ORDER BY rowid"
        ).fetchall()
    except sqlite3.DatabaseError as exc:
        raise NotASeedDatabase(f"{path}: {exc}") from exc
    finally:
        conn.close()
    calls, problems, empty = [], [], 0
    for rowid, incoming, data, created, transcription, transcription_json in rows:
        ref = f"row {rowid}"
        try:
            call = _read_row(
                ref, resolver, incoming, data, created, transcription, transcription_json
            )
        except ValueError as exc:
            problems.append(ImportProblem(ref=ref, message=str(exc)))
            continue
        if call.exchanges:
            calls.append(call)
        else:
            empty += 1
    return calls, problems, empty


def _read_row(
    ref: str,
    resolver: SpeakerResolver,
    incoming_value: Any,
    data: Any,
    created: Any,
    transcription: Any,
    transcription_json: Any,
) -> ImportedCall:
    if created is None:
        raise ValueError("CreationDate is empty")
    started_at = utc_timestamp(created)
    incoming = parse_direction(incoming_value)
    split = None
    if transcription_json:
        try:
            split = resolver.from_labels(labelled_segments(transcription_json), incoming, "labels")
        except TranscriptUnreadable:
            split = None  # unreadable JSON: the plain text below, if there is any
    if split is None:
        if not transcription or not str(transcription).strip():
            raise ValueError("no transcript (Transcription and TranscriptionJson are empty)")
        split = resolver.from_text(str(transcription), incoming)
    phone, name = _contact(data)
    return ImportedCall(
        ref=ref,
        fingerprint=fingerprint(
            "seed", started_at, incoming, data, transcription, transcription_json
        ),
        caller_key=caller_key(phone or name),
        names=[name] if name else [],
        started_at=started_at,
        incoming=incoming,
        exchanges=exchanges_from(split),
        speaker_source=split.source,
        named_by=split.named_by,
    )
