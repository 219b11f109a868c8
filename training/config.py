"""The training settings (`config/training.toml`), validated when loaded."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ImportConfig(BaseModel):
    thread_window_hours: float = Field(default=72, gt=0)
    held_out_every: int = Field(default=10, ge=2)
    logged_call_idle_minutes: float = Field(default=30, ge=0)
    second_opinion_min_similarity: float = Field(default=0.35, ge=-1, le=1)


class SpeakerConfig(BaseModel):
    jamie_labels: list[str]
    tenant_labels: list[str]
    jamie_phrases: list[str]
    tenant_phrases: list[str]


class ExampleConfig(BaseModel):
    max_pairs: int = Field(default=12, ge=0)
    max_corrections: int = Field(default=3, ge=0)
    max_tenant_chars: int = Field(default=300, gt=0)
    max_jamie_chars: int = Field(default=400, gt=0)
    exclude_emergencies: bool = True


class VersioningConfig(BaseModel):
    minor_margin_mean_jamie_score: float = Field(default=2.0, ge=0)
    minor_margin_pass_rate: float = Field(default=0.02, ge=0)
    eval_limit: int = Field(default=40, ge=0)


class PromotionConfig(BaseModel):
    require_eval: bool = True
    min_pass_rate: float = Field(default=0.5, ge=0, le=1)
    min_mean_jamie_score: float = Field(default=30.0, ge=0, le=100)
    min_emergency_recall: float = Field(default=1.0, ge=0, le=1)


class TrainingConfig(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    model_prefix: str = Field(default="jamie", pattern=r"^[a-z0-9][a-z0-9._-]*$")
    base_model: str = ""
    import_: ImportConfig = Field(default_factory=ImportConfig, alias="import")
    speakers: SpeakerConfig
    examples: ExampleConfig = Field(default_factory=ExampleConfig)
    parameters: dict[str, Any] = Field(default_factory=dict)
    versioning: VersioningConfig = Field(default_factory=VersioningConfig)
    promotion: PromotionConfig = Field(default_factory=PromotionConfig)


def load_training_config(config_dir: Path) -> TrainingConfig:
    with (config_dir / "training.toml").open("rb") as handle:
        return TrainingConfig.model_validate(tomllib.load(handle))
