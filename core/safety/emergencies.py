"""The emergency classifier: whole-word and whole-phrase matching over reviewed phrase lists.

No substring traps: "ac" never matches "back", "fire" never matches "fireplace" or "fired".
A phrase found inside an `ignore` phrase does not count ("smoke detector is beeping"),
because the matcher prefers the longest phrase at each position. False alarms are preferred
to missed emergencies: negations ("I don't smell gas") still match.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.text_match import PhraseMatcher


class EmergencyCase(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    label: str
    safety_sentence: str = Field(min_length=1)
    phrases: list[str] = Field(default_factory=list)
    combinations: list[list[str]] = Field(default_factory=list)  # names of word groups


class EmergencyConfig(BaseModel):
    ignore: list[str] = Field(default_factory=list)
    groups: dict[str, list[str]] = Field(default_factory=dict)
    cases: list[EmergencyCase]

    @model_validator(mode="after")
    def _check(self) -> EmergencyConfig:
        ids = [case.id for case in self.cases]
        if len(set(ids)) != len(ids):
            raise ValueError("emergency case ids must be unique")
        for case in self.cases:
            if not case.phrases and not case.combinations:
                raise ValueError(f"case {case.id!r} has neither phrases nor combinations")
            for combination in case.combinations:
                unknown = [name for name in combination if name not in self.groups]
                if unknown:
                    raise ValueError(f"case {case.id!r} names unknown groups {unknown}")
        return self


class EmergencyMatch(BaseModel):
    case: EmergencyCase
    matched: list[str]  # the phrases that triggered it
    other_cases: list[str] = Field(default_factory=list)  # lower-priority cases also present

    @property
    def kind(self) -> str:
        return self.case.id


def _normalize(text: str) -> str:
    return text.replace("’", "'").replace("‘", "'")


class EmergencyClassifier:
    def __init__(self, config: EmergencyConfig):
        self.config = config
        vocabulary = [*config.ignore]
        for words in config.groups.values():
            vocabulary.extend(words)
        for case in config.cases:
            vocabulary.extend(case.phrases)
        self._matcher = PhraseMatcher(vocabulary)
        self._case_phrases = {case.id: {p.lower() for p in case.phrases} for case in config.cases}
        self._groups = {name: {w.lower() for w in words} for name, words in config.groups.items()}

    @classmethod
    def from_file(cls, path: Path) -> EmergencyClassifier:
        with path.open("rb") as handle:
            return cls(EmergencyConfig.model_validate(tomllib.load(handle)))

    def classify(self, text: str) -> EmergencyMatch | None:
        found = set(self._matcher.find(_normalize(text)))
        if not found:
            return None
        hits: list[tuple[EmergencyCase, list[str]]] = []
        for case in self.config.cases:
            matched = sorted(found & self._case_phrases[case.id])
            if not matched:
                for combination in case.combinations:
                    parts = [sorted(found & self._groups[name]) for name in combination]
                    if all(parts):
                        matched = [phrase for part in parts for phrase in part]
                        break
            if matched:
                hits.append((case, matched))
        if not hits:
            return None
        case, matched = hits[0]
        return EmergencyMatch(case=case, matched=matched, other_cases=[c.id for c, _ in hits[1:]])
