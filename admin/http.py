"""Request helpers for the admin API: typed JSON bodies, and refusals that keep what was sent."""

from __future__ import annotations

from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from core.clock import utc_now_iso
from core.logging import get_logger
from core.store.records import EventRecord
from voice.http_errors import json_error
from voice.services import services

log = get_logger(__name__)

_STORED_BODY_LIMIT = 64 * 1024

Body = TypeVar("Body", bound=BaseModel)


def reject(
    request: web.Request, status: int, code: str, message: str, raw: bytes = b""
) -> web.Response:
    """A 4xx JSON error; the request is kept as an `admin`/`bad_request` event."""
    services(request).writer.add_event(
        EventRecord(
            source="admin",
            kind="bad_request",
            created_at=utc_now_iso(),
            payload={
                "path": request.path,
                "method": request.method,
                "status": status,
                "code": code,
                "message": message,
                "body": raw[:_STORED_BODY_LIMIT].decode("utf-8", "replace"),
                "body_bytes": len(raw),
            },
        )
    )
    log.info("admin_request_rejected", path=request.path, status=status, code=code)
    return json_error(status, code, message)


async def read_body(request: web.Request, model: type[Body]) -> Body | web.Response:
    """The body parsed as `model`, or the 400/413 response to send instead."""
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return reject(request, 413, "request_too_large", "the request body is too large")
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        code = "invalid_json" if first["type"] == "json_invalid" else "invalid_request"
        return reject(request, 400, code, f"{where}: {first['msg']}", raw)
