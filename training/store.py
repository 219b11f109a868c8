"""The training commands' own store connection, and one transaction per unit of work.

Training runs beside a serving process: it opens its own connection (WAL lets both work) and
commits each unit (an import, a dataset, a version, one replayed call) in one transaction, so
an interrupted command (Ctrl-C) leaves whole units or nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import aiosqlite

from core.settings import Settings
from core.store.database import Database


@contextlib.asynccontextmanager
async def open_store(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings.database_path)
    await database.open()
    try:
        yield database
    finally:
        await database.close()


@contextlib.asynccontextmanager
async def transaction(conn: aiosqlite.Connection) -> AsyncIterator[aiosqlite.Connection]:
    """BEGIN IMMEDIATE (take the write lock now, not half-way), COMMIT, or ROLLBACK on any
    exception, cancellation and Ctrl-C included."""
    if conn.in_transaction:
        await conn.commit()
    await conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        await conn.rollback()
        raise
    await conn.commit()
