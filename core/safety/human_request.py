"""Detects a caller asking for a person ("can I talk to a real person?")."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, Field

from core.text_match import PhraseMatcher


class HumanRequestConfig(BaseModel):
    phrases: list[str] = Field(min_length=1)
    ignore: list[str] = Field(default_factory=list)


class HumanRequestDetector:
    def __init__(self, config: HumanRequestConfig):
        self._phrases = {p.lower() for p in config.phrases}
        # Ignored phrases are in the same matcher: the longest phrase at a position wins.
        self._matcher = PhraseMatcher([*config.phrases, *config.ignore])

    @classmethod
    def from_file(cls, path: Path) -> HumanRequestDetector:
        with path.open("rb") as handle:
            return cls(HumanRequestConfig.model_validate(tomllib.load(handle)))

    def detect(self, text: str) -> str | None:
        """The phrase that asks for a person, or None."""
        for phrase in self._matcher.find(text.replace("’", "'")):
            if phrase in self._phrases:
                return phrase
        return None
