"""The input and output of one tenant turn, independent of the channel it came from."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from core.llm.base import ChatMessage

Channel = Literal["vapi", "twilio_relay", "twilio_gather", "web", "eval", "bench"]


class CallerInfo(BaseModel):
    provider_call_id: str | None = None
    from_number: str | None = None
    to_number: str | None = None
    direction: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class TurnRequest(BaseModel):
    call_id: str
    channel: Channel
    user_text: str
    received_ns: int
    model: str | None = None
    history: list[ChatMessage] | None = None  # sent by the provider (VAPI); None: server-kept
    max_tokens: int | None = None
    caller: CallerInfo = Field(default_factory=CallerInfo)
