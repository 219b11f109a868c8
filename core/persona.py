"""Personas (`config/personas/<name>.toml`): who answers the phone and how they sound."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, field_validator


class Persona(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    name: str
    display_name: str
    company: str
    greeting: str
    system_prompt: str
    voice: str = ""
    language: str = "en-US"
    max_reply_tokens: int = 120
    temperature: float = 0.3

    @field_validator("system_prompt")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()


def load_persona(personas_dir: Path, name: str) -> Persona:
    path = personas_dir / f"{name}.toml"
    with path.open("rb") as handle:
        return Persona.model_validate(tomllib.load(handle))
