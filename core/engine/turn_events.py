"""Events a turn stores besides its own record: emergencies, handoffs, backend failures."""

from __future__ import annotations

from core.clock import utc_now_iso
from core.engine.safety_gate import Intervention
from core.engine.turn import TurnRequest
from core.llm.base import BackendError
from core.store.records import EventRecord


def intervention_event(request: TurnRequest, intervention: Intervention) -> EventRecord:
    kind = "emergency" if intervention.reason == "emergency" else "handoff_requested"
    return EventRecord(
        source="engine",
        kind=kind,
        created_at=utc_now_iso(),
        call_id=request.call_id,
        payload={
            "channel": request.channel,
            "emergency": intervention.emergency,
            "other_emergencies": intervention.other_emergencies,
            "matched": intervention.matched,
            "user_text": request.user_text,
            "handoff": intervention.handoff.model_dump() if intervention.handoff else None,
            "from_number": request.caller.from_number,
        },
    )


def backend_failure_event(
    request: TurnRequest, turn_uid: str, model: str, error: BackendError
) -> EventRecord:
    """The caller was promised a call back: this row is the note to call them."""
    return EventRecord(
        source="engine",
        kind="backend_failure",
        created_at=utc_now_iso(),
        call_id=request.call_id,
        payload={
            "channel": request.channel,
            "turn_uid": turn_uid,
            "model": model,
            "code": error.code,
            "error": str(error),
            "user_text": request.user_text,
            "from_number": request.caller.from_number,
            "callback_promised": True,
        },
    )
