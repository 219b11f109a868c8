"""What a provider reports when a call ends, written onto the call's own record.

The report may come before any turn (a caller who hung up at the greeting) or after every turn,
so the write is an upsert keyed by the call id: it creates the call if needed, marks it ended,
and fills only the fields the report carries.
"""

from __future__ import annotations

from pydantic import BaseModel

from core.clock import utc_now_iso
from core.store.writer import StoreWriter

_UPSERT_ENDED_CALL = """
INSERT INTO calls (id, channel, provider_call_id, from_number, to_number, direction,
                   started_at, last_activity_at, status, ended_at, ended_reason, transcript,
                   summary, recording_url, cost)
VALUES (:call_id, :channel, :provider_call_id, :from_number, :to_number, :direction,
        :started_at, :received_at, 'ended', :ended_at, :ended_reason, :transcript,
        :summary, :recording_url, :cost)
ON CONFLICT(id) DO UPDATE SET
    status = 'ended',
    last_activity_at = excluded.last_activity_at,
    ended_at = COALESCE(excluded.ended_at, calls.ended_at),
    ended_reason = COALESCE(excluded.ended_reason, calls.ended_reason),
    transcript = COALESCE(excluded.transcript, calls.transcript),
    summary = COALESCE(excluded.summary, calls.summary),
    recording_url = COALESCE(excluded.recording_url, calls.recording_url),
    cost = COALESCE(excluded.cost, calls.cost),
    provider_call_id = COALESCE(calls.provider_call_id, excluded.provider_call_id),
    from_number = COALESCE(calls.from_number, excluded.from_number),
    to_number = COALESCE(calls.to_number, excluded.to_number),
    direction = COALESCE(calls.direction, excluded.direction)
"""


class CallEndReport(BaseModel):
    call_id: str
    channel: str
    ended_reason: str | None = None
    transcript: str | None = None
    summary: str | None = None
    recording_url: str | None = None
    cost: float | None = None
    started_at: str | None = None
    ended_at: str | None = None
    provider_call_id: str | None = None
    from_number: str | None = None
    to_number: str | None = None
    direction: str | None = None


def queue_call_end(writer: StoreWriter, report: CallEndReport) -> None:
    """Queue the upsert; it commits with the writer's next batch (no waiting here)."""
    received_at = utc_now_iso()
    params = report.model_dump()
    params["received_at"] = received_at
    params["started_at"] = report.started_at or received_at
    params["ended_at"] = report.ended_at or received_at
    writer.execute(_UPSERT_ENDED_CALL, params)
