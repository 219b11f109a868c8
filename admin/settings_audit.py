"""Every change to the model settings lands in `settings_audit`: when, who, which field, old -> new.

The listener hears changes from any source (the admin pages, another area's code, a hand edit
of the file picked up by the reload poll) and queues one row per changed field on the store's
writer.
"""

from __future__ import annotations

from typing import Any

from admin.settings_changes import diff_settings
from core.clock import utc_now_iso
from core.model_settings import ModelSettingsFile, SettingsListener
from core.store.database import Database
from core.store.writer import StoreWriter

_INSERT = """
INSERT INTO settings_audit (changed_at, source, actor, path, old_value, new_value)
VALUES (:changed_at, :source, :actor, :path, :old_value, :new_value)
"""


def admin_source(session_label: str) -> str:
    return f"admin:{session_label}"


def audit_listener(writer: StoreWriter) -> SettingsListener:
    def record(before: ModelSettingsFile, after: ModelSettingsFile, source: str) -> None:
        changed_at = utc_now_iso()
        kind, _, actor = source.partition(":")
        for difference in diff_settings(
            before.model_dump(mode="json"), after.model_dump(mode="json")
        ):
            writer.execute(
                _INSERT,
                {
                    "changed_at": changed_at,
                    "source": kind,
                    "actor": actor or None,
                    **difference.model_dump(),
                },
            )

    return record


async def recent_changes(database: Database, limit: int = 100) -> list[dict[str, Any]]:
    return await database.fetch_all(
        "SELECT * FROM settings_audit ORDER BY id DESC LIMIT ?", (limit,)
    )
