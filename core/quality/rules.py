"""The rule set of a persona (config/quality/<persona>.toml), validated when it is loaded."""

from __future__ import annotations

import tomllib
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, Field, model_validator

from core.text_match import PhraseMatcher


class LengthRule(BaseModel):
    min_chars: int = Field(ge=0)
    max_chars: int = Field(gt=0)
    max_sentences: int = Field(gt=0)

    @model_validator(mode="after")
    def _bounds_in_order(self) -> LengthRule:
        if self.min_chars >= self.max_chars:
            raise ValueError("min_chars must be below max_chars")
        return self


class PromptLeakRule(BaseModel):
    ngram: int = Field(ge=3, le=12)
    max_overlap: float = Field(gt=0, le=1)


class RefusalRule(BaseModel):
    phrases: list[str]
    legitimate_when_asked: list[str] = Field(default_factory=list)

    @cached_property
    def refusal(self) -> PhraseMatcher:
        return PhraseMatcher(self.phrases)

    @cached_property
    def legitimate(self) -> PhraseMatcher:
        return PhraseMatcher(self.legitimate_when_asked)


class SoftPhrases(BaseModel):
    acknowledgment: list[str]
    next_step: list[str]
    timeline: list[str]
    empathy: list[str]

    @cached_property
    def matchers(self) -> dict[str, PhraseMatcher]:
        return {name: PhraseMatcher(getattr(self, name)) for name in SoftPhrases.model_fields}


class SoftWeights(BaseModel):
    acknowledgment: float = Field(ge=0)
    next_step: float = Field(ge=0)
    timeline: float = Field(ge=0)
    empathy: float = Field(ge=0)

    @model_validator(mode="after")
    def _sum_to_one(self) -> SoftWeights:
        total = self.acknowledgment + self.next_step + self.timeline + self.empathy
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"soft weights must add up to 1, not {total}")
        return self


class QualityRules(BaseModel):
    length: LengthRule
    prompt_leak: PromptLeakRule
    refusal: RefusalRule
    soft: SoftPhrases
    weights: SoftWeights


def load_rules(quality_dir: Path, persona: str) -> QualityRules:
    with (quality_dir / f"{persona}.toml").open("rb") as handle:
        return QualityRules.model_validate(tomllib.load(handle))
