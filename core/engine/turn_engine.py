"""One tenant turn: context in, guarded tokens out, the turn recorded with its timings.

Nothing here waits on the database: the call and turn records are queued for the store's
writer. An adapter drives a turn like this:

    turn = engine.start(request)      # resolves the model, builds the prompt (no I/O)
    await turn.open()                 # starts the backend; raises before any token is sent
    async for piece in turn.pieces(): # guarded text, as the model writes it
        send(piece); turn.mark_first_byte_out()
    # closing `pieces()` early (barge-in, hang-up) stops the backend and records what was heard
"""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable

from core.clock import elapsed_ms, now_ns, utc_now_iso
from core.engine.first_token import FallbackPolicy, FirstTokenWait
from core.engine.history import ConversationHistory, trim_history
from core.engine.leak_gate import LeakIndex
from core.engine.safety_gate import Intervention, SafetyGate
from core.engine.stream_guard import StreamGuard
from core.engine.turn import TurnRequest
from core.engine.turn_events import backend_failure_event, intervention_event
from core.llm.base import (
    BackendError,
    ChatMessage,
    GenerationOptions,
    LLMBackend,
    Token,
    ToolCall,
)
from core.logging import get_logger
from core.model_settings import ModelEntry, ModelSettingsManager
from core.persona import Persona
from core.settings import Settings
from core.spoken_lines import load_spoken_lines
from core.store.records import CallRecord, EventRecord, TurnRecord
from core.store.writer import StoreWriter

log = get_logger(__name__)

_SAMPLING_KEYS = ("temperature", "top_p", "seed")

_AMEND_HEARD = (
    "UPDATE turns SET reply_text = :reply_text, interrupted = 1, finish_reason = 'interrupted' "
    "WHERE uid = :uid"
)


def generation_options(
    persona: Persona, entry: ModelEntry, requested_max_tokens: int | None
) -> GenerationOptions:
    """Admin settings govern sampling; a provider's `max_tokens` can only shorten the reply."""
    options = dict(entry.options)
    max_tokens = persona.max_reply_tokens
    if requested_max_tokens:
        max_tokens = min(max_tokens, requested_max_tokens)
    return GenerationOptions(
        temperature=options.pop("temperature", persona.temperature),
        top_p=options.pop("top_p", None),
        seed=options.pop("seed", None),
        max_tokens=max_tokens,
        extra=options,
    )


class TurnEngine:
    def __init__(
        self,
        *,
        backend: LLMBackend,
        model_settings: ModelSettingsManager,
        persona: Persona,
        writer: StoreWriter,
        history: ConversationHistory,
        safety_gate: SafetyGate,
        fallbacks: FallbackPolicy,
    ):
        self.backend = backend
        self.model_settings = model_settings
        self.persona = persona
        self.writer = writer
        self.history = history
        self.leak_index = LeakIndex(persona.instructions)
        # Emergencies and requests for a person, checked before the model sees an utterance.
        self.safety_gate = safety_gate
        self.fallbacks = fallbacks
        # Called with every recorded turn, on the event loop; must not block (queue work).
        self.turn_listeners: list[Callable[[TurnRecord], None]] = []
        # Optional: context messages for an utterance (retrieved examples), added before it.
        self.example_retriever: Callable[[str], Awaitable[list[ChatMessage]]] | None = None

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        backend: LLMBackend,
        model_settings: ModelSettingsManager,
        persona: Persona,
        writer: StoreWriter,
    ) -> TurnEngine:
        """The engine as the server, `pete eval` and `pete replay` all run it."""
        lines = load_spoken_lines(settings.config_dir)
        return cls(
            backend=backend,
            model_settings=model_settings,
            persona=persona,
            writer=writer,
            history=ConversationHistory(max_messages=settings.history_max_messages),
            safety_gate=SafetyGate.load(settings.config_dir, lines),
            fallbacks=FallbackPolicy.from_lines(
                lines, settings.first_token_deadline_ms, settings.first_token_give_up_ms
            ),
        )

    async def warm_up(self, model: str) -> None:
        """Generate one token after the persona prompt, so the backend caches that prefix."""
        entry = self.model_settings.entry(model)
        options = generation_options(self.persona, entry, 1)
        messages = [
            ChatMessage(role="system", content=self.persona.system_prompt),
            ChatMessage(role="user", content="Hello."),
        ]
        stream = self.backend.stream(model, messages, options)
        try:
            async for _token in stream:
                pass
        finally:
            await stream.aclose()  # type: ignore[attr-defined]

    def start(self, request: TurnRequest) -> ActiveTurn:
        """Raises `UnknownModel` for a model name the settings don't list."""
        model = self.model_settings.resolve(request.model)
        entry = self.model_settings.entry(model)
        if request.call_id not in self.history:
            self.writer.add_call(
                CallRecord(
                    id=request.call_id,
                    channel=request.channel,
                    started_at=utc_now_iso(),
                    persona=self.persona.name,
                    **request.caller.model_dump(),
                )
            )
        if request.history is not None:
            self.history.replace(request.call_id, request.history)
        intervention = self.safety_gate.check(request)
        if intervention is not None:
            self.writer.add_event(intervention_event(request, intervention))
        prior = trim_history(self.history.get(request.call_id).messages, self.history.max_messages)
        messages = [
            ChatMessage(role="system", content=self.persona.system_prompt),
            *prior,
            ChatMessage(role="user", content=request.user_text),
            *request.tool_exchange,
        ]
        return ActiveTurn(
            engine=self,
            request=request,
            model=model,
            model_version=entry.version,
            messages=messages,
            options=generation_options(self.persona, entry, request.max_tokens).model_copy(
                update={"tools": request.tools}
            ),
            intervention=intervention,
        )


