"""Chat from a browser, through the same turn engine as phone calls (channel "web").

`POST /ui/api/chat` (playground: only models shown in the UI) and `POST /admin/api/test`
(model test panel: any model) answer with NDJSON lines, flushed as the model writes:

    {"type": "start", "turn_uid", "conversation_id", "model", "model_version", "ttft_ms"}
    {"type": "token", "text"}                      one per guarded piece
    {"type": "done", "ttft_ms", "total_ms", "tokens", "tokens_per_s", "finish_reason", ...}
    {"type": "error", "code", "message"}           if the backend fails mid-reply

A closed connection (the Stop button) stops the backend and stores the turn as interrupted.
The turn's checks and Jamie score arrive later: `GET .../turns/{uid}/score`.
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from admin.http import read_body, reject
from admin.metrics import decode_rate
from admin.state import admin_database
from core.clock import elapsed_ms, now_ns
from core.engine.turn import CallerInfo, TurnRequest
from core.llm.base import BackendError, BackendUnavailable, ModelNotFound
from core.logging import get_logger
from core.model_settings import UnknownModel
from voice.http_errors import json_error
from voice.services import services

log = get_logger(__name__)

_TURN_UID = re.compile(r"^[0-9a-f]{32}$")
_NDJSON_HEADERS = {
    "Content-Type": "application/x-ndjson",
    "Cache-Control": "no-store",
    "X-Accel-Buffering": "no",
    "X-Content-Type-Options": "nosniff",
}


class ChatBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1, max_length=4000)
    model: str | None = Field(default=None, max_length=200)
    persona: str | None = Field(default=None, max_length=100)
    # Only ids this endpoint made: a browser can't write into a phone call's history.
    conversation_id: str | None = Field(default=None, pattern=r"^web-[0-9a-f]{32}$")
    max_tokens: int | None = Field(default=None, ge=1, le=4096)  # can only shorten the reply


def _line(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode() + b"\n"


async def _stream(request: web.Request, *, any_model: bool, page: str) -> web.StreamResponse:
    received = now_ns()
    svc = services(request)
    body = await read_body(request, ChatBody)
    if isinstance(body, web.Response):
        return body
    if not body.message.strip():
        return reject(request, 400, "empty_message", "message is empty", body.message.encode())
    if body.persona and body.persona != svc.persona.name:
        return reject(
            request,
            400,
            "persona_not_served",
            f"this server answers as {svc.persona.name!r} (PETE_PERSONA); "
            f"start it with PETE_PERSONA={body.persona} to chat with {body.persona!r}",
        )
    try:
        model = svc.model_settings.resolve(body.model)
    except UnknownModel:
        return reject(request, 404, "model_not_found", f"the model {body.model!r} is not listed")
    if not any_model and not svc.model_settings.entry(model).show_in_ui:
        return reject(request, 404, "model_not_found", f"the model {model!r} is not listed")
    call_id = body.conversation_id or f"web-{uuid.uuid4().hex}"
    turn = svc.engine.start(
        TurnRequest(
            call_id=call_id,
            channel="web",
            user_text=body.message.strip(),
            received_ns=received,
            model=model,
            max_tokens=body.max_tokens,
            caller=CallerInfo(metadata={"page": page}),
        )
    )
    try:
        await turn.open()
    except ModelNotFound as exc:
        return json_error(404, exc.code, str(exc))
    except BackendUnavailable as exc:
        return json_error(503, exc.code, str(exc))
    except BackendError as exc:
        return json_error(502, exc.code, str(exc))
    response = web.StreamResponse(headers=_NDJSON_HEADERS)
    try:
        await response.prepare(request)
        await response.write(
            _line(
                {
                    "type": "start",
                    "turn_uid": turn.uid,
                    "conversation_id": call_id,
                    "model": turn.model,
                    "model_version": turn.model_version,
                    "ttft_ms": turn.ttft_ms,
                }
            )
        )
        async with contextlib.aclosing(turn.pieces()) as pieces:
            async for piece in pieces:
                await response.write(_line({"type": "token", "text": piece}))
                turn.mark_first_byte_out()
    except BackendError as exc:
        await response.write(_line({"type": "error", "code": exc.code, "message": str(exc)}))
        await response.write_eof()
        return response
    except ConnectionResetError:
        log.info("web_chat_client_gone", call_id=call_id)
        return response
    total_ms = elapsed_ms(received)
    await response.write(
        _line(
            {
                "type": "done",
                "turn_uid": turn.uid,
                "ttft_ms": turn.ttft_ms,
                "first_byte_out_ms": turn.first_byte_out_ms,
                "total_ms": round(total_ms, 3),
                "tokens": turn.tokens,
                "tokens_per_s": decode_rate(turn.tokens, turn.ttft_ms, total_ms),
                "finish_reason": turn.finish_reason,
                "reply_text": turn.reply_text,
            }
        )
    )
    await response.write_eof()
    return response


async def playground_chat(request: web.Request) -> web.StreamResponse:
    return await _stream(request, any_model=False, page="ui")


async def model_test(request: web.Request) -> web.StreamResponse:
    return await _stream(request, any_model=True, page="admin")


async def turn_score(request: web.Request) -> web.Response:
    """The reply-quality worker's verdict on a turn, or `pending` until it has scored it."""
    uid = request.match_info["uid"]
    if not _TURN_UID.match(uid):
        return reject(request, 400, "invalid_turn_uid", "a turn uid is 32 hex digits")
    rows = await admin_database(request).fetch_all(
        "SELECT * FROM turn_scores WHERE turn_uid = ?", (uid,)
    )
    if not rows:
        return web.json_response({"turn_uid": uid, "status": "pending"})
    row = rows[0]
    return web.json_response(
        {
            "turn_uid": uid,
            "status": "ready",
            "passed": bool(row["passed"]),
            "jamie_score": row["jamie_score"],
            "violations": json.loads(row["violations"] or "[]"),
            "soft_scores": json.loads(row["soft_scores"] or "{}"),
            "similarity": row["similarity"],
            "scored_at": row["scored_at"],
        }
    )


def add_routes(app: web.Application) -> None:
    app.router.add_post("/ui/api/chat", playground_chat)
    app.router.add_post("/admin/api/test", model_test)
    app.router.add_get("/ui/api/turns/{uid}/score", turn_score)
    app.router.add_get("/admin/api/turns/{uid}/score", turn_score)
