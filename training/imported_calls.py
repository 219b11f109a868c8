"""One imported call, whatever it came from (seed database row, CSV/JSON/JSONL upload, logged
call), and the helpers every reader shares: fingerprints, caller keys, timestamps."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import pendulum
from pydantic import BaseModel, Field

from core.corpus import Exchange
from training.speakers import SpeakerSplit, pair_exchanges


class ImportProblem(BaseModel):
    ref: str  # where in the input: "row 12", "line 3", "item 4"
    message: str


class ImportedCall(BaseModel):
    ref: str
    fingerprint: str  # sha256 of the call's content: the same call imported twice is skipped
    caller_key: str | None = None
    names: list[str] = Field(default_factory=list)  # the caller's name(s), for PII scrubbing
    started_at: str | None = None
    incoming: bool | None = None
    exchanges: list[Exchange]
    speaker_source: str
    named_by: str


def fingerprint(*parts: Any) -> str:
    canonical = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def caller_key(caller: str | None) -> str | None:
    """A stable key per caller that is not the number itself (last ten digits, hashed)."""
    if caller is None or not str(caller).strip():
        return None
    text = str(caller).strip()
    digits = re.sub(r"\D", "", text)
    basis = digits[-10:] if len(digits) >= 7 else text.lower()
    return "caller-" + hashlib.sha256(basis.encode()).hexdigest()[:12]


def utc_timestamp(value: Any) -> str:
    """ISO 8601 UTC from a date string or epoch seconds/milliseconds; raises ValueError."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > 1e11 else value
        return pendulum.from_timestamp(seconds, tz="UTC").to_iso8601_string()
    text = str(value).strip()
    if not text:
        raise ValueError("empty date")
    try:
        parsed = pendulum.parse(text, strict=False, tz="UTC")
    except Exception as exc:  # pendulum raises its own ParserError and ValueError
        raise ValueError(f"unreadable date {text!r}") from exc
    if not isinstance(parsed, pendulum.DateTime):
        if isinstance(parsed, pendulum.Date):
            parsed = pendulum.datetime(parsed.year, parsed.month, parsed.day, tz="UTC")
        else:
            raise ValueError(f"unreadable date {text!r}")
    return parsed.in_timezone("UTC").to_iso8601_string()


def parse_direction(value: Any) -> bool | None:
    """True for an incoming call, False for outgoing, None when unknown."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "incoming", "inbound", "in", "inboundphonecall"):
        return True
    if text in ("0", "false", "no", "outgoing", "outbound", "out", "outboundphonecall"):
        return False
    raise ValueError(f"unknown direction {value!r}")


def exchanges_from(split: SpeakerSplit) -> list[Exchange]:
    return [Exchange(tenant=t, jamie=j) for t, j in pair_exchanges(split.utterances)]
