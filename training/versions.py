"""Version history in the store: specs created on a backend, versions, promotions.

Versions are ordered by their numbers (v0.10.0 after v0.9.1), never by their text.
"""

from __future__ import annotations

import json
from typing import Any

import aiosqlite
from pydantic import BaseModel

from core.clock import utc_now_iso
from core.llm.base import ModelSpec
from training.semver import Bump, SemVer


class VersionRecord(BaseModel):
    version: str
    model_name: str
    version_key: str
    dataset_id: int | None
    dataset_hash: str
    bump: Bump
    reason: str
    eval: dict[str, Any] | None
    backend: str
    spec: ModelSpec
    modelfile: str
    created_at: str

    @property
    def semver(self) -> SemVer:
        return SemVer.parse(self.version)

    @property
    def label(self) -> str:
        return f"v{self.version}"


class Promotion(BaseModel):
    id: int
    action: str
    model_name: str
    version: str | None
    previous_model: str
    forced: bool
    source: str
    created_at: str


_SELECT = (
    "SELECT v.version, v.model_name, v.version_key, v.dataset_id, v.dataset_hash, v.bump, "
    "v.reason, v.eval, v.backend, s.spec, v.modelfile, v.created_at "
    "FROM model_versions v JOIN model_specs s ON s.model_name = v.model_name"
)


def _record(row: Any) -> VersionRecord:
    return VersionRecord(
        version=row[0],
        model_name=row[1],
        version_key=row[2],
        dataset_id=row[3],
        dataset_hash=row[4],
        bump=row[5],
        reason=row[6],
        eval=json.loads(row[7]) if row[7] else None,
        backend=row[8],
        spec=ModelSpec.model_validate_json(row[9]),
        modelfile=row[10],
        created_at=row[11],
    )


async def list_versions(conn: aiosqlite.Connection) -> list[VersionRecord]:
    """Oldest first, by version number."""
    rows = await (await conn.execute(_SELECT + " ORDER BY v.major, v.minor, v.patch")).fetchall()
    return [_record(row) for row in rows]


async def latest_version(conn: aiosqlite.Connection) -> VersionRecord | None:
    versions = await list_versions(conn)
    return versions[-1] if versions else None


async def find_version(conn: aiosqlite.Connection, ref: str) -> VersionRecord | None:
    """By version ("v0.2.0", "0.2.0") or by model name."""
    if SemVer.looks_like(ref):
        sql, value = _SELECT + " WHERE v.version = ?", str(SemVer.parse(ref))
    else:
        sql, value = _SELECT + " WHERE v.model_name = ?", ref
    row = await (await conn.execute(sql, (value,))).fetchone()
    return _record(row) if row else None


async def find_by_key(conn: aiosqlite.Connection, key: str) -> VersionRecord | None:
    row = await (await conn.execute(_SELECT + " WHERE v.version_key = ?", (key,))).fetchone()
    return _record(row) if row else None


async def save_spec(conn: aiosqlite.Connection, spec: ModelSpec, key: str) -> None:
    """Call inside a transaction. The same name always holds the same content (it is the key)."""
    await conn.execute(
        "INSERT OR IGNORE INTO model_specs (model_name, version_key, spec, created_at) "
        "VALUES (?, ?, ?, ?)",
        (spec.name, key, spec.model_dump_json(), utc_now_iso()),
    )


async def insert_version(conn: aiosqlite.Connection, record: VersionRecord) -> None:
    """Call inside a transaction, after `save_spec`."""
    number = record.semver
    await conn.execute(
        "INSERT INTO model_versions (version, major, minor, patch, model_name, version_key, "
        "dataset_id, dataset_hash, bump, reason, eval, backend, modelfile, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            str(number),
            number.major,
            number.minor,
            number.patch,
            record.model_name,
            record.version_key,
            record.dataset_id,
            record.dataset_hash,
            record.bump,
            record.reason,
            json.dumps(record.eval) if record.eval is not None else None,
            record.backend,
            record.modelfile,
            record.created_at,
        ),
    )


async def record_promotion(
    conn: aiosqlite.Connection,
    *,
    action: str,
    model_name: str,
    version: str | None,
    previous_model: str,
    forced: bool,
    source: str,
) -> None:
    """Call inside a transaction."""
    await conn.execute(
        "INSERT INTO model_promotions (action, model_name, version, previous_model, forced, "
        "source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (action, model_name, version, previous_model, int(forced), source, utc_now_iso()),
    )


async def promotions(conn: aiosqlite.Connection, limit: int = 50) -> list[Promotion]:
    rows = await (
        await conn.execute(
            "SELECT id, action, model_name, version, previous_model, forced, source, created_at "
            "FROM model_promotions ORDER BY id DESC LIMIT ?",
            (limit,),
        )
    ).fetchall()
    return [
        Promotion(
            id=r[0],
            action=r[1],
            model_name=r[2],
            version=r[3],
            previous_model=r[4],
            forced=bool(r[5]),
            source=r[6],
            created_at=r[7],
        )
        for r in rows
    ]
