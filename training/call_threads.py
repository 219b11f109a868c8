"""Threads: a caller's calls less than a time window apart are one conversation.

A thread's id is a hash of its calls' fingerprints, so importing the same calls again gives
the same ids; its split is fixed by that id (every n-th hash bucket is held out)."""

from __future__ import annotations

import hashlib
from collections import defaultdict

import pendulum
from pydantic import BaseModel

from training.imported_calls import ImportedCall


class CallThread(BaseModel):
    id: str
    calls: list[ImportedCall]

    @property
    def started_at(self) -> str | None:
        return self.calls[0].started_at

    @property
    def caller_key(self) -> str | None:
        return self.calls[0].caller_key

    def tenant_texts(self) -> list[str]:
        return [e.tenant for call in self.calls for e in call.exchanges]

    def openings(self) -> list[str]:
        """What each call was about: its first tenant line."""
        return [call.exchanges[0].tenant for call in self.calls if call.exchanges]


def _moment(stamp: str | None) -> pendulum.DateTime:
    parsed = pendulum.parse(stamp or "")
    if isinstance(parsed, pendulum.DateTime):
        return parsed
    if isinstance(parsed, pendulum.Date):  # a day alone: its start, UTC
        return pendulum.datetime(parsed.year, parsed.month, parsed.day, tz="UTC")
    raise ValueError(f"not a date and time: {stamp!r}")


def thread_id(source: str, calls: list[ImportedCall]) -> str:
    digest = hashlib.sha256("\n".join(c.fingerprint for c in calls).encode()).hexdigest()
    return f"{source}-{digest[:16]}"


def held_out(conversation_id: str, every: int) -> bool:
    bucket = int(hashlib.sha256(conversation_id.encode()).hexdigest()[:8], 16)
    return bucket % every == 0


def _order(call: ImportedCall) -> tuple[str, str]:
    return (call.started_at or "", call.fingerprint)


def group_threads(source: str, calls: list[ImportedCall], window_hours: float) -> list[CallThread]:
    """Threads in order of their first call; calls with no caller or no time stand alone."""
    by_caller: dict[str, list[ImportedCall]] = defaultdict(list)
    groups: list[list[ImportedCall]] = []
    for call in calls:
        if call.caller_key and call.started_at:
            by_caller[call.caller_key].append(call)
        else:
            groups.append([call])
    window_s = window_hours * 3600
    for caller_calls in by_caller.values():
        caller_calls.sort(key=_order)
        current = [caller_calls[0]]
        for call in caller_calls[1:]:
            gap = (_moment(call.started_at) - _moment(current[-1].started_at)).total_seconds()
            if gap <= window_s:
                current.append(call)
            else:
                groups.append(current)
                current = [call]
        groups.append(current)
    groups.sort(key=lambda group: _order(group[0]))
    return [CallThread(id=thread_id(source, group), calls=group) for group in groups]
