"""Twilio ConversationRelay: caller speech arrives as `prompt` frames, Jamie's reply leaves as
`text` frames, token by token (protocols.md §2).

One `RelaySession` per websocket. A reply runs as its own task, so the socket keeps reading
while Jamie speaks: an `interrupt` (barge-in) cancels that task at once, which closes the
backend stream, and the turn is stored as heard (`utteranceUntilInterrupt`). A handoff
(emergency, a request for a person, the caller pressing 0) ends the session with `end`;
Twilio then posts to /twilio/relay/action, which dials the on-call number.
A bad frame is logged, stored as an event and ignored; it never ends the call.
"""

from __future__ import annotations

import asyncio
import contextlib

from aiohttp import WSMsgType, web
from pydantic import ValidationError

from core.clock import now_ns, utc_now_iso
from core.engine.safety_gate import Handoff
from core.engine.turn import CallerInfo, TurnRequest
from core.engine.turn_engine import ActiveTurn
from core.logging import get_logger
from core.store.records import CallRecord, EventRecord
from voice.services import Services, services
from voice.twilio_relay_frames import (
    DtmfFrame,
    EndFrame,
    ErrorFrame,
    HandoffData,
    InfoFrame,
    InterruptFrame,
    PromptFrame,
    SetupFrame,
    TextFrame,
    parse_frame,
)
from voice.twilio_signature import twilio_auth
from voice.twilio_twiml import RELAY_PATH

log = get_logger(__name__)

_MAX_FRAME_BYTES = 64 * 1024
_STORED_FRAME_CHARS = 4096


