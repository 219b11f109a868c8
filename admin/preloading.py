"""`auto_preload` toggles become loads and unloads on the backend; what is loaded right now."""

from __future__ import annotations

import asyncio

from core.llm.base import BackendError, LLMBackend
from core.llm.registration import register_models
from core.logging import get_logger
from core.model_settings import ModelSettingsFile, ModelSettingsManager
from core.store.database import Database

log = get_logger(__name__)

LOADED_TIMEOUT_S = 2.0


def preload_changes(before: ModelSettingsFile, after: ModelSettingsFile) -> dict[str, bool]:
    """Model -> should it be loaded now, for each model whose `auto_preload` flipped."""
    changes: dict[str, bool] = {}
    for name in {*before.models, *after.models}:
        was = before.models.get(name)
        now = after.models.get(name)
        was_on = bool(was and was.auto_preload)
        now_on = bool(now and now.auto_preload)
        if was_on != now_on:
            changes[name] = now_on
    return changes


async def apply_preload_changes(
    backend: LLMBackend,
    manager: ModelSettingsManager,
    database: Database,
    changes: dict[str, bool],
) -> dict[str, str]:
    """Register new models, then load or unload each changed one;
    model -> "loaded", "unloaded" or "failed: why"."""
    results: dict[str, str] = {}
    await register_models(backend, manager, database)
    for name, load in sorted(changes.items()):
        try:
            if load:
                await backend.preload(name)
            else:
                await backend.unload(name)
            results[name] = "loaded" if load else "unloaded"
        except BackendError as exc:
            results[name] = f"failed: {exc}"
        log.info("model_preload_toggled", model=name, load=load, result=results[name])
    return results


async def loaded_models(backend: LLMBackend) -> list[str] | None:
    """Names the backend has in memory now; None when it doesn't answer in time."""
    try:
        loaded = await asyncio.wait_for(backend.loaded(), timeout=LOADED_TIMEOUT_S)
    except (BackendError, TimeoutError):
        return None
    return sorted(model.name for model in loaded)
