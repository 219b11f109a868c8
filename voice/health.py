"""`GET /health`: which backend answers, the default model, and whether the database does."""

from __future__ import annotations

import asyncio

from aiohttp import web

from core.llm.base import BackendError
from voice.services import services


async def health(request: web.Request) -> web.Response:
    svc = services(request)
    database_ok = await svc.database.ping()
    try:
        loaded = [m.name for m in await asyncio.wait_for(svc.backend.loaded(), timeout=2.0)]
        backend_ok = True
    except (BackendError, TimeoutError):
        loaded, backend_ok = [], False
    healthy = database_ok and backend_ok
    body = {
        "status": "ok" if healthy else "degraded",
        "backend": svc.backend.name,
        "backend_ok": backend_ok,
        "default_model": svc.model_settings.current.default_model,
        "loaded_models": loaded,
        "database": "ok" if database_ok else "error",
        "persona": svc.persona.name,
        "store_pending_writes": svc.writer.pending,
    }
    return web.json_response(body, status=200 if healthy else 503)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/health", health)
