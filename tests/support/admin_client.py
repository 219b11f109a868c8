"""A logged-in admin, as a browser would be: session cookie plus the page's CSRF token."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from voice.server import ServerThread

ADMIN_TOKEN = "test-admin-token-7f3a"
_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]*)">')


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no CSRF meta tag"
    return match.group(1)


class AdminClient(httpx.Client):
    def __init__(self, server: ServerThread, *, token: str = ADMIN_TOKEN, login: bool = True):
        super().__init__(base_url=server.base_url, timeout=120, follow_redirects=False)
        self.csrf = ""
        if login:
            response = self.post("/admin/login", data={"token": token, "next": "/admin"})
            assert response.status_code == 303, response.text
            self.csrf = csrf_from(self.get("/admin").text)

    def __enter__(self) -> AdminClient:  # already open: logging in sent requests
        return self

    def write(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"X-CSRF-Token": self.csrf, **kwargs.pop("headers", {})}
        return self.request(method, path, headers=headers, **kwargs)

    def change(self, *changes: dict[str, Any]) -> httpx.Response:
        return self.write("POST", "/admin/api/settings", json={"changes": list(changes)})

    def chat(self, path: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        """Stream a reply; the NDJSON lines as they came."""
        headers = {"X-CSRF-Token": self.csrf}
        with self.stream("POST", path, json=body, headers=headers) as response:
            assert response.status_code == 200, response.read().decode()
            assert response.headers["content-type"].startswith("application/x-ndjson")
            return [json.loads(line) for line in response.iter_lines() if line]


def start_admin_server(root: Any, llm_backend: Any = None, **overrides: Any) -> ServerThread:
    """The real server with a known admin token, on its own data dir and config copy."""
    from tests.conftest import make_settings

    settings = make_settings(root, admin_token=ADMIN_TOKEN, **overrides)
    return ServerThread(settings, backend=llm_backend).start()
