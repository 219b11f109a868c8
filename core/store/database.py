"""SQLite through aiosqlite: WAL, migrations, a read connection (writes go via StoreWriter)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiosqlite

from core.clock import utc_now_iso
from core.logging import get_logger
from core.store.migrations import load_migrations

log = get_logger(__name__)


async def connect(path: Path) -> aiosqlite.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = await aiosqlite.connect(path)
    conn.row_factory = aiosqlite.Row
    await conn.execute("PRAGMA journal_mode=WAL")
    await conn.execute("PRAGMA synchronous=NORMAL")
    await conn.execute("PRAGMA busy_timeout=5000")
    await conn.execute("PRAGMA foreign_keys=ON")
    return conn


async def migrate(conn: aiosqlite.Connection) -> int:
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, applied_at TEXT)"
    )
    # Areas land out of number order (0003 before 0002), so apply every version not yet applied.
    async with conn.execute("SELECT version FROM schema_migrations") as cur:
        applied = {int(row[0]) for row in await cur.fetchall()}
    current = max(applied, default=0)
    for version, sql in load_migrations():
        if version in applied:
            continue
        await conn.executescript(f"BEGIN;\n{sql}\nCOMMIT;")
        await conn.execute(
            "INSERT INTO schema_migrations(version, applied_at) VALUES (?, ?)",
            (version, utc_now_iso()),
        )
        await conn.commit()
        log.info("schema_migrated", version=version)
        current = max(current, version)
    return current


class Database:
    """Read side of the store. Use `StoreWriter` for every write on the serving path."""

    def __init__(self, path: Path):
        self.path = path
        self._conn: aiosqlite.Connection | None = None

    async def open(self) -> None:
        self._conn = await connect(self.path)
        await migrate(self._conn)

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("database is not open")
        return self._conn

    async def fetch_all(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        async with self.conn.execute(sql, params) as cursor:
            return [dict(row) for row in await cursor.fetchall()]

    async def ping(self) -> bool:
        try:
            await self.fetch_all("SELECT 1")
        except Exception:
            return False
        return True

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None
