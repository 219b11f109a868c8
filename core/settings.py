"""Typed server settings: `PETE_*` environment variables, optionally a TOML `PETE_CONFIG_FILE`."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

BackendName = Literal["auto", "ollama", "embedded"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PETE_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = "http://127.0.0.1:8000"
    backend: BackendName = "auto"
    ollama_host: str = Field(
        default="http://127.0.0.1:11434",
        validation_alias=AliasChoices("PETE_OLLAMA_HOST", "OLLAMA_HOST"),
    )
    ollama_keep_alive: str = "-1"
    ollama_max_connections: int = 512
    data_dir: Path = Path("data")
    config_dir: Path = PROJECT_ROOT / "config"
    persona: str = "jamie"
    vapi_llm_token: SecretStr | None = None
    max_body_bytes: int = 256 * 1024
    history_max_messages: int = 12
    max_reply_tokens: int = 160
    embedded_threads: int = 2
    embedded_context: int = 2048
    log_level: str = "INFO"
    log_json: bool = True

    @property
    def database_path(self) -> Path:
        return self.data_dir / "pete.db"

    @property
    def model_settings_path(self) -> Path:
        return self.config_dir / "model_settings.json"

    @property
    def personas_dir(self) -> Path:
        return self.config_dir / "personas"


def load_settings(**overrides: Any) -> Settings:
    """Settings from `PETE_CONFIG_FILE` (TOML, optional), then the environment, then overrides."""
    file_values: dict[str, Any] = {}
    config_file = os.environ.get("PETE_CONFIG_FILE")
    if config_file:
        with open(config_file, "rb") as handle:
            file_values = tomllib.load(handle)
    settings = Settings()
    merged = {**file_values, **settings.model_dump(exclude_unset=True), **overrides}
    return Settings.model_validate(merged) if merged else settings
