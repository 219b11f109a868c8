"""Every error leaves as JSON: `{"error": {"code", "message", ...}}` (OpenAI-compatible)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from core.logging import get_logger

log = get_logger(__name__)

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
}


def json_error(status: int, code: str, message: str, *, param: str | None = None) -> web.Response:
    body: dict[str, Any] = {
        "error": {
            "code": code,
            "message": message,
            "type": _ERROR_TYPES.get(status, "server_error" if status >= 500 else "api_error"),
            "param": param,
        }
    }
    return web.json_response(body, status=status)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        code = exc.reason.lower().replace(" ", "_")
        return json_error(exc.status, code, exc.text or exc.reason)
    except Exception:
        log.exception("unhandled_error", path=request.path, method=request.method)
        return json_error(500, "internal_error", "the server failed to handle this request")
