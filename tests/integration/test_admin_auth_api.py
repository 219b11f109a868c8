"""Nobody without the admin token gets in: every admin and playground route, CSRF, logout."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from core.llm.embedded import EmbeddedBackend
from tests.conftest import query_db
from tests.support.admin_client import ADMIN_TOKEN, AdminClient, csrf_from, start_admin_server
from voice.server import ServerThread

_PLACEHOLDERS = {"{uid}": "0" * 32, "{call_id}": "some-call"}


@pytest.fixture(scope="module")
def admin_server(
    tmp_path_factory: pytest.TempPathFactory, embedded_backend: EmbeddedBackend
) -> Iterator[ServerThread]:
    server = start_admin_server(tmp_path_factory.mktemp("admin-auth"), embedded_backend)
    yield server
    server.stop()


def guarded_routes(server: ServerThread) -> list[tuple[str, str]]:
    """(method, path) of every route under /admin and /ui, except login and static files."""
    assert server._app is not None
    routes = []
    for route in server._app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter") or ""
        if not (path.startswith("/admin") or path.startswith("/ui")) or route.method == "HEAD":
            continue
        if path == "/admin/login" or "prefix" in info:
            continue
        for placeholder, value in _PLACEHOLDERS.items():
            path = path.replace(placeholder, value)
        routes.append((route.method, path))
    return routes


def test_every_admin_route_needs_a_session(admin_server: ServerThread):
    routes = guarded_routes(admin_server)
    assert len(routes) >= 20, routes
    with httpx.Client(base_url=admin_server.base_url, follow_redirects=False) as anonymous:
        for method, path in routes:
            response = anonymous.request(method, path, json={})
            is_api = path.startswith(("/admin/api/", "/ui/api/"))
            if method == "GET" and not is_api:
                assert response.status_code == 303, (method, path)
                assert response.headers["location"].startswith("/admin/login?next=")
            else:
                assert response.status_code == 401, (method, path, response.text)
                assert response.json()["error"]["code"] == "login_required"


def test_login_sets_a_strict_http_only_cookie_and_returns_to_the_page(admin_server: ServerThread):
    with httpx.Client(base_url=admin_server.base_url, follow_redirects=False) as client:
        first = client.get("/admin/stats?window=24h")
        assert first.headers["location"].startswith("/admin/login?next=/admin/stats")
        page = client.get(first.headers["location"])
        assert (
            page.status_code == 200 and 'name="next" value="/admin/stats?window=24h"' in page.text
        )
        login = client.post("/admin/login", data={"token": ADMIN_TOKEN, "next": "/admin/stats"})
        assert login.status_code == 303 and login.headers["location"] == "/admin/stats"
        cookie = login.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
        assert ADMIN_TOKEN not in cookie
        assert client.get("/admin/stats").status_code == 200


def test_wrong_token_and_open_redirects_are_refused(admin_server: ServerThread):
    with httpx.Client(base_url=admin_server.base_url, follow_redirects=False) as client:
        wrong = client.post("/admin/login", data={"token": "guess", "next": "/admin"})
        assert wrong.status_code == 401 and "Wrong admin token" in wrong.text
        assert "set-cookie" not in wrong.headers
        assert client.get("/admin/api/settings").status_code == 401
        outside = client.post("/admin/login", data={"token": ADMIN_TOKEN, "next": "//evil.test/x"})
        assert outside.headers["location"] == "/admin"
    failures = query_db(
        admin_server, "SELECT payload FROM events WHERE source = 'admin' AND kind = 'login_failed'"
    )
    assert failures and all("guess" not in row["payload"] for row in failures)


def test_bad_csrf_is_refused_and_changes_nothing(admin_server: ServerThread):
    with AdminClient(admin_server) as admin, AdminClient(admin_server) as other:
        before = admin.get("/admin/api/settings").json()["settings"]
        change = {"changes": [{"path": ["default_model"], "value": "llama3.2:3b"}]}
        for headers in ({}, {"X-CSRF-Token": "wrong"}, {"X-CSRF-Token": other.csrf}):
            response = admin.post("/admin/api/settings", json=change, headers=headers)
            assert response.status_code == 403, headers
            assert response.json()["error"]["code"] == "csrf_failed"
        chat = {"message": "Hello", "max_tokens": 3}
        assert admin.post("/ui/api/chat", json=chat).status_code == 403
        assert admin.post("/admin/api/test", json=chat).status_code == 403
        assert admin.post("/admin/logout").status_code == 403
        assert admin.get("/admin/api/settings").json()["settings"] == before


def test_logout_ends_the_session_even_for_a_copied_cookie(admin_server: ServerThread):
    admin = AdminClient(admin_server)
    stolen = dict(admin.cookies)
    logout = admin.post("/admin/logout", data={"csrf_token": admin.csrf})
    assert logout.status_code == 303 and logout.headers["location"] == "/admin/login"
    assert (
        'pete_admin=""' in logout.headers["set-cookie"]
        or "Max-Age=0" in logout.headers["set-cookie"]
    )
    with httpx.Client(base_url=admin_server.base_url, cookies=stolen) as replay:
        assert replay.get("/admin/api/settings").status_code == 401
    admin.close()


def test_pages_carry_a_csrf_token_and_a_strict_content_policy(admin_server: ServerThread):
    with AdminClient(admin_server) as admin:
        for path in ("/admin", "/ui", "/admin/settings", "/admin/stats", "/admin/benchmarks"):
            page = admin.get(path)
            assert page.status_code == 200, path
            assert csrf_from(page.text) == admin.csrf
            policy = page.headers["content-security-policy"]
            assert "default-src 'self'" in policy and "script-src 'self'" in policy
            assert "http://" not in page.text.replace(admin_server.base_url, "")
            assert "https://" not in page.text
        for asset in ("admin.css", "common.js", "playground.js", "settings.js", "dashboard.js"):
            assert admin.get(f"/admin/static/{asset}").status_code == 200


def test_public_playground_opens_only_ui(
    tmp_path_factory: pytest.TempPathFactory, embedded_backend: EmbeddedBackend
):
    server = start_admin_server(
        tmp_path_factory.mktemp("public"), embedded_backend, public_playground=True
    )
    try:
        with httpx.Client(base_url=server.base_url, follow_redirects=False, timeout=120) as guest:
            assert guest.get("/ui").status_code == 200
            assert guest.get("/ui/api/models").json()["default_model"] == "smollm2:135m"
            with guest.stream(
                "POST", "/ui/api/chat", json={"message": "Hi, my sink leaks.", "max_tokens": 4}
            ) as reply:
                assert reply.status_code == 200
                kinds = [line.split('"type":"')[1].split('"')[0] for line in reply.iter_lines()]
            assert kinds[0] == "start" and kinds[-1] == "done"
            assert guest.get("/admin").status_code == 303
            assert guest.post("/admin/api/test", json={"message": "x"}).status_code == 401
            assert guest.get("/admin/api/calls").status_code == 401
    finally:
        server.stop()
