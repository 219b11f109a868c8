"""`/admin/api/settings`: read the model settings, change fields, see what is loaded and the audit.

A change goes through `ModelSettingsManager.update` (atomic save, unknown fields kept, the
file re-read first), so it applies to the next turn of every call without a restart. Then new
models are registered on the backend, `auto_preload` flips are loaded or unloaded, and the
audit rows are committed before the answer.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from admin.guard import request_session
from admin.http import read_body, reject
from admin.preloading import apply_preload_changes, loaded_models, preload_changes
from admin.settings_audit import admin_source, recent_changes
from admin.settings_changes import ChangeConflict, ChangeRejected, SettingsPatch, apply_changes
from admin.state import admin_database
from core.logging import get_logger
from voice.http_errors import json_error
from voice.services import Services, services

log = get_logger(__name__)

# Past this the answer says "loading" and the load goes on in the background.
_PRELOAD_WAIT_S = 20.0
_background: set[asyncio.Task[Any]] = set()


def is_loaded(name: str, loaded: list[str] | None) -> bool | None:
    if loaded is None:
        return None
    return name in loaded or f"{name}:latest" in loaded


async def settings_view(svc: Services) -> dict[str, Any]:
    loaded = await loaded_models(svc.backend)
    current = svc.model_settings.current
    return {
        "settings": current.model_dump(mode="json"),
        "path": str(svc.model_settings.path),
        "backend": svc.backend.name,
        "loaded": {name: is_loaded(name, loaded) for name in current.models},
    }


async def get_settings(request: web.Request) -> web.Response:
    return web.json_response(await settings_view(services(request)))


async def patch_settings(request: web.Request) -> web.Response:
    svc = services(request)
    patch = await read_body(request, SettingsPatch)
    if isinstance(patch, web.Response):
        return patch
    session = request_session(request)
    source = admin_source(session.label if session else "unknown")
    before = svc.model_settings.current
    try:
        after = await svc.model_settings.update(
            lambda data: apply_changes(data, patch.changes), source=source
        )
    except ChangeConflict as exc:
        return json_error(409, exc.code, str(exc))
    except ChangeRejected as exc:
        return reject(request, 400, exc.code, str(exc), patch.model_dump_json().encode())
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        message = f"{where}: {first['msg']}"
        return reject(request, 400, "invalid_settings", message, patch.model_dump_json().encode())
    except OSError as exc:
        log.error("model_settings_save_failed", error=str(exc))
        return json_error(500, "settings_not_saved", "the settings file could not be written")
    preload = await _apply_backend_changes(svc, before, after)
    await svc.writer.flush()  # the audit rows are committed before we say "saved"
    view = await settings_view(svc)
    return web.json_response({**view, "preload": preload})


async def _apply_backend_changes(svc: Services, before: Any, after: Any) -> dict[str, str]:
    changes = preload_changes(before, after)

    async def apply() -> dict[str, str]:
        return await apply_preload_changes(svc.backend, svc.model_settings, svc.database, changes)

    task = asyncio.create_task(apply())
    _background.add(task)
    task.add_done_callback(_background.discard)
    try:
        return await asyncio.wait_for(asyncio.shield(task), _PRELOAD_WAIT_S)
    except TimeoutError:
        return {name: "loading" for name in changes}


async def get_loaded(request: web.Request) -> web.Response:
    svc = services(request)
    loaded = await loaded_models(svc.backend)
    names = svc.model_settings.current.models
    return web.json_response(
        {"backend": svc.backend.name, "loaded": {n: is_loaded(n, loaded) for n in names}}
    )


async def get_audit(request: web.Request) -> web.Response:
    try:
        limit = min(max(int(request.query.get("limit", "100")), 1), 1000)
    except ValueError:
        return reject(request, 400, "invalid_limit", "limit must be a whole number")
    return web.json_response({"changes": await recent_changes(admin_database(request), limit)})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/admin/api/settings", get_settings)
    app.router.add_post("/admin/api/settings", patch_settings)
    app.router.add_patch("/admin/api/settings", patch_settings)
    app.router.add_get("/admin/api/settings/loaded", get_loaded)
    app.router.add_get("/admin/api/settings/audit", get_audit)
