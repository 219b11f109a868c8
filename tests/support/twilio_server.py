"""The real server set up as a Twilio deployment: public URL behind a proxy, auth token,
on-call number."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.llm.base import LLMBackend
from tests.conftest import make_settings
from tests.support.twilio_client import AUTH_TOKEN, ONCALL, PUBLIC_URL
from voice.server import ServerThread


def start_twilio_server(root: Path, backend: LLMBackend, **overrides: Any) -> ServerThread:
    values: dict[str, Any] = {
        "public_url": PUBLIC_URL,
        "twilio_auth_token": AUTH_TOKEN,
        "oncall_number": ONCALL,
        **overrides,
    }
    return ServerThread(make_settings(root, **values), backend=backend).start()
