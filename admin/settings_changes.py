"""Edits to model_settings.json as field-level changes, and the audit trail of what changed.

An edit names only the fields it changes (a path of keys), so two admins editing different
fields at once both keep their change. A change may carry the value its editor last saw
(`base`); if the file now holds something else, the whole edit is refused as a conflict
instead of silently overwriting the other change.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_MISSING = object()


class SettingChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: list[str] = Field(min_length=1, max_length=6)
    value: Any = None
    remove: bool = False
    base: Any = None  # the value the editor saw; checked only when given (it may be null)

    @property
    def has_base(self) -> bool:
        return "base" in self.model_fields_set


class SettingsPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    changes: list[SettingChange] = Field(min_length=1, max_length=500)


class ChangeRejected(ValueError):
    code = "invalid_change"


class ChangeConflict(ChangeRejected):
    code = "conflict"

    def __init__(self, path: list[str], current: Any):
        super().__init__(
            f"{json_pointer(path)} was changed by someone else (it is now {json.dumps(current)})"
        )
        self.path = path
        self.current = current


def json_pointer(path: list[str] | tuple[str, ...]) -> str:
    """RFC 6901: model names hold ':' and '.', so a dotted path would be ambiguous."""
    return "".join("/" + key.replace("~", "~0").replace("/", "~1") for key in path)


def _parent(data: dict[str, Any], path: list[str]) -> dict[str, Any]:
    node: Any = data
    for depth, key in enumerate(path):
        if not isinstance(node, dict) or key not in node:
            raise ChangeRejected(f"{json_pointer(path[: depth + 1])} does not exist")
        node = node[key]
    if not isinstance(node, dict):
        raise ChangeRejected(f"{json_pointer(path)} is not an object")
    return node


def apply_changes(data: dict[str, Any], changes: list[SettingChange]) -> None:
    """Apply every change to `data` in place, or raise before the caller saves anything."""
    for change in changes:
        parent = _parent(data, change.path[:-1])
        key = change.path[-1]
        current = parent.get(key, _MISSING)
        if change.has_base and (None if current is _MISSING else current) != change.base:
            raise ChangeConflict(change.path, None if current is _MISSING else current)
        if change.remove:
            if current is _MISSING:
                raise ChangeRejected(f"{json_pointer(change.path)} does not exist")
            del parent[key]
        else:
            parent[key] = change.value


class SettingDifference(BaseModel):
    path: str
    old_value: str | None  # JSON; None when the field did not exist
    new_value: str | None  # JSON; None when the field was removed


def diff_settings(before: Any, after: Any, path: tuple[str, ...] = ()) -> list[SettingDifference]:
    """Field-level differences; objects are compared key by key, anything else as a whole."""
    if isinstance(before, dict) and isinstance(after, dict):
        differences: list[SettingDifference] = []
        for key in [*before, *(k for k in after if k not in before)]:
            old, new = before.get(key, _MISSING), after.get(key, _MISSING)
            if old is _MISSING or new is _MISSING:
                if old != new:
                    differences.append(
                        SettingDifference(
                            path=json_pointer((*path, key)),
                            old_value=None if old is _MISSING else json.dumps(old),
                            new_value=None if new is _MISSING else json.dumps(new),
                        )
                    )
                continue
            differences.extend(diff_settings(old, new, (*path, key)))
        return differences
    if before == after and type(before) is type(after):
        return []
    return [
        SettingDifference(
            path=json_pointer(path), old_value=json.dumps(before), new_value=json.dumps(after)
        )
    ]
