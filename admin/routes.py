"""Admin and playground pages: wired into the app by `add_routes(app)`.

At start-up (after the app's own services exist) this creates or reads the admin token, makes
the session store, and subscribes to model-settings changes: each change is audited, and a
hand edit that flips `auto_preload` loads or unloads the model.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web

from admin import (
    calls_api,
    chat_stream,
    login,
    pages,
    settings_api,
    stats_api,
    training_api,
    training_pages,
)
from admin.auth import AdminAuth, load_or_create_token
from admin.guard import STATIC_PREFIX, admin_guard
from admin.preloading import apply_preload_changes, preload_changes
from admin.settings_audit import audit_listener
from admin.state import ADMIN, AdminState, list_personas
from core.logging import get_logger
from core.model_settings import ModelSettingsFile, SettingsListener
from core.store.database import Database
from voice.services import SERVICES, Services

log = get_logger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"


def _hand_edit_preloader(svc: Services, tasks: set[asyncio.Task[Any]]) -> SettingsListener:
    def on_change(before: ModelSettingsFile, after: ModelSettingsFile, source: str) -> None:
        if source != "file":  # the admin API applies its own changes and reports them
            return
        changes = preload_changes(before, after)
        if changes:
            task = asyncio.get_running_loop().create_task(
                apply_preload_changes(svc.backend, svc.model_settings, svc.database, changes)
            )
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    return on_change


async def _admin_lifecycle(app: web.Application) -> AsyncIterator[None]:
    svc = app[SERVICES]
    settings = svc.settings
    token = await asyncio.to_thread(load_or_create_token, settings)
    personas = await asyncio.to_thread(list_personas, settings.personas_dir, svc.persona.name)
    database = Database(settings.database_path)
    await database.open()
    app[ADMIN] = AdminState(
        auth=AdminAuth(
            token.value,
            session_ttl_s=settings.admin_session_hours * 3600,
            secure_cookie=settings.public_url.startswith("https://"),
        ),
        token=token,
        public_playground=settings.public_playground,
        database=database,
        personas=personas,
    )
    tasks: set[asyncio.Task[Any]] = set()
    listeners = [audit_listener(svc.writer), _hand_edit_preloader(svc, tasks)]
    svc.model_settings.listeners.extend(listeners)
    log.info("admin_ready", token_source=token.source, public_playground=settings.public_playground)
    yield
    for listener in listeners:
        svc.model_settings.listeners.remove(listener)
    for task in list(tasks):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await database.close()


def add_routes(app: web.Application) -> None:
    app.middlewares.append(admin_guard)
    app.cleanup_ctx.append(_admin_lifecycle)
    app.router.add_static(STATIC_PREFIX.rstrip("/"), STATIC_DIR)
    for module in (
        login,
        pages,
        chat_stream,
        calls_api,
        settings_api,
        stats_api,
        training_api,
        training_pages,
    ):
        module.add_routes(app)
