"""The one gate in front of every admin and playground path.

Everything under `/admin` and `/ui` needs a session, except the login page and the static
assets (and `/ui` itself when `PETE_PUBLIC_PLAYGROUND=1`). Without one, a page redirects to
the login page and an API answers 401 JSON; a state-changing request also needs the session's
CSRF token (header `X-CSRF-Token` or form field `csrf_token`), else 403.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

from aiohttp import web

from admin.auth import Session
from admin.state import ADMIN
from voice.http_errors import Handler, json_error

COOKIE_NAME = "pete_admin"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SESSION_KEY = web.RequestKey("admin_session", Session)
LOGIN_PATH = "/admin/login"
STATIC_PREFIX = "/admin/static/"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Protection = Literal["page", "api"]


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root + "/")


def protection(path: str, *, public_playground: bool) -> Protection | None:
    """How a path is guarded: as a page (redirect to login), an API (401), or not at all."""
    if not (_under(path, "/admin") or _under(path, "/ui")):
        return None
    if path == LOGIN_PATH or path.startswith(STATIC_PREFIX):
        return None
    if public_playground and _under(path, "/ui"):
        return None
    if path.startswith(("/admin/api/", "/ui/api/")):
        return "api"
    return "page"


def request_session(request: web.Request) -> Session | None:
    return request.get(SESSION_KEY)


async def _supplied_csrf(request: web.Request) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()  # cached: the handler can read it again
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


@web.middleware
async def admin_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    path = request.path
    if not (_under(path, "/admin") or _under(path, "/ui")):
        return await handler(request)  # the telephony paths: nothing to do here
    state = request.app[ADMIN]
    kind = protection(path, public_playground=state.public_playground)
    session = state.auth.session_from_cookie(request.cookies.get(COOKIE_NAME))
    if session is not None:
        request[SESSION_KEY] = session
    if kind is None:
        return await handler(request)
    if session is None:
        if kind == "page" and request.method in _SAFE_METHODS:
            raise web.HTTPSeeOther(f"{LOGIN_PATH}?next={quote(request.path_qs, safe='/')}")
        return json_error(401, "login_required", f"log in first at {LOGIN_PATH}")
    if request.method not in _SAFE_METHODS:
        if not state.auth.csrf_matches(session, await _supplied_csrf(request)):
            return json_error(403, "csrf_failed", "missing or wrong CSRF token; reload the page")
    return await handler(request)
