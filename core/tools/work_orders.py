"""Maintenance work orders: created during a call with a six-digit ticket, looked up by ticket.

A new work order is committed before its ticket is read to the caller (the write is queued on
the store's writer and awaited), so a ticket that was spoken always exists.
"""

from __future__ import annotations

import asyncio
import secrets

from pydantic import BaseModel

from core.clock import utc_now_iso
from core.store.database import Database
from core.store.writer import StoreWriter
from core.tools.arguments import CreateWorkOrderArgs

_INSERT_WORK_ORDER = """
INSERT INTO work_orders (ticket, call_id, tenant_id, unit, category, description, urgency,
                         status, source, created_at, updated_at)
VALUES (:ticket, :call_id, :tenant_id, :unit, :category, :description, :urgency,
        :status, :source, :created_at, :created_at)
"""

_COLUMNS = (
    "ticket, call_id, tenant_id, unit, category, description, urgency, status, source, created_at"
)


class WorkOrder(BaseModel):
    ticket: str
    unit: str
    category: str
    description: str
    urgency: str
    status: str = "open"
    source: str
    created_at: str
    call_id: str | None = None
    tenant_id: int | None = None


class WorkOrderBook:
    def __init__(self, database: Database, writer: StoreWriter):
        self.database = database
        self.writer = writer
        # One creation at a time in this process: a drawn ticket is checked and stored atomically.
        self._lock = asyncio.Lock()

    async def create(
        self,
        args: CreateWorkOrderArgs,
        *,
        source: str,
        call_id: str | None = None,
        tenant_id: int | None = None,
    ) -> WorkOrder:
        async with self._lock:
            ticket = await self._unused_ticket()
            order = WorkOrder(
                ticket=ticket,
                source=source,
                call_id=call_id,
                tenant_id=tenant_id,
                created_at=utc_now_iso(),
                **args.model_dump(),
            )
            self.writer.execute(_INSERT_WORK_ORDER, order.model_dump())
            await self.writer.flush()
        if await self.find(ticket) is None:
            raise RuntimeError(f"work order {ticket} was not stored")
        return order

    async def find(self, ticket: str) -> WorkOrder | None:
        rows = await self.database.fetch_all(
            f"SELECT {_COLUMNS} FROM work_orders WHERE ticket = ?", (ticket,)
        )
        return WorkOrder.model_validate(rows[0]) if rows else None

    async def open_count_for_tenant(self, tenant_id: int) -> int:
        rows = await self.database.fetch_all(
            "SELECT COUNT(*) AS n FROM work_orders WHERE tenant_id = ? AND status = 'open'",
            (tenant_id,),
        )
        return int(rows[0]["n"])

    async def _unused_ticket(self) -> str:
        for _ in range(20):
            ticket = str(100_000 + secrets.randbelow(900_000))  # no leading zero to mishear
            if await self.find(ticket) is None:
                return ticket
        raise RuntimeError("no unused ticket number found")
