"""The transient assistant answered to VAPI's `assistant-request` (protocols.md §1.2).

It is built once at start-up from `config/vapi_assistant.toml`, the persona and the tools, so
the answer costs no work per call (VAPI allows 7.5 s end to end, not configurable).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from core.logging import get_logger
from core.persona import Persona
from core.settings import PROJECT_ROOT, Settings
from voice.vapi_auth import SECRET_HEADER

log = get_logger(__name__)

ASSISTANT_CONFIG_FILE = "vapi_assistant.toml"

# VAPI's built-in tools that act on the call itself; the model still sees our function names.
_CALL_CONTROL_TOOLS = {"end_call": "endCall", "transfer_to_human": "transferCall"}


class ProviderConfig(BaseModel):
    """A VAPI voice or transcriber block: `provider` plus whatever that provider takes."""

    model_config = ConfigDict(extra="allow")

    provider: str = Field(min_length=1)


class AssistantConfig(BaseModel):
    name: str = "Jamie"
    model: str = "jamie"
    max_tokens: int = Field(default=250, ge=1)
    temperature: float = Field(default=0.3, ge=0, le=2)
    end_call_message: str | None = None
    server_messages: list[str] = Field(default_factory=list)
    voice: ProviderConfig
    transcriber: ProviderConfig


def load_assistant_config(config_dir: Path) -> AssistantConfig:
    """From the config folder; a folder copied before this file existed gets the shipped one."""
    path = config_dir / ASSISTANT_CONFIG_FILE
    if not path.exists():
        log.warning("vapi_assistant_config_missing", path=str(path), using="shipped default")
        path = PROJECT_ROOT / "config" / ASSISTANT_CONFIG_FILE
    with path.open("rb") as handle:
        return AssistantConfig.model_validate(tomllib.load(handle))


def webhook_url(settings: Settings) -> str:
    return settings.public_url.rstrip("/") + "/vapi/webhook"


def server_block(settings: Settings) -> dict[str, Any]:
    """Where VAPI sends this assistant's messages, with the credential the webhook checks.

    A saved VAPI credential (`PETE_VAPI_CREDENTIAL_ID`) is preferred; without one, the secret
    and bearer modes can be reproduced with a static header. HMAC needs the saved credential.
    """
    server: dict[str, Any] = {"url": webhook_url(settings)}
    secret = settings.vapi_webhook_secret
    if settings.vapi_credential_id:
        server["credentialId"] = settings.vapi_credential_id
    elif secret is not None and settings.vapi_webhook_auth == "secret":
        server["headers"] = {SECRET_HEADER: secret.get_secret_value()}
    elif secret is not None and settings.vapi_webhook_auth == "bearer":
        header = settings.vapi_webhook_bearer_header
        server["headers"] = {header: f"Bearer {secret.get_secret_value()}"}
    return server


def vapi_tools(definitions: list[dict[str, Any]], server: dict[str, Any]) -> list[dict[str, Any]]:
    """Our tools as VAPI tools: functions answered by the webhook; hang-up and transfer as
    VAPI's own call-control tools (a transfer without destinations asks the webhook where to)."""
    tools = []
    for definition in definitions:
        function = definition["function"]
        builtin = _CALL_CONTROL_TOOLS.get(function["name"])
        if builtin:
            tools.append({"type": builtin, "function": function})
        else:
            tools.append({"type": "function", "function": function, "server": server})
    return tools


def build_assistant(
    config: AssistantConfig,
    persona: Persona,
    settings: Settings,
    tool_definitions: list[dict[str, Any]],
) -> dict[str, Any]:
    server = server_block(settings)
    assistant: dict[str, Any] = {
        "name": config.name,
        "firstMessage": persona.greeting,
        "firstMessageMode": "assistant-speaks-first",
        "model": {
            "provider": "custom-llm",
            "url": settings.public_url.rstrip("/") + "/vapi",
            "model": config.model,
            "maxTokens": config.max_tokens,
            "temperature": config.temperature,
            "metadataSendMode": "variable",  # adds `call`, so turns join the call's events
            "tools": vapi_tools(tool_definitions, server),
        },
        "voice": config.voice.model_dump(),
        "transcriber": config.transcriber.model_dump(),
        "serverMessages": config.server_messages,
        "server": server,
        "metadata": {"persona": persona.name},
    }
    if config.end_call_message:
        assistant["endCallMessage"] = config.end_call_message
    return assistant
