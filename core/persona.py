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
    identity: str  # public: who Jamie is
    instructions: str  # private: how Jamie works; repeating it is a prompt leak
    voice: str = ""
    language: str = "en-US"
    max_reply_tokens: int = 120
    temperature: float = 0.3
    retrieved_examples: int = 0  # k similar real exchanges shown to the model before it answers

    @field_validator("identity", "instructions")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @property
    def system_prompt(self) -> str:
        return f"{self.identity}\n{self.instructions}"


def load_persona(personas_dir: Path, name: str) -> Persona:
    path = personas_dir / f"{name}.toml"
    with path.open("rb") as handle:
        return Persona.model_validate(tomllib.load(handle))
