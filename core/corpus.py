"""The conversation corpus: demo, imported and logged threads of tenant ↔ Jamie exchanges.

Scoring reads the `train` split as its reference set; evaluation uses the fixed `held_out`
split; training builds datasets from it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

import aiosqlite
from pydantic import BaseModel, Field

Split = Literal["train", "held_out"]


class Exchange(BaseModel):
    tenant: str = Field(min_length=1)
    jamie: str = Field(min_length=1)


class Conversation(BaseModel):
    id: str = Field(min_length=1)
    source: str
    category: str
    split: Split = "train"
    caller_key: str | None = None
    started_at: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    exchanges: list[Exchange] = Field(min_length=1)


class ReferenceExchange(BaseModel):
    conversation_id: str
    category: str
    tenant: str
    jamie: str


async def insert_conversations(conn: aiosqlite.Connection, items: list[Conversation]) -> int:
    """Insert in one transaction; conversations already present (same id) are left alone.

    Returns how many were new. The caller commits (or rolls back) the transaction.
    """
    added = 0
    for item in items:
        cursor = await conn.execute(
            "INSERT OR IGNORE INTO conversations "
            "(id, source, category, split, caller_key, started_at, metadata) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                item.id,
                item.source,
                item.category,
                item.split,
                item.caller_key,
                item.started_at,
                json.dumps(item.metadata),
            ),
        )
        if cursor.rowcount == 0:
            continue
        added += 1
        await conn.executemany(
            "INSERT INTO exchanges (conversation_id, position, tenant_text, jamie_text) "
            "VALUES (?, ?, ?, ?)",
            [(item.id, i, e.tenant, e.jamie) for i, e in enumerate(item.exchanges)],
        )
    return added


async def load_conversations(
    conn: aiosqlite.Connection, *, split: Split | None = None, source: str | None = None
) -> list[Conversation]:
    where: list[str] = []
    params: list[str] = []
    if split:
        where.append("c.split = ?")
        params.append(split)
    if source:
        where.append("c.source = ?")
        params.append(source)
    sql = (
        "SELECT c.id, c.source, c.category, c.split, c.caller_key, c.started_at, c.metadata, "
        "e.tenant_text, e.jamie_text FROM conversations c "
        "JOIN exchanges e ON e.conversation_id = c.id"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY c.id, e.position"
    )
    conversations: dict[str, Conversation] = {}
    async with conn.execute(sql, params) as cursor:
        async for row in cursor:
            conv = conversations.get(row[0])
            exchange = Exchange(tenant=row[7], jamie=row[8])
            if conv is None:
                conversations[row[0]] = Conversation(
                    id=row[0],
                    source=row[1],
                    category=row[2],
                    split=row[3],
                    caller_key=row[4],
                    started_at=row[5],
                    metadata=json.loads(row[6]),
                    exchanges=[exchange],
                )
            else:
                conv.exchanges.append(exchange)
    return list(conversations.values())


async def load_reference_exchanges(conn: aiosqlite.Connection) -> list[ReferenceExchange]:
    """Every train-split exchange: what good Jamie replies look like."""
    sql = (
        "SELECT c.id, c.category, e.tenant_text, e.jamie_text FROM exchanges e "
        "JOIN conversations c ON c.id = e.conversation_id WHERE c.split = 'train' "
        "ORDER BY c.id, e.position"
    )
    async with conn.execute(sql) as cursor:
        return [
            ReferenceExchange(conversation_id=r[0], category=r[1], tenant=r[2], jamie=r[3])
            async for r in cursor
        ]


def reference_fingerprint(exchanges: list[ReferenceExchange]) -> str:
    digest = hashlib.sha256()
    for exchange in exchanges:
        digest.update(exchange.tenant.encode())
        digest.update(b"\x00")
        digest.update(exchange.jamie.encode())
        digest.update(b"\x01")
    return digest.hexdigest()[:16]
