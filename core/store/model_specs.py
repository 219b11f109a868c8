"""Specs of the models training created (table `model_specs`): the embedded backend keeps
nothing between runs, so the server registers these again at start-up and on settings changes."""

from __future__ import annotations

import aiosqlite

from core.llm.base import ModelSpec


async def stored_specs(conn: aiosqlite.Connection) -> dict[str, ModelSpec]:
    try:
        async with conn.execute("SELECT model_name, spec FROM model_specs") as cursor:
            rows = await cursor.fetchall()
    except aiosqlite.OperationalError:  # a store from before the training schema
        return {}
    return {row[0]: ModelSpec.model_validate_json(row[1]) for row in rows}
