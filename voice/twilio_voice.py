"""Twilio's HTTP webhooks: the incoming call, the end of a relay session, the end of a
handoff dial, and call status callbacks. Every route is signature-checked (twilio_signature).

`PETE_TWILIO_MODE` picks how a call is answered: `relay` (ConversationRelay, streaming) or
`gather` (the `<Gather>` loop in twilio_gather.py).
"""

from __future__ import annotations

from aiohttp import web
from pydantic import ValidationError

from core.clock import utc_now_iso
from core.logging import get_logger
from core.store.records import CallRecord
from voice import twilio_gather, twilio_relay, twilio_signature, twilio_twiml
from voice.services import services
from voice.twilio_forms import DialActionForm, RelayActionForm, StatusForm, TwilioCallForm
from voice.twilio_http import read_form, store_event, twiml
from voice.twilio_relay_frames import HandoffData
from voice.twilio_signature import twilio_signed

log = get_logger(__name__)

_FINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})


@twilio_signed
async def incoming_call(request: web.Request) -> web.Response:
    svc = services(request)
    form = await read_form(request, TwilioCallForm, "voice")
    if isinstance(form, web.Response):
        return form
    mode = svc.settings.twilio_mode
    svc.writer.add_call(
        CallRecord(
            id=form.CallSid,
            channel="twilio_relay" if mode == "relay" else "twilio_gather",
            started_at=utc_now_iso(),
            provider_call_id=form.CallSid,
            from_number=form.From,
            to_number=form.To,
            direction=form.Direction,
            persona=svc.persona.name,
        )
    )
    store_event(svc, "incoming_call", form.CallSid, form.model_dump())
    log.info("twilio_call_incoming", call_id=form.CallSid, mode=mode, caller=form.From)
    if mode == "relay":
        return twiml(twilio_twiml.relay_connect(svc.settings, svc.persona))
    return twiml(twilio_twiml.gather(svc.settings, svc.persona, svc.persona.greeting))


def _handoff_data(raw: str | None) -> HandoffData | None:
    if not raw:
        return None
    try:
        return HandoffData.model_validate_json(raw)
    except ValidationError:
        log.warning("relay_handoff_data_unreadable", handoff_data=raw[:200])
        return None


@twilio_signed
async def relay_session_ended(request: web.Request) -> web.Response:
    """After `end` (a handoff) or a normal end of the session: dial the on-call, or hang up."""
    svc = services(request)
    form = await read_form(request, RelayActionForm, "relay_action")
    if isinstance(form, web.Response):
        return form
    store_event(svc, "relay_session_ended", form.CallSid, form.model_dump())
    handoff = _handoff_data(form.HandoffData)
    if handoff is None:
        svc.writer.end_call(form.CallSid, "completed")
        return twiml(twilio_twiml.hang_up())
    lines = svc.engine.safety_gate.lines
    say_first: list[str] = []
    case = next(
        (c for c in svc.engine.safety_gate.emergencies.config.cases if c.id == handoff.emergency),
        None,
    )
    if case is not None:
        # Said again: Twilio may cut the relay's queued speech when the session ends.
        say_first.append(case.safety_sentence)
    if not svc.settings.oncall_number:
        store_event(svc, "callback_needed", form.CallSid, {"handoff": handoff.model_dump()})
    return twiml(twilio_twiml.hand_off(svc.settings, svc.persona, lines, say_first))


@twilio_signed
async def handoff_dial_ended(request: web.Request) -> web.Response:
    """The on-call dial is over: hang up if they talked, else apologise (a call back is due)."""
    svc = services(request)
    form = await read_form(request, DialActionForm, "dial_action")
    if isinstance(form, web.Response):
        return form
    store_event(svc, "handoff_dial_ended", form.CallSid, form.model_dump())
    if form.DialCallStatus == "completed":
        svc.writer.end_call(form.CallSid, "handed_off")
        return twiml(twilio_twiml.hang_up())
    store_event(svc, "callback_needed", form.CallSid, {"dial_status": form.DialCallStatus})
    lines = svc.engine.safety_gate.lines
    return twiml(twilio_twiml.goodbye(svc.settings, svc.persona, lines.handoff_unavailable))


@twilio_signed
async def call_status(request: web.Request) -> web.Response:
    svc = services(request)
    form = await read_form(request, StatusForm, "status")
    if isinstance(form, web.Response):
        return form
    store_event(svc, "call_status", form.CallSid, form.model_dump())
    if form.CallStatus in _FINAL_STATUSES:
        svc.writer.end_call(form.CallSid, form.CallStatus)
    return web.Response(status=204)


def add_routes(app: web.Application) -> None:
    """Every /twilio route, and the signature check they share."""
    twilio_signature.install(app)
    app.router.add_post(twilio_twiml.VOICE_PATH, incoming_call)
    app.router.add_post(twilio_twiml.RELAY_ACTION_PATH, relay_session_ended)
    app.router.add_post(twilio_twiml.DIAL_ACTION_PATH, handoff_dial_ended)
    app.router.add_post(twilio_twiml.STATUS_PATH, call_status)
    twilio_relay.add_routes(app)
    twilio_gather.add_routes(app)
