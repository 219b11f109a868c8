"""Twilio `<Gather input="speech">` loop (PETE_TWILIO_MODE=gather; protocols.md §4).

Twilio transcribes one utterance and posts it; we answer with TwiML that says the whole reply
and listens again. Nothing about the call lives in this process between requests: the
conversation is read back from the store by CallSid and the count of empty results travels
in the action URL, so any replica can take the next request. Each turn is committed before
the TwiML goes back, because the next request may land elsewhere.
"""

from __future__ import annotations

import contextlib

from aiohttp import web

from core.clock import now_ns, utc_now_iso
from core.engine.turn import CallerInfo, TurnRequest
from core.llm.base import ChatMessage
from core.logging import get_logger
from core.store.records import CallRecord
from voice import twilio_twiml
from voice.services import Services, services
from voice.twilio_forms import GatherForm
from voice.twilio_http import read_form, store_event, twiml
from voice.twilio_signature import twilio_signed

log = get_logger(__name__)

_CALL_HISTORY = "SELECT user_text, reply_text FROM turns WHERE call_id = ? ORDER BY turn_index, id"


def _empty_results(request: web.Request) -> int:
    value = request.query.get("empty", "0")
    return int(value) if value.isdigit() else 0


async def _restore_history(svc: Services, call_id: str) -> None:
    rows = await svc.database.fetch_all(_CALL_HISTORY, (call_id,))
    messages: list[ChatMessage] = []
    for row in rows:
        messages.append(ChatMessage(role="user", content=row["user_text"]))
        if row["reply_text"]:
            messages.append(ChatMessage(role="assistant", content=row["reply_text"]))
    svc.engine.history.restore(call_id, messages, turns=len(rows))


@twilio_signed
async def gather_turn(request: web.Request) -> web.Response:
    received = now_ns()
    svc = services(request)
    form = await read_form(request, GatherForm, "gather")
    if isinstance(form, web.Response):
        return form
    settings, persona = svc.settings, svc.persona
    lines = svc.engine.safety_gate.lines
    if form.Digits == "0":
        store_event(svc, "handoff_requested", form.CallSid, {"reason": "dtmf_0"})
        return twiml(twilio_twiml.hand_off(settings, persona, lines, [lines.human_handoff]))
    speech = form.SpeechResult.strip()
    if not speech:
        empty = _empty_results(request) + 1
        store_event(svc, "gather_no_input", form.CallSid, {"empty_results": empty})
        if empty >= 2:
            svc.writer.end_call(form.CallSid, "no_input")
            return twiml(twilio_twiml.goodbye(settings, persona, lines.goodbye))
        return twiml(twilio_twiml.gather(settings, persona, lines.reprompt, empty_results=empty))

    caller = CallerInfo(
        provider_call_id=form.CallSid,
        from_number=form.From,
        to_number=form.To,
        direction=form.Direction,
    )
    # Upserted: the replica that answered /twilio/voice may not have committed the call yet.
    svc.writer.add_call(
        CallRecord(
            id=form.CallSid,
            channel="twilio_gather",
            started_at=utc_now_iso(),
            persona=persona.name,
            **caller.model_dump(),
        )
    )
    await _restore_history(svc, form.CallSid)
    turn = svc.engine.start(
        TurnRequest(
            call_id=form.CallSid,
            channel="twilio_gather",
            user_text=speech,
            received_ns=received,
            caller=caller,
            can_hand_off=True,
            on_backend_trouble="apologize",
        )
    )
    try:
        async with contextlib.aclosing(turn.pieces()) as pieces:
            reply = "".join([piece async for piece in pieces]).strip()
    finally:
        svc.engine.history.forget(form.CallSid)  # the store is the truth between requests
    await svc.writer.flush()
    if turn.handoff is not None:
        return twiml(twilio_twiml.hand_off(settings, persona, lines, [reply]))
    return twiml(twilio_twiml.gather(settings, persona, reply or lines.reprompt))


def add_routes(app: web.Application) -> None:
    app.router.add_post(twilio_twiml.GATHER_PATH, gather_turn)
