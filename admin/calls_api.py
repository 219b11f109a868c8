"""JSON for the dashboard: calls in progress, recent calls, one call's transcript, the models."""

from __future__ import annotations

from aiohttp import web

from admin.calls import call_transcript, live_calls, recent_calls
from admin.http import reject
from admin.state import admin_database
from voice.http_errors import json_error
from voice.services import Services, services


def model_choices(svc: Services, *, visible_only: bool) -> dict[str, object]:
    current = svc.model_settings.current
    models = [
        {
            "name": name,
            "display_name": entry.display_name,
            "description": entry.description,
            "version": entry.version,
            "show_in_ui": entry.show_in_ui,
        }
        for name, entry in current.models.items()
        if entry.show_in_ui or not visible_only
    ]
    return {"default_model": current.default_model, "persona": svc.persona.name, "models": models}


async def playground_models(request: web.Request) -> web.Response:
    return web.json_response(model_choices(services(request), visible_only=True))


async def all_models(request: web.Request) -> web.Response:
    return web.json_response(model_choices(services(request), visible_only=False))


async def live(request: web.Request) -> web.Response:
    return web.json_response({"calls": await live_calls(admin_database(request))})


async def recent(request: web.Request) -> web.Response:
    try:
        limit = min(max(int(request.query.get("limit", "50")), 1), 500)
    except ValueError:
        return reject(request, 400, "invalid_limit", "limit must be a whole number")
    channel = request.query.get("channel") or None
    calls = await recent_calls(admin_database(request), limit=limit, channel=channel)
    return web.json_response({"calls": calls})


async def transcript(request: web.Request) -> web.Response:
    found = await call_transcript(admin_database(request), request.match_info["call_id"])
    if found is None:
        return json_error(404, "call_not_found", "no call has this id")
    return web.json_response(found)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/ui/api/models", playground_models)
    app.router.add_get("/admin/api/models", all_models)
    app.router.add_get("/admin/api/calls/live", live)
    app.router.add_get("/admin/api/calls", recent)
    app.router.add_get("/admin/api/calls/{call_id}", transcript)
