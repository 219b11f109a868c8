"""The admin-editable model list (`config/model_settings.json`), kept in memory for the hot path.

Saves are atomic (temp file + rename) and keep every field of the file, known or not, so an
edit never loses `default_model` or another admin's change. A hand edit of the file is picked
up by `reload_if_changed()`, which the app polls in the background. When the config folder is
read-only, saves go to a copy at `fallback_path` (under the data dir), which is read from then on.
Listeners hear of every change (the admin pages audit them).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
import tempfile
from collections.abc import Callable
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


# (before, after, source): source is "file" for a hand edit, else what `update` was given.
SettingsListener = Callable[[ModelSettingsFile, ModelSettingsFile, str], None]

_READ_ONLY_ERRORS = (errno.EACCES, errno.EPERM, errno.EROFS)


class ModelSettingsManager:
    def __init__(
        self,
        path: Path,
        *,
        persona_names: tuple[str, ...] = (),
        fallback_path: Path | None = None,
    ):
        self.fallback_path = fallback_path
        self.path = self._newest_copy(path, fallback_path)
        self._aliases = {*DEFAULT_ALIASES, *(n.lower() for n in persona_names)}
        self._lock = asyncio.Lock()
        self._mtime_ns = 0
        self.current = self._read()
        # Called on the event loop after each change; must not block (queue any work).
        self.listeners: list[SettingsListener] = []

    @staticmethod
    def _newest_copy(path: Path, fallback: Path | None) -> Path:
        """A copy saved under the data dir (config was read-only) wins unless config is newer."""
        if fallback is None or not fallback.exists():
            return path
        if path.exists() and path.stat().st_mtime_ns > fallback.stat().st_mtime_ns:
            return path
        return fallback

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
        before = self.current
        try:
            self.current = self._read()
        except ValueError as exc:
            log.warning("model_settings_reload_rejected", path=str(self.path), error=str(exc))
            self._mtime_ns = mtime  # don't retry the same broken file every poll
            return False
        log.info("model_settings_reloaded", path=str(self.path))
        self._notify(before, self.current, "file")
        return True

    def _notify(self, before: ModelSettingsFile, after: ModelSettingsFile, source: str) -> None:
        for listener in self.listeners:
            try:
                listener(before, after, source)
            except Exception:
                log.exception("model_settings_listener_failed", source=source)

    async def update(self, mutate: Any, *, source: str = "api") -> ModelSettingsFile:
        """Apply `mutate(data: dict) -> None` to the latest file contents and save atomically."""
        async with self._lock:
            self.reload_if_changed()
            before = self.current
            data = before.model_dump(mode="json")
            mutate(data)
            updated = ModelSettingsFile.model_validate(data)
            await asyncio.to_thread(self._write, updated)
            self.current = updated
            self._notify(before, updated, source)
            return updated

    def _write(self, data: ModelSettingsFile) -> None:
        text = json.dumps(data.model_dump(mode="json"), indent=2) + "\n"
        try:
            self._write_text(self.path, text)
        except OSError as exc:
            fallback = self.fallback_path
            if exc.errno not in _READ_ONLY_ERRORS or fallback is None or self.path == fallback:
                raise
            log.warning("model_settings_saved_to_fallback", path=str(fallback), error=str(exc))
            fallback.parent.mkdir(parents=True, exist_ok=True)
            self._write_text(fallback, text)
            self.path = fallback
        self._mtime_ns = self.path.stat().st_mtime_ns

    @staticmethod
    def _write_text(path: Path, text: str) -> None:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".model_settings.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