class ActiveTurn:
    def __init__(
        self,
        *,
        engine: TurnEngine,
        request: TurnRequest,
        model: str,
        model_version: str | None,
        messages: list[ChatMessage],
        options: GenerationOptions,
        intervention: Intervention | None = None,
    ):
        self.engine = engine
        self.request = request
        self.model = model
        self.model_version = model_version
        self.messages = messages
        self.options = options
        self.uid = uuid.uuid4().hex
        self.guard = StreamGuard(leak_index=engine.leak_index)
        self.turn_index = engine.history.get(request.call_id).turns
        self.started_at = utc_now_iso()
        self.ttft_ms: float | None = None
        self.first_byte_out_ms: float | None = None
        self.tokens = 0
        self.finish_reason: str | None = None
        self.error: str | None = None
        self.interrupted = False
        self.heard_text: str | None = None
        self.tool_calls: list[ToolCall] = []  # what the model asked to run, for the adapter
        # Fixed lines replacing the model's reply (an emergency, a request for a person).
        self.intervention = intervention
        self.handoff = intervention.handoff if intervention is not None else None
        self._spoken: list[str] = []
        self._after_line = False  # the next model piece follows a fixed line: space them
        self._stream: AsyncIterator[Token] | None = None
        self._first: Token | None = None
        self._recorded = False

    @property
    def reply_text(self) -> str:
        """What the caller heard: the provider's account after a barge-in, else what was sent."""
        if self.interrupted and self.heard_text is not None:
            return self.heard_text
        return "".join(self._spoken)

    async def open(self) -> None:
        """Start generating and wait for the first token, so errors surface before any output."""
        if self.intervention is not None:
            return
        await self._add_examples()
        backend_start = now_ns()
        self._stream = self.engine.backend.stream(self.model, self.messages, self.options)
        try:
            self._first = await anext(self._stream, Token(done=True, finish_reason="stop"))
        except BackendError as exc:
            self.error = f"{exc.code}: {exc}"
            await self._close(record=self.request.on_backend_trouble == "raise")
            raise
        except BaseException:
            self.interrupted = True
            await self._close()
            raise
        self.ttft_ms = elapsed_ms(backend_start)

    async def pieces(self) -> AsyncGenerator[str, None]:
        completed = False
        try:
            if self.intervention is not None:
                for line in self.intervention.lines:
                    yield self._say(line)
                self.finish_reason = self.intervention.reason
                completed = True
                return
            if self._stream is None:
                if self.request.on_backend_trouble == "raise":
                    await self.open()
                else:
                    async for filler in self._open_with_fillers():
                        yield self._say(filler)
            assert self._stream is not None
            token: Token | None = self._first
            while token is not None:
                if token.text:
                    self.tokens += 1
                    piece = self.guard.feed(token.text)
                    if piece:
                        if self._after_line and not piece[0].isspace():
                            piece = " " + piece
                        self._after_line = False
                        self._spoken.append(piece)
                        yield piece
                    if self.guard.stopped:
                        self.finish_reason = f"guard_{self.guard.stop_reason}"
                        break
                if token.tool_calls:
                    self.tool_calls.extend(token.tool_calls)
                if token.done:
                    self.finish_reason = "tool_calls" if self.tool_calls else token.finish_reason
                    if token.completion_tokens:
                        self.tokens = token.completion_tokens
                    break
                token = await anext(self._stream, None)
            tail = self.guard.finish()
            if tail:
                self._spoken.append(tail)
                yield tail
            completed = True
        except BackendError as exc:
            self.error = f"{exc.code}: {exc}"
            if self.request.on_backend_trouble == "raise":
                raise
            await self._close(record=False)
            self.finish_reason = "apology"
            self.engine.writer.add_event(
                backend_failure_event(self.request, self.uid, self.model, exc)
            )
            yield self._say(self.engine.fallbacks.apology)
            completed = True
        finally:
            if not completed and self.error is None:
                self.interrupted = True
            await self._close()

    async def _open_with_fillers(self) -> AsyncIterator[str]:
        """Start generating; while the backend is silent, yield filler lines to speak."""
        policy = self.engine.fallbacks
        if self.request.on_backend_trouble != "fill_and_apologize":
            policy = dataclasses.replace(policy, fillers=())
        await self._add_examples()
        backend_start = now_ns()
        self._stream = self.engine.backend.stream(self.model, self.messages, self.options)
        wait = FirstTokenWait(self._stream, policy)
        async with contextlib.aclosing(wait.fillers()) as fillers:
            async for filler in fillers:
                yield filler
        self._first = wait.first
        self.ttft_ms = elapsed_ms(backend_start)

    async def _add_examples(self) -> None:
        """Retrieved examples go right before the utterance: the cached prefix stays intact."""
        retriever = self.engine.example_retriever
        if retriever is None:
            return
        examples = await retriever(self.request.user_text)
        if examples:
            at = len(self.messages) - 1 - len(self.request.tool_exchange)
            self.messages = [*self.messages[:at], *examples, *self.messages[at:]]

    def _say(self, line: str) -> str:
        """A fixed line (safety sentence, filler, apology), spaced from what came before."""
        if self._spoken and not self._spoken[-1][-1:].isspace():
            line = " " + line
        self._spoken.append(line)
        self._after_line = True
        return line

    def mark_first_byte_out(self) -> None:
        if self.first_byte_out_ms is None:
            self.first_byte_out_ms = elapsed_ms(self.request.received_ns)

    def interrupt(self, heard_text: str | None = None) -> None:
        """The caller barged in; `heard_text` is what the provider says was actually played."""
        already_recorded = self._recorded and not self.interrupted
        self.interrupted = True
        self.heard_text = heard_text
        if already_recorded and heard_text is not None:
            self._amend_heard()

    def _amend_heard(self) -> None:
        """Barge-in after the turn was recorded: the model had finished, the voice had not."""
        spoken, heard = "".join(self._spoken), self.reply_text
        self.engine.history.replace_last_reply(self.request.call_id, spoken, heard)
        self.engine.writer.execute(_AMEND_HEARD, {"uid": self.uid, "reply_text": heard})

    async def _close(self, record: bool = True) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            await stream.aclose()  # type: ignore[attr-defined]
        if record:
            self._record()

    def _record(self) -> None:
        if self._recorded:
            return
        self._recorded = True
        request = self.request
        reply = self.reply_text
        self.engine.history.append_exchange(request.call_id, request.user_text, reply)
        record = TurnRecord(
            uid=self.uid,
            call_id=request.call_id,
            turn_index=self.turn_index,
            channel=request.channel,
            persona=self.engine.persona.name,
            model=self.model,
            model_version=self.model_version,
            backend=self.engine.backend.name,
            user_text=request.user_text,
            reply_text=reply,
            started_at=self.started_at,
            ttft_ms=self.ttft_ms,
            first_byte_out_ms=self.first_byte_out_ms,
            total_ms=elapsed_ms(request.received_ns),
            tokens=self.tokens,
            interrupted=self.interrupted,
            finish_reason=self.finish_reason if not self.interrupted else "interrupted",
            error=self.error,
        )
        self.engine.writer.add_turn(record)
        if self.tool_calls:
            self.engine.writer.add_event(
                EventRecord(
                    source="engine",
                    kind="model_tool_calls",
                    created_at=utc_now_iso(),
                    call_id=request.call_id,
                    payload={
                        "turn_uid": self.uid,
                        "tool_calls": [call.model_dump() for call in self.tool_calls],
                    },
                )
            )
        for listener in self.engine.turn_listeners:
            listener(record)
        log.info(
            "turn_done",
            call_id=request.call_id,
            channel=request.channel,
            model=self.model,
            ttft_ms=self.ttft_ms,
            first_byte_out_ms=self.first_byte_out_ms,
            tokens=self.tokens,
            interrupted=self.interrupted,
            error=self.error,
        )