class RelaySession:
    def __init__(self, svc: Services, ws: web.WebSocketResponse):
        self.svc = svc
        self.ws = ws
        self.setup: SetupFrame | None = None
        self.caller = CallerInfo()
        self.turn: ActiveTurn | None = None  # the latest reply (maybe still being spoken)
        self._speaking: asyncio.Task[None] | None = None
        self._handed_off = False
        self._lines = svc.engine.safety_gate.lines

    @property
    def call_id(self) -> str | None:
        return self.setup.callSid if self.setup else None

    async def on_frame(self, raw: str, received_ns: int) -> None:
        try:
            frame = parse_frame(raw)
        except ValidationError as exc:
            self.reject(raw, exc.errors()[0]["type"], str(exc.errors()[0]["msg"]))
            return
        if isinstance(frame, SetupFrame):
            self._on_setup(frame)
        elif self.setup is None:
            self.reject(raw, "before_setup", f"{frame.type} frame before setup")
        elif isinstance(frame, PromptFrame):
            await self._on_prompt(frame, received_ns)
        elif isinstance(frame, InterruptFrame):
            await self._on_interrupt(frame)
        elif isinstance(frame, DtmfFrame):
            await self._on_dtmf(frame)
        elif isinstance(frame, ErrorFrame):
            log.warning("relay_twilio_error", call_id=self.call_id, description=frame.description)
            self._event("relay_error", frame.model_dump())
        elif isinstance(frame, InfoFrame):
            log.debug("relay_info", call_id=self.call_id, name=frame.name, value=frame.value)

    def _on_setup(self, frame: SetupFrame) -> None:
        if self.setup is not None:
            self.reject(frame.model_dump_json(by_alias=True), "duplicate_setup", "second setup")
            return
        self.setup = frame
        self.caller = CallerInfo(
            provider_call_id=frame.callSid,
            from_number=frame.from_,
            to_number=frame.to,
            direction=frame.direction,
            metadata={"session_id": frame.sessionId, "custom": frame.customParameters},
        )
        self.svc.writer.add_call(
            CallRecord(
                id=frame.callSid,
                channel="twilio_relay",
                started_at=utc_now_iso(),
                persona=self.svc.persona.name,
                **self.caller.model_dump(),
            )
        )
        self._event("relay_setup", frame.model_dump(by_alias=True))
        log.info("relay_call_started", call_id=frame.callSid, direction=frame.direction)

    async def _on_prompt(self, frame: PromptFrame, received_ns: int) -> None:
        text = frame.voicePrompt.strip()
        if not frame.last or not text or self._handed_off:
            return  # partial prompts (if enabled) are cumulative: act on the last one
        assert self.call_id is not None
        await self._stop_speaking(heard=None)  # the caller spoke over Jamie without a barge-in
        request = TurnRequest(
            call_id=self.call_id,
            channel="twilio_relay",
            user_text=text,
            received_ns=received_ns,
            caller=self.caller,
            can_hand_off=True,
            on_backend_trouble="fill_and_apologize",
        )
        try:
            self.turn = self.svc.engine.start(request)
        except Exception:  # e.g. the default model vanished from the settings: say sorry
            log.exception("relay_turn_not_started", call_id=self.call_id)
            await self.ws.send_str(TextFrame(token=self._lines.apology, last=True).wire())
            return
        self._speaking = asyncio.create_task(self._speak(self.turn))

    async def _speak(self, turn: ActiveTurn) -> None:
        try:
            async with contextlib.aclosing(turn.pieces()) as pieces:
                async for piece in pieces:
                    await self.ws.send_str(TextFrame(token=piece, last=False).wire())
                    turn.mark_first_byte_out()
            await self.ws.send_str(TextFrame(token="", last=True).wire())
            if turn.handoff is not None:
                await self._end(turn.handoff)
        except ConnectionResetError:
            log.info("relay_socket_gone_mid_reply", call_id=self.call_id)
        except Exception:
            log.exception("relay_reply_failed", call_id=self.call_id)
            with contextlib.suppress(ConnectionResetError):
                await self.ws.send_str(TextFrame(token=self._lines.apology, last=True).wire())

    async def _on_interrupt(self, frame: InterruptFrame) -> None:
        heard = frame.utteranceUntilInterrupt
        if not await self._stop_speaking(heard=heard) and self.turn is not None:
            self.turn.interrupt(heard)  # the model was done; the voice was not
        self._event(
            "relay_interrupt",
            {"heard": heard, "duration_ms": frame.durationUntilInterruptMs},
        )

    async def _stop_speaking(self, heard: str | None) -> bool:
        """Cancel the reply in progress; True if there was one. Returns once the backend stopped."""
        task, self._speaking = self._speaking, None
        if task is None or task.done():
            return False
        if self.turn is not None:
            self.turn.interrupt(heard)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return True

    async def _on_dtmf(self, frame: DtmfFrame) -> None:
        self._event("relay_dtmf", {"digit": frame.digit})
        if frame.digit != "0" or self._handed_off:
            return
        await self._stop_speaking(heard=None)
        await self.ws.send_str(TextFrame(token=self._lines.human_handoff, last=True).wire())
        await self._end(Handoff(reason="dtmf_0"))

    async def _end(self, handoff: Handoff) -> None:
        self._handed_off = True
        data = HandoffData(
            reason=handoff.reason, emergency=handoff.emergency, call_sid=self.call_id
        )
        await self.ws.send_str(EndFrame.for_handoff(data).wire())
        self._event("relay_handoff", data.model_dump())
        log.info("relay_handoff", call_id=self.call_id, reason=handoff.reason)

    def reject(self, raw: str, code: str, message: str) -> None:
        log.info("relay_frame_ignored", call_id=self.call_id, code=code, message=message)
        self._event("relay_bad_frame", {"code": code, "message": message, "frame": raw})

    def _event(self, kind: str, payload: dict[str, object]) -> None:
        frame = payload.get("frame")
        if isinstance(frame, str) and len(frame) > _STORED_FRAME_CHARS:
            payload = {**payload, "frame": frame[:_STORED_FRAME_CHARS], "truncated": True}
        self.svc.writer.add_event(
            EventRecord(
                source="twilio_relay",
                kind=kind,
                created_at=utc_now_iso(),
                call_id=self.call_id,
                payload=payload,
            )
        )

    async def close(self) -> None:
        """The socket closed (hang-up, handoff, network): stop generating, keep the record."""
        await self._stop_speaking(heard=None)
        if self.call_id is not None:
            self.svc.writer.end_call(self.call_id, "handed_off" if self._handed_off else "ended")
            self.svc.engine.history.forget(self.call_id)
            log.info("relay_call_closed", call_id=self.call_id, handed_off=self._handed_off)


async def relay_socket(request: web.Request) -> web.StreamResponse:
    refusal = await twilio_auth(request).refusal(request, websocket=True)
    if refusal is not None:
        return refusal  # before the upgrade: nothing is accepted, stored or generated
    ws = web.WebSocketResponse(max_msg_size=_MAX_FRAME_BYTES)
    await ws.prepare(request)
    session = RelaySession(services(request), ws)
    try:
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                await session.on_frame(message.data, now_ns())
            elif message.type == WSMsgType.BINARY:
                session.reject(repr(message.data[:256]), "binary_frame", "binary frame")
    finally:
        await asyncio.shield(session.close())
    return ws


def add_routes(app: web.Application) -> None:
    app.router.add_get(RELAY_PATH, relay_socket)
