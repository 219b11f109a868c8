"""Checks each utterance before the model sees it: emergencies and requests for a person.

An emergency turn opens with the reviewed safety sentence for its case and never reaches the
model (a small model could contradict "leave the building now"); on a channel that can hand a
call to a person, the turn also carries a `Handoff` that the adapter acts on (ConversationRelay:
`end` with handoffData, then `<Dial>`; Gather: `<Dial>`). A request for a person is only acted
on where a handoff is possible; elsewhere the model answers as usual.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from core.engine.turn import TurnRequest
from core.safety.emergencies import EmergencyClassifier
from core.safety.human_request import HumanRequestDetector
from core.spoken_lines import SpokenLines, load_spoken_lines

HandoffReason = Literal["emergency", "human_requested", "dtmf_0"]


class Handoff(BaseModel):
    """The call should go to the on-call person; adapters serialize it as handoffData."""

    reason: HandoffReason
    emergency: str | None = None  # the emergency case id, for reason "emergency"


class Intervention(BaseModel):
    """Fixed lines spoken instead of the model's reply."""

    reason: Literal["emergency", "human_requested"]
    lines: list[str] = Field(min_length=1)
    matched: list[str]
    emergency: str | None = None
    other_emergencies: list[str] = Field(default_factory=list)
    handoff: Handoff | None = None


class SafetyGate:
    def __init__(
        self,
        emergencies: EmergencyClassifier,
        human_requests: HumanRequestDetector,
        lines: SpokenLines,
    ):
        self.emergencies = emergencies
        self.human_requests = human_requests
        self.lines = lines

    @classmethod
    def load(cls, config_dir: Path, lines: SpokenLines | None = None) -> SafetyGate:
        return cls(
            EmergencyClassifier.from_file(config_dir / "safety" / "emergencies.toml"),
            HumanRequestDetector.from_file(config_dir / "safety" / "human_request.toml"),
            lines or load_spoken_lines(config_dir),
        )

    def check(self, request: TurnRequest) -> Intervention | None:
        emergency = self.emergencies.classify(request.user_text)
        if emergency is not None:
            lines = [emergency.case.safety_sentence]
            handoff = None
            if request.can_hand_off:
                lines.append(self.lines.emergency_handoff)
                handoff = Handoff(reason="emergency", emergency=emergency.kind)
            return Intervention(
                reason="emergency",
                lines=lines,
                matched=emergency.matched,
                emergency=emergency.kind,
                other_emergencies=emergency.other_cases,
                handoff=handoff,
            )
        if request.can_hand_off:
            phrase = self.human_requests.detect(request.user_text)
            if phrase is not None:
                return Intervention(
                    reason="human_requested",
                    lines=[self.lines.human_handoff],
                    matched=[phrase],
                    handoff=Handoff(reason="human_requested"),
                )
        return None
