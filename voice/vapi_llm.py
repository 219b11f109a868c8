"""VAPI custom LLM: OpenAI chat completions in, Jamie's reply out as OpenAI SSE chunks.

VAPI treats `{PUBLIC_URL}/vapi` as an OpenAI base URL, so requests land on
`/vapi/chat/completions` (and `/vapi/v1/chat/completions` for clients that add `/v1`).
"""

from __future__ import annotations

import contextlib
import hmac
import time
import uuid

from aiohttp import web
from pydantic import ValidationError

from core.clock import now_ns, utc_now_iso
from core.engine.turn import CallerInfo, TurnRequest
from core.engine.turn_engine import ActiveTurn
from core.llm.base import BackendError, BackendUnavailable, ModelNotFound
from core.logging import get_logger
from core.model_settings import UnknownModel
from core.store.records import EventRecord
from voice.http_errors import json_error
from voice.openai_wire import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    ChunkChoice,
    ChunkDelta,
    CompletionChoice,
    CompletionMessage,
    ModelCard,
    ModelList,
    ToolCallOut,
    Usage,
    openai_finish_reason,
    openai_tool_calls,
    split_conversation,
    tool_exchange,
)
from voice.services import Services, services

log = get_logger(__name__)

_STORED_BODY_LIMIT = 64 * 1024
_SSE_HEADERS = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}


def _authorized(svc: Services, request: web.Request) -> bool:
    token = svc.settings.vapi_llm_token
    if token is None:
        return True
    header = request.headers.get("Authorization", "")
    scheme, _, supplied = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        supplied.strip().encode(), token.get_secret_value().encode()
    )


def _reject(
    svc: Services,
    status: int,
    code: str,
    message: str,
    *,
    raw: bytes = b"",
    call_id: str | None = None,
    param: str | None = None,
) -> web.Response:
    """Answer with an OpenAI-style error and keep what was received as an event."""
    svc.writer.add_event(
        EventRecord(
            source="vapi_llm",
            kind="bad_request",
            created_at=utc_now_iso(),
            call_id=call_id,
            payload={
                "status": status,
                "code": code,
                "message": message,
                "body": raw[:_STORED_BODY_LIMIT].decode("utf-8", "replace"),
                "body_bytes": len(raw),
            },
        )
    )
    log.info("vapi_llm_rejected", status=status, code=code, call_id=call_id)
    return json_error(status, code, message, param=param)


async def chat_completions(request: web.Request) -> web.StreamResponse:
    received = now_ns()
    svc = services(request)
    if not _authorized(svc, request):
        return _reject(svc, 401, "invalid_api_key", "missing or wrong bearer token")
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _reject(
            svc,
            413,
            "request_too_large",
            f"request body is over the {svc.settings.max_body_bytes} byte limit",
        )
    try:
        body = ChatCompletionRequest.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        code = "invalid_json" if first["type"] == "json_invalid" else "invalid_request"
        return _reject(svc, 400, code, f"{where}: {first['msg']}", raw=raw, param=where)
    call_id = (body.call.id if body.call else None) or f"vapi-{uuid.uuid4().hex}"
    conversation = split_conversation(body.messages)
    if conversation is None:
        return _reject(
            svc,
            400,
            "no_user_message",
            "messages contain no user utterance",
            raw=raw,
            call_id=call_id,
            param="messages",
        )
    utterance, history = conversation
    customer = body.customer or {}
    phone = body.phoneNumber or {}
    turn_request = TurnRequest(
        call_id=call_id,
        channel="vapi",
        user_text=utterance,
        received_ns=received,
        model=body.model,
        history=history,
        max_tokens=body.max_completion_tokens or body.max_tokens,
        tools=[tool.model_dump(exclude_none=True) for tool in body.tools] if body.tools else None,
        tool_exchange=tool_exchange(body.messages),
        caller=CallerInfo(
            provider_call_id=body.call.phoneCallProviderId if body.call else None,
            from_number=customer.get("number"),
            to_number=phone.get("number"),
            direction=body.call.type if body.call else None,
            metadata=body.metadata or {},
        ),
    )
    try:
        turn = svc.engine.start(turn_request)
    except UnknownModel:
        return _reject(
            svc,
            404,
            "model_not_found",
            f"the model {body.model!r} does not exist",
            raw=raw,
            call_id=call_id,
            param="model",
        )
    try:
        await turn.open()
    except ModelNotFound as exc:
        return json_error(404, exc.code, str(exc), param="model")
    except BackendUnavailable as exc:
        return json_error(503, exc.code, str(exc))
    except BackendError as exc:
        return json_error(502, exc.code, str(exc))
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    if body.stream:
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        return await _stream_sse(request, turn, completion_id, include_usage)
    return await _complete(turn, completion_id)


