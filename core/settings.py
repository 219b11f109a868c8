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
    # VAPI server messages (/vapi/webhook): how VAPI proves who it is, with one shared secret.
    vapi_webhook_auth: Literal["secret", "bearer", "hmac"] = "secret"
    vapi_webhook_secret: SecretStr | None = None
    vapi_webhook_bearer_header: str = "Authorization"
    vapi_webhook_hmac_tolerance_s: int = 300
    vapi_webhook_max_body_bytes: int = 4 * 1024 * 1024  # end-of-call reports carry the transcript
    vapi_credential_id: str | None = None  # VAPI credential put on the assistants we hand out
    transfer_number: str | None = None  # where transfer_to_human sends the caller (E.164)
    insecure_dev: bool = False  # local testing only: accept webhooks with no credential set
    max_body_bytes: int = 256 * 1024
    history_max_messages: int = 12
    max_reply_tokens: int = 160
    embedded_threads: int = 2
    embedded_context: int = 2048
    log_level: str = "INFO"
    log_json: bool = True
    # Reply quality: score every turn in the background; put the demo conversations in an
    # empty store at start-up so scores have real Jamie replies to compare with.
    quality_scoring: bool = True
    seed_demo_data: bool = True
    scoring_queue_size: int = 256
    # Admin pages: unset, `pete serve` creates one in `data_dir/admin_token` (mode 0600).
    admin_token: SecretStr | None = None
    admin_session_hours: float = 12.0
    public_playground: bool = False  # `/ui` without login
    # Twilio phone calls. Without an auth token the /twilio routes refuse (503) unless
    # insecure_dev is set. Signed URLs are rebuilt from public_url (what Twilio called).
    twilio_auth_token: SecretStr | None = None
    twilio_mode: Literal["relay", "gather"] = "relay"
    twilio_tts_provider: str = "Google"  # must match the persona's voice name
    twilio_transcription_provider: str | None = None  # None: Twilio's default
    oncall_number: str | None = None  # E.164; emergencies, "0" and asks for a person go here
    # Speaking channels: a filler line at each deadline while the model is silent, the apology
    # after give-up (Gather must answer within Twilio's ~15 s webhook limit).
    first_token_deadline_ms: int = Field(default=1500, gt=0)
    first_token_give_up_ms: int = Field(default=8000, gt=0)

    @property
    def database_path(self) -> Path:
        return self.data_dir / "pete.db"

    @property
    def model_settings_path(self) -> Path:
        return self.config_dir / "model_settings.json"

    @property
    def model_settings_fallback_path(self) -> Path:
        """Where admin edits are saved when the config folder is read-only."""
        return self.data_dir / "model_settings.json"

    @property
    def personas_dir(self) -> Path:
        return self.config_dir / "personas"

    @property
    def quality_dir(self) -> Path:
        return self.config_dir / "quality"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"


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
