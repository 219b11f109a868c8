"""The store's only writer: records are queued without waiting and written in batches.

The hot path never waits on SQLite: `add_*` puts the record on an unbounded in-memory queue
(nothing received is dropped) and a single task writes whatever has accumulated in one
transaction. `flush()` waits until everything queued so far is committed; `close()` flushes.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiosqlite

from core.clock import utc_now_iso
from core.logging import get_logger
from core.store.database import connect, migrate
from core.store.records import CallRecord, EventRecord, TurnRecord

log = get_logger(__name__)

_BATCH_LIMIT = 500

_INSERT_CALL = """
INSERT INTO calls (id, channel, provider_call_id, from_number, to_number, direction, persona,
                   started_at, last_activity_at, metadata)
VALUES (:id, :channel, :provider_call_id, :from_number, :to_number, :direction, :persona,
        :started_at, :started_at, :metadata)
ON CONFLICT(id) DO UPDATE SET
    last_activity_at = excluded.last_activity_at,
    provider_call_id = COALESCE(calls.provider_call_id, excluded.provider_call_id),
    from_number = COALESCE(calls.from_number, excluded.from_number),
    to_number = COALESCE(calls.to_number, excluded.to_number),
    direction = COALESCE(calls.direction, excluded.direction)
"""

_INSERT_TURN = """
INSERT INTO turns (uid, call_id, turn_index, channel, persona, model, model_version, backend,
                   user_text, reply_text, started_at, ttft_ms, first_byte_out_ms, total_ms,
                   tokens, interrupted, finish_reason, error)
VALUES (:uid, :call_id, :turn_index, :channel, :persona, :model, :model_version, :backend,
        :user_text, :reply_text, :started_at, :ttft_ms, :first_byte_out_ms, :total_ms,
        :tokens, :interrupted, :finish_reason, :error)
"""

_INSERT_EVENT = """
INSERT INTO events (call_id, source, kind, created_at, payload)
VALUES (:call_id, :source, :kind, :created_at, :payload)
"""

_END_CALL = "UPDATE calls SET status = :status, ended_at = :ended_at WHERE id = :id"

_Op = tuple[str, dict[str, Any]]


class StoreWriter:
    def __init__(self, path: Path):
        self.path = path
        self._queue: asyncio.Queue[_Op | asyncio.Future[None]] = asyncio.Queue()
        self._conn: aiosqlite.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self.written = 0

    async def start(self) -> None:
        self._conn = await connect(self.path)
        await migrate(self._conn)
        self._task = asyncio.create_task(self._run(), name="store-writer")

    def add_call(self, call: CallRecord) -> None:
        params = call.model_dump()
        params["metadata"] = json.dumps(params["metadata"])
        self._queue.put_nowait((_INSERT_CALL, params))

    def add_turn(self, turn: TurnRecord) -> None:
        params = turn.model_dump()
        params["interrupted"] = int(turn.interrupted)
        self._queue.put_nowait((_INSERT_TURN, params))

    def add_event(self, event: EventRecord) -> None:
        params = event.model_dump()
        params["payload"] = json.dumps(event.payload, default=str)
        self._queue.put_nowait((_INSERT_EVENT, params))

    def execute(self, sql: str, params: dict[str, Any]) -> None:
        """Queue any other write (named parameters); it commits with the next batch."""
        self._queue.put_nowait((sql, params))

    def end_call(self, call_id: str, status: str = "ended") -> None:
        self._queue.put_nowait(
            (_END_CALL, {"id": call_id, "status": status, "ended_at": utc_now_iso()})
        )

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    async def flush(self) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(done)
        await done

    async def _run(self) -> None:
        assert self._conn is not None
        while True:
            batch = [await self._queue.get()]
            while len(batch) < _BATCH_LIMIT and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            ops = [item for item in batch if not isinstance(item, asyncio.Future)]
            if ops:
                await self._write(ops)
            for item in batch:
                if isinstance(item, asyncio.Future) and not item.done():
                    item.set_result(None)

    async def _write(self, ops: list[_Op]) -> None:
        assert self._conn is not None
        try:
            for sql, params in ops:
                await self._conn.execute(sql, params)
            await self._conn.commit()
            self.written += len(ops)
        except Exception:
            await self._conn.rollback()
            log.exception("store_batch_failed", size=len(ops))
            await self._write_one_by_one(ops)

    async def _write_one_by_one(self, ops: list[_Op]) -> None:
        """A bad row must not take its batch with it."""
        assert self._conn is not None
        for sql, params in ops:
            try:
                await self._conn.execute(sql, params)
                await self._conn.commit()
                self.written += 1
            except Exception:
                await self._conn.rollback()
                log.exception("store_write_failed", sql=sql.split("(")[0].strip())

    async def close(self) -> None:
        if self._task is not None:
            await self.flush()
            self._task.cancel()
            self._task = None
        if self._conn is not None:
            await self._conn.close()
            self._conn = None
