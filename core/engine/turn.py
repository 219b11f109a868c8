"""The input and output of one tenant turn, independent of the channel it came from."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from core.llm.base import ChatMessage

Channel = Literal["vapi", "twilio_relay", "twilio_gather", "web", "eval", "bench", "replay"]


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
    # Tools the model may call (OpenAI format), and the calls and results that came after
    # `user_text` (the provider ran the tools and asks again with their results).
    tools: list[dict[str, Any]] | None = None
    tool_exchange: list[ChatMessage] = Field(default_factory=list)
    # The adapter can pass the call to a person (Twilio): emergencies and requests for a
    # person then carry a handoff.
    can_hand_off: bool = False
    # "raise": backend errors surface as exceptions (VAPI turns them into HTTP errors).
    # "apologize": the caller hears the apology instead. "fill_and_apologize": also a filler
    # line at each first-token deadline while the backend is silent (streaming voice).
    on_backend_trouble: Literal["raise", "apologize", "fill_and_apologize"] = "raise"
