"""The admin-editable model list (`config/model_settings.json`), kept in memory for the hot path.

Saves are atomic (temp file + rename) and keep every field of the file, known or not, so an
edit never loses `default_model` or another admin's change. A hand edit of the file is picked
up by `reload_if_changed()`, which the app polls in the background.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.logging import get_logger

log = get_logger(__name__)

DEFAULT_ALIASES = ("default",)


class ModelEntry(BaseModel):
    model_config = ConfigDict(extra="allow")

    display_name: str
    description: str = ""
    base_model: str
    show_in_ui: bool = True
    auto_preload: bool = False
    version: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)


class ModelSettingsFile(BaseModel):
    model_config = ConfigDict(extra="allow")

    default_model: str
    models: dict[str, ModelEntry]

    @model_validator(mode="after")
    def _default_is_listed(self) -> ModelSettingsFile:
        if self.default_model not in self.models:
            raise ValueError(f"default_model {self.default_model!r} is not in models")
        return self


class UnknownModel(KeyError):
    pass


class ModelSettingsManager:
    def __init__(self, path: Path, *, persona_names: tuple[str, ...] = ()):
        self.path = path
        self._aliases = {*DEFAULT_ALIASES, *(n.lower() for n in persona_names)}
        self._lock = asyncio.Lock()
        self._mtime_ns = 0
        self.current = self._read()

    def _read(self) -> ModelSettingsFile:
        stat = self.path.stat()
        data = ModelSettingsFile.model_validate_json(self.path.read_bytes())
        self._mtime_ns = stat.st_mtime_ns
        return data

    def resolve(self, requested: str | None) -> str:
        """`jamie`, `default` or nothing mean the default model; any listed model names itself."""
        current = self.current
        if not requested or requested.lower() in self._aliases:
            return current.default_model
        if requested in current.models:
            return requested
        raise UnknownModel(requested)

    def entry(self, name: str) -> ModelEntry:
        return self.current.models[name]

    def reload_if_changed(self) -> bool:
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return False
        if mtime == self._mtime_ns:
            return False
        try:
            self.current = self._read()
        except ValueError as exc:
            log.warning("model_settings_reload_rejected", path=str(self.path), error=str(exc))
            self._mtime_ns = mtime  # don't retry the same broken file every poll
            return False
        log.info("model_settings_reloaded", path=str(self.path))
        return True

    async def update(self, mutate: Any) -> ModelSettingsFile:
        """Apply `mutate(data: dict) -> None` to the latest file contents and save atomically."""
        async with self._lock:
            self.reload_if_changed()
            data = self.current.model_dump(mode="json")
            mutate(data)
            updated = ModelSettingsFile.model_validate(data)
            await asyncio.to_thread(self._write, updated)
            self.current = updated
            return updated

    def _write(self, data: ModelSettingsFile) -> None:
        text = json.dumps(data.model_dump(mode="json"), indent=2) + "\n"
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".model_settings.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        self._mtime_ns = self.path.stat().st_mtime_ns
