"""The form posts Twilio sends to our webhooks (protocols.md §2.3, §4), one model each.

Twilio adds parameters freely, so unknown ones are kept; only what we act on is typed.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field


class TwilioCallForm(BaseModel):
    model_config = ConfigDict(extra="allow")

    CallSid: str = Field(min_length=1)
    AccountSid: str | None = None
    From: str | None = None
    To: str | None = None
    Direction: str | None = None
    CallStatus: str | None = None


class GatherForm(TwilioCallForm):
    SpeechResult: str = ""
    Confidence: float | None = None
    Digits: str = ""


class RelayActionForm(TwilioCallForm):
    SessionId: str | None = None
    SessionStatus: str | None = None
    SessionDuration: str | None = None
    HandoffData: str | None = None


class DialActionForm(TwilioCallForm):
    DialCallStatus: str | None = None
    DialCallDuration: str | None = None


class StatusForm(TwilioCallForm):
    CallDuration: str | None = None
    Timestamp: str | None = None
    SequenceNumber: str | None = None


async def form_fields(request: web.Request) -> dict[str, Any]:
    """The posted form as a plain dict (Twilio sends each parameter once)."""
    return dict(await request.post())