def _chunk(
    completion_id: str,
    created: int,
    model: str,
    delta: ChunkDelta,
    finish_reason: str | None = None,
) -> bytes:
    chunk = ChatCompletionChunk(
        id=completion_id,
        created=created,
        model=model,
        choices=[ChunkChoice(delta=delta, finish_reason=finish_reason)],
    )
    return b"data: " + chunk.model_dump_json(exclude_none=True).encode() + b"\n\n"


def _usage(turn: ActiveTurn) -> Usage:
    return Usage(completion_tokens=turn.tokens, total_tokens=turn.tokens)


async def _stream_sse(
    request: web.Request, turn: ActiveTurn, completion_id: str, include_usage: bool
) -> web.StreamResponse:
    created = int(time.time())
    response = web.StreamResponse(headers=_SSE_HEADERS)
    try:
        await response.prepare(request)
        await response.write(
            _chunk(completion_id, created, turn.model, ChunkDelta(role="assistant", content=""))
        )
        async with contextlib.aclosing(turn.pieces()) as pieces:
            async for piece in pieces:
                await response.write(
                    _chunk(completion_id, created, turn.model, ChunkDelta(content=piece))
                )
                turn.mark_first_byte_out()
        if turn.tool_calls:
            delta = ChunkDelta(tool_calls=openai_tool_calls(turn.tool_calls))
            await response.write(_chunk(completion_id, created, turn.model, delta))
            turn.mark_first_byte_out()
    except BackendError as exc:
        error = json_error(502, exc.code, str(exc)).text or ""
        await response.write(b"data: " + error.encode() + b"\n\n")
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response
    except ConnectionResetError:
        log.info("vapi_llm_client_gone", call_id=turn.request.call_id)
        return response
    finish = openai_finish_reason(turn.finish_reason)
    await response.write(_chunk(completion_id, created, turn.model, ChunkDelta(), finish))
    if include_usage:
        usage = ChatCompletionChunk(
            id=completion_id, created=created, model=turn.model, choices=[], usage=_usage(turn)
        )
        await response.write(b"data: " + usage.model_dump_json().encode() + b"\n\n")
    await response.write(b"data: [DONE]\n\n")
    await response.write_eof()
    return response


async def _complete(turn: ActiveTurn, completion_id: str) -> web.Response:
    try:
        async with contextlib.aclosing(turn.pieces()) as pieces:
            text = "".join([piece async for piece in pieces])
    except BackendError as exc:
        return json_error(502, exc.code, str(exc))
    # Not streamed: the turn's total_ms is the time to the answer; first_byte_out_ms stays null.
    completion = ChatCompletion(
        id=completion_id,
        created=int(time.time()),
        model=turn.model,
        choices=[
            CompletionChoice(
                message=CompletionMessage(
                    content=text or (None if turn.tool_calls else ""),
                    tool_calls=[
                        ToolCallOut(id=call.id, function=call.function)
                        for call in openai_tool_calls(turn.tool_calls)
                    ]
                    or None,
                ),
                finish_reason=openai_finish_reason(turn.finish_reason),
            )
        ],
        usage=_usage(turn),
    )
    return web.json_response(text=completion.model_dump_json())


async def list_models(request: web.Request) -> web.Response:
    """What an admin can type as the model name in VAPI: aliases first, then the settings list."""
    svc = services(request)
    if not _authorized(svc, request):
        return json_error(401, "invalid_api_key", "missing or wrong bearer token")
    created = int(time.time())
    names = ["default", svc.persona.name, *svc.model_settings.current.models]
    cards = [ModelCard(id=name, created=created) for name in names]
    return web.json_response(text=ModelList(data=cards).model_dump_json())


def add_routes(app: web.Application) -> None:
    for prefix in ("/vapi", "/vapi/v1"):
        app.router.add_post(f"{prefix}/chat/completions", chat_completions)
        app.router.add_get(f"{prefix}/models", list_models)
