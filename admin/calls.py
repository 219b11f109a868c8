"""Calls as the admin sees them: in progress now, recent, and one call's whole transcript."""

from __future__ import annotations

import json
from typing import Any

import pendulum

from core.store.database import Database

LIVE_WINDOW_MINUTES = 10

_LIVE = """
SELECT c.id, c.channel, c.started_at, c.from_number, c.persona,
       COUNT(t.id) AS turns,
       MAX(COALESCE(MAX(t.started_at), c.started_at), c.last_activity_at) AS last_activity_at,
       (SELECT user_text FROM turns WHERE call_id = c.id ORDER BY turn_index DESC LIMIT 1)
           AS last_user_text,
       (SELECT model FROM turns WHERE call_id = c.id ORDER BY turn_index DESC LIMIT 1)
           AS model
FROM calls c LEFT JOIN turns t ON t.call_id = c.id
WHERE c.status = 'active' AND c.ended_at IS NULL
GROUP BY c.id
HAVING last_activity_at >= ?
ORDER BY last_activity_at DESC
LIMIT 100
"""

_RECENT = """
SELECT c.id, c.channel, c.status, c.started_at, c.ended_at, c.from_number, c.persona,
       COUNT(t.id) AS turns, SUM(t.interrupted) AS interruptions,
       SUM(t.error IS NOT NULL) AS errors
FROM calls c LEFT JOIN turns t ON t.call_id = c.id
WHERE (? IS NULL OR c.channel = ?)
GROUP BY c.id
ORDER BY c.started_at DESC
LIMIT ?
"""

_TURNS = """
SELECT t.uid, t.turn_index, t.started_at, t.model, t.model_version, t.user_text, t.reply_text,
       t.ttft_ms, t.first_byte_out_ms, t.total_ms, t.tokens, t.interrupted, t.finish_reason,
       t.error, s.passed, s.jamie_score, s.violations
FROM turns t LEFT JOIN turn_scores s ON s.turn_uid = t.uid
WHERE t.call_id = ?
ORDER BY t.turn_index, t.id
"""


async def live_calls(database: Database) -> list[dict[str, Any]]:
    """Calls not ended whose last turn (or start) is within the last few minutes."""
    since = pendulum.now("UTC").subtract(minutes=LIVE_WINDOW_MINUTES).to_iso8601_string()
    return await database.fetch_all(_LIVE, (since,))


async def recent_calls(
    database: Database, *, limit: int = 50, channel: str | None = None
) -> list[dict[str, Any]]:
    return await database.fetch_all(_RECENT, (channel, channel, limit))


def _loads(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


async def call_transcript(database: Database, call_id: str) -> dict[str, Any] | None:
    """The call, and its turns and events merged in time order."""
    calls = await database.fetch_all("SELECT * FROM calls WHERE id = ?", (call_id,))
    if not calls:
        return None
    call = calls[0]
    call["metadata"] = _loads(call.get("metadata"))
    timeline: list[dict[str, Any]] = []
    for turn in await database.fetch_all(_TURNS, (call_id,)):
        turn["violations"] = _loads(turn["violations"])
        turn["interrupted"] = bool(turn["interrupted"])
        timeline.append({"kind": "turn", "at": turn["started_at"], **turn})
    events = await database.fetch_all(
        "SELECT id, source, kind, created_at, payload FROM events "
        "WHERE call_id = ? ORDER BY created_at, id",
        (call_id,),
    )
    for event in events:
        timeline.append(
            {
                "kind": "tool_call" if event["kind"] == "tool_call" else "event",
                "at": event["created_at"],
                "source": event["source"],
                "event_kind": event["kind"],
                "payload": _loads(event["payload"]),
            }
        )
    timeline.sort(key=lambda item: item["at"])
    return {"call": call, "timeline": timeline}
