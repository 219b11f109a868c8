"""The aiohttp application: creates the shared services at start-up and wires every route."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from admin import routes as admin_routes
from core.engine.turn_engine import TurnEngine
from core.llm.base import BackendError, LLMBackend
from core.llm.registration import register_models
from core.llm.selection import open_backend
from core.logging import get_logger
from core.model_settings import ModelSettingsManager
from core.persona import load_persona
from core.settings import Settings
from core.store.database import Database
from core.store.writer import StoreWriter
from voice import health, twilio_voice, vapi_llm, vapi_webhook
from voice.http_errors import json_errors
from voice.quality_setup import start_quality
from voice.services import SERVICES, Services

log = get_logger(__name__)

_SETTINGS_POLL_S = 1.0


async def preload_models(engine: TurnEngine) -> None:
    """Load the `auto_preload` models and warm the persona prompt of the default one."""
    current = engine.model_settings.current
    for name, entry in current.models.items():
        if not entry.auto_preload:
            continue
        try:
            await engine.backend.preload(name)
            if name == current.default_model:
                await engine.warm_up(name)
            log.info("model_preloaded", model=name, backend=engine.backend.name)
        except BackendError as exc:
            log.warning("model_preload_failed", model=name, error=str(exc))


async def _watch_model_settings(svc: Services) -> None:
    while True:
        await asyncio.sleep(_SETTINGS_POLL_S)
        if svc.model_settings.reload_if_changed():
            await register_models(svc.backend, svc.model_settings, svc.database)


def create_app(settings: Settings, backend: LLMBackend | None = None) -> web.Application:
    app = web.Application(client_max_size=settings.max_body_bytes, middlewares=[json_errors])

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        persona = load_persona(settings.personas_dir, settings.persona)
        model_settings = ModelSettingsManager(
            settings.model_settings_path,
            persona_names=(persona.name,),
            fallback_path=settings.model_settings_fallback_path,
        )
        database = Database(settings.database_path)
        await database.open()
        writer = StoreWriter(settings.database_path)
        await writer.start()
        active_backend = backend or await open_backend(settings)
        engine = TurnEngine.from_settings(
            settings,
            backend=active_backend,
            model_settings=model_settings,
            persona=persona,
            writer=writer,
        )
        svc = Services(settings, active_backend, model_settings, persona, database, writer, engine)
        app[SERVICES] = svc
        await register_models(active_backend, model_settings, database)
        svc.quality = await start_quality(svc)
        preload = asyncio.create_task(preload_models(engine))
        watcher = asyncio.create_task(_watch_model_settings(svc))
        log.info(
            "server_ready",
            backend=active_backend.name,
            default_model=model_settings.current.default_model,
            persona=persona.name,
        )
        yield
        for task in (preload, watcher):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if svc.quality is not None:
            await svc.quality.stop()
        await writer.close()
        await database.close()
        if backend is None:  # an injected backend belongs to whoever created it
            await active_backend.close()

    app.cleanup_ctx.append(lifecycle)
    health.add_routes(app)
    vapi_llm.add_routes(app)
    twilio_voice.add_routes(app)
    vapi_webhook.add_routes(app)
    admin_routes.add_routes(app)
    return app
