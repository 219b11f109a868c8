"""Helpers shared by the Twilio webhook handlers: read a form, store an event, answer TwiML."""

from __future__ import annotations

from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from core.clock import utc_now_iso
from core.logging import get_logger
from core.store.records import EventRecord
from voice.http_errors import json_error
from voice.services import Services, services
from voice.twilio_forms import form_fields

log = get_logger(__name__)

FormT = TypeVar("FormT", bound=BaseModel)


def twiml(xml: str) -> web.Response:
    return web.Response(text=xml, content_type="application/xml")


def store_event(svc: Services, kind: str, call_id: str | None, payload: dict[str, Any]) -> None:
    svc.writer.add_event(
        EventRecord(
            source="twilio", kind=kind, created_at=utc_now_iso(), call_id=call_id, payload=payload
        )
    )


async def read_form(request: web.Request, model: type[FormT], route: str) -> FormT | web.Response:
    """The validated form, or a 400 (what was received is kept as an event)."""
    fields = await form_fields(request)
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "form"
        message = f"{where}: {first['msg']}"
        call_id = fields.get("CallSid")
        store_event(services(request), "bad_request", call_id, {"route": route, "form": fields})
        log.info("twilio_bad_request", route=route, problem=message)
        return json_error(400, "invalid_request", message, param=where)
