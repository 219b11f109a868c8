"""ConversationRelay's websocket frames (protocols.md §2.2, §2.3), one pydantic model each.

Twilio may add fields at any time, so incoming frames keep unknown keys; an unknown `type`
fails validation and the adapter logs and ignores it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from core.engine.safety_gate import HandoffReason


class _Incoming(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class SetupFrame(_Incoming):
    type: Literal["setup"]
    callSid: str = Field(min_length=1)
    sessionId: str | None = None
    accountSid: str | None = None
    parentCallSid: str | None = None
    from_: str | None = Field(default=None, alias="from")
    to: str | None = None
    forwardedFrom: str | None = None
    callType: str | None = None
    callerName: str | None = None
    direction: str | None = None
    callStatus: str | None = None
    customParameters: dict[str, Any] = Field(default_factory=dict)


class PromptFrame(_Incoming):
    type: Literal["prompt"]
    voicePrompt: str
    lang: str | None = None
    last: bool = True


class InterruptFrame(_Incoming):
    type: Literal["interrupt"]
    utteranceUntilInterrupt: str = ""
    durationUntilInterruptMs: int | None = None  # Twilio's pages show both "460" and 460


class DtmfFrame(_Incoming):
    type: Literal["dtmf"]
    digit: str


class ErrorFrame(_Incoming):
    type: Literal["error"]
    description: str = ""


class InfoFrame(_Incoming):
    type: Literal["info"]
    name: str | None = None
    value: Any = None


IncomingFrame = Annotated[
    SetupFrame | PromptFrame | InterruptFrame | DtmfFrame | ErrorFrame | InfoFrame,
    Field(discriminator="type"),
]
_INCOMING: TypeAdapter[IncomingFrame] = TypeAdapter(IncomingFrame)


def parse_frame(raw: str | bytes) -> IncomingFrame:
    """Raises pydantic's ValidationError for malformed JSON, a missing field or unknown type."""
    return _INCOMING.validate_json(raw)


class TextFrame(BaseModel):
    type: Literal["text"] = "text"
    token: str
    last: bool
    lang: str | None = None
    interruptible: bool | None = None
    preemptible: bool | None = None

    def wire(self) -> str:
        return self.model_dump_json(exclude_none=True)


class HandoffData(BaseModel):
    """What `end` carries (as a JSON string) and `/twilio/relay/action` receives back."""

    reason: HandoffReason
    emergency: str | None = None
    call_sid: str | None = None


class EndFrame(BaseModel):
    type: Literal["end"] = "end"
    handoffData: str

    @classmethod
    def for_handoff(cls, data: HandoffData) -> EndFrame:
        return cls(handoffData=data.model_dump_json(exclude_none=True))

    def wire(self) -> str:
        return self.model_dump_json()
