"""The project's own logged calls as imported calls: each turn is an exchange (what the tenant
said, what they heard). Evaluation, replay and benchmark turns are not calls and are left out,
and so are turns that failed or said nothing; a call is imported once it ended or went idle."""

from __future__ import annotations

import aiosqlite
import pendulum

from core.corpus import Exchange
from training.imported_calls import ImportedCall, caller_key, fingerprint, parse_direction

NOT_CALLS = ("eval", "replay", "bench")


async def read_logged_calls(conn: aiosqlite.Connection, idle_minutes: float) -> list[ImportedCall]:
    idle_before = pendulum.now("UTC").subtract(seconds=int(idle_minutes * 60)).to_iso8601_string()
    marks = ",".join("?" * len(NOT_CALLS))
    sql = (
        "SELECT c.id, c.from_number, c.direction, c.started_at, t.user_text, t.reply_text, "
        "tn.name FROM calls c JOIN turns t ON t.call_id = c.id "
        "LEFT JOIN tenants tn ON tn.phone = c.from_number "
        f"WHERE c.channel NOT IN ({marks}) AND t.channel NOT IN ({marks}) "
        "AND t.error IS NULL AND TRIM(t.reply_text) != '' AND TRIM(t.user_text) != '' "
        "AND (c.status != 'active' OR c.last_activity_at < ?) "
        "ORDER BY c.started_at, c.id, t.turn_index"
    )
    calls: dict[str, ImportedCall] = {}
    async with conn.execute(sql, (*NOT_CALLS, *NOT_CALLS, idle_before)) as cursor:
        async for call_id, number, direction, started_at, said, heard, name in cursor:
            call = calls.get(call_id)
            if call is None:
                try:
                    incoming = parse_direction(direction)
                except ValueError:
                    incoming = None
                call = calls[call_id] = ImportedCall(
                    ref=f"call {call_id}",
                    fingerprint=fingerprint("logged", call_id),
                    caller_key=caller_key(number),
                    names=[name] if name else [],
                    started_at=started_at,
                    incoming=incoming,
                    exchanges=[],
                    speaker_source="given",
                    named_by="logged",
                )
            call.exchanges.append(Exchange(tenant=said.strip(), jamie=heard.strip()))
    return list(calls.values())
