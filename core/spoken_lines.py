"""Fixed lines Jamie speaks outside the model's reply (`config/spoken_lines.toml`)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class SpokenLines(BaseModel):
    model_config = ConfigDict(frozen=True)

    fillers: tuple[str, ...] = Field(min_length=1)
    apology: str
    emergency_handoff: str
    human_handoff: str
    handoff_unavailable: str
    reprompt: str
    goodbye: str


def load_spoken_lines(config_dir: Path) -> SpokenLines:
    with (config_dir / "spoken_lines.toml").open("rb") as handle:
        return SpokenLines.model_validate(tomllib.load(handle))
