"""What the store keeps: one pydantic record per row kind."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class CallRecord(BaseModel):
    id: str
    channel: str
    started_at: str
    provider_call_id: str | None = None
    from_number: str | None = None
    to_number: str | None = None
    direction: str | None = None
    persona: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class TurnRecord(BaseModel):
    uid: str  # assigned by the engine, so later work can refer to a turn before it is written
    call_id: str
    turn_index: int
    channel: str
    persona: str
    model: str
    model_version: str | None
    backend: str
    user_text: str
    reply_text: str
    started_at: str
    ttft_ms: float | None
    first_byte_out_ms: float | None
    total_ms: float
    tokens: int
    interrupted: bool = False
    finish_reason: str | None = None
    error: str | None = None


class EventRecord(BaseModel):
    source: str
    kind: str
    created_at: str
    payload: dict[str, Any]
    call_id: str | None = None
