"""Calls from uploaded CSV, JSON and JSONL files (the command line and the admin page).

A call object (a JSON array item, a JSONL line):
    {"call_id"?, "caller"?, "caller_name"?, "started_at"?, "direction"?,  and one of
     "turns": [{"speaker": "tenant"|"jamie"|<label>, "text"}],  "exchanges": [{"tenant", "jamie"}],
     "transcript_json": <TranscriptionJson>,  "transcript": "<plain text>"}
A CSV file has a header row and either a `transcript` column (one call a row) or `tenant` and
`jamie` columns (one exchange a row; rows with the same `call_id` are one call), plus the
optional `call_id`, `caller`, `caller_name`, `started_at`, `direction` columns.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError, model_validator

from core.corpus import Exchange
from training.imported_calls import (
    ImportedCall,
    ImportProblem,
    caller_key,
    exchanges_from,
    fingerprint,
    parse_direction,
    utc_timestamp,
)
from training.speakers import (
    SpeakerResolver,
    SpeakerSplit,
    TranscriptUnreadable,
    labelled_segments,
)

UploadFormat = Literal["csv", "json", "jsonl"]


class TurnIn(BaseModel):
    speaker: str
    text: str


class ExchangeIn(BaseModel):
    tenant: str
    jamie: str


class CallIn(BaseModel):
    call_id: str | None = None
    caller: str | None = None
    caller_name: str | None = None
    started_at: str | int | float | None = None
    direction: str | bool | None = None
    turns: list[TurnIn] | None = None
    exchanges: list[ExchangeIn] | None = None
    transcript_json: Any = None
    transcript: str | None = None

    @model_validator(mode="after")
    def _has_content(self) -> CallIn:
        if not (self.turns or self.exchanges or self.transcript_json or self.transcript):
            raise ValueError("a call needs turns, exchanges, transcript_json or transcript")
        return self


def _call(ref: str, item: CallIn, resolver: SpeakerResolver) -> ImportedCall:
    started_at = utc_timestamp(item.started_at) if item.started_at not in (None, "") else None
    incoming = parse_direction(item.direction)
    split: SpeakerSplit | None = None
    if item.exchanges:
        exchanges = [
            Exchange(tenant=e.tenant.strip(), jamie=e.jamie.strip())
            for e in item.exchanges
            if e.tenant.strip() and e.jamie.strip()
        ]
        source, named_by = "given", "given"
    else:
        if item.turns:
            pairs = [(t.speaker, " ".join(t.text.split())) for t in item.turns if t.text.strip()]
            split = resolver.from_labels(pairs, incoming, "labels")
        elif item.transcript_json:
            try:
                split = resolver.from_labels(
                    labelled_segments(item.transcript_json), incoming, "labels"
                )
            except TranscriptUnreadable as exc:
                if not item.transcript:
                    raise ValueError(f"transcript_json: {exc}") from exc
        if split is None:
            split = resolver.from_text(item.transcript or "", incoming)
        exchanges, source, named_by = exchanges_from(split), split.source, split.named_by
    content = [(e.tenant, e.jamie) for e in exchanges]
    return ImportedCall(
        ref=ref,
        fingerprint=fingerprint("call", started_at, item.caller, content),
        caller_key=caller_key(item.caller or item.caller_name),
        names=[item.caller_name] if item.caller_name else [],
        started_at=started_at,
        incoming=incoming,
        exchanges=exchanges,
        speaker_source=source,
        named_by=named_by,
    )


def _validation_message(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return f"{where}: {first['msg']}" if where else str(first["msg"])


def _read_items(
    items: list[tuple[str, Any]], resolver: SpeakerResolver
) -> tuple[list[ImportedCall], list[ImportProblem], int]:
    calls, problems, empty = [], [], 0
    for ref, raw in items:
        try:
            item = CallIn.model_validate(raw)
            call = _call(ref, item, resolver)
        except ValidationError as exc:
            problems.append(ImportProblem(ref=ref, message=_validation_message(exc)))
            continue
        except ValueError as exc:
            problems.append(ImportProblem(ref=ref, message=str(exc)))
            continue
        if call.exchanges:
            calls.append(call)
        else:
            empty += 1
    return calls, problems, empty


def _json_items(text: str) -> list[tuple[str, Any]]:
    data = json.loads(text)
    if isinstance(data, dict) and isinstance(data.get("calls"), list):
        data = data["calls"]
    if not isinstance(data, list):
        raise ValueError('a JSON upload is an array of calls (or {"calls": [...]})')
    return [(f"item {i}", item) for i, item in enumerate(data, start=1)]


def _jsonl_items(text: str) -> tuple[list[tuple[str, Any]], list[ImportProblem]]:
    items, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append((f"line {number}", json.loads(line)))
        except json.JSONDecodeError as exc:
            problems.append(ImportProblem(ref=f"line {number}", message=f"not JSON: {exc.msg}"))
    return items, problems


def _csv_items(text: str) -> tuple[list[tuple[str, Any]], list[ImportProblem]]:
    reader = csv.DictReader(io.StringIO(text))
    columns = {c.strip() for c in reader.fieldnames or []}
    if "transcript" not in columns and not {"tenant", "jamie"} <= columns:
        raise ValueError("a CSV upload needs a `transcript` column, or `tenant` and `jamie`")
    per_exchange = "transcript" not in columns
    items: list[tuple[str, Any]] = []
    grouped: dict[str, tuple[str, dict[str, Any]]] = {}
    problems: list[ImportProblem] = []
    for raw in reader:
        number = reader.line_num  # the record's last line (a quoted field may span lines)
        if None in raw:  # csv puts surplus fields under the key None
            problems.append(ImportProblem(ref=f"line {number}", message="more fields than columns"))
            continue
        row = {k.strip(): (v or "").strip() for k, v in raw.items()}
        meta = {k: row.get(k) or None for k in ("call_id", "caller", "caller_name", "started_at")}
        meta["direction"] = row.get("direction") or None
        if not per_exchange:
            items.append((f"line {number}", {**meta, "transcript": row.get("transcript") or None}))
            continue
        if not row.get("tenant") or not row.get("jamie"):
            problems.append(ImportProblem(ref=f"line {number}", message="tenant or jamie empty"))
            continue
        key = row.get("call_id") or f"line {number}"
        _ref, call = grouped.setdefault(key, (f"line {number}", {**meta, "exchanges": []}))
        call["exchanges"].append({"tenant": row["tenant"], "jamie": row["jamie"]})
    items += list(grouped.values())
    return items, problems


def detect_format(path: Path) -> UploadFormat:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("csv", "json", "jsonl"):
        return suffix  # type: ignore[return-value]
    if suffix == "ndjson":
        return "jsonl"
    raise ValueError(f"{path.name}: unknown file type (expected .csv, .json, .jsonl or .db)")


def read_upload(
    text: str, file_format: UploadFormat, resolver: SpeakerResolver
) -> tuple[list[ImportedCall], list[ImportProblem], int]:
    """Raises ValueError when the file as a whole is unreadable (bad JSON, no needed columns)."""
    problems: list[ImportProblem] = []
    if file_format == "json":
        try:
            items = _json_items(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not JSON (line {exc.lineno}): {exc.msg}") from exc
    elif file_format == "jsonl":
        items, problems = _jsonl_items(text)
    else:
        items, problems = _csv_items(text)
    calls, bad, empty = _read_items(items, resolver)
    problems = sorted([*problems, *bad], key=lambda p: int(p.ref.split()[-1]))
    return calls, problems, empty
