"""Log in (admin token or one-time link), log out, and the login link `pete serve` prints."""

from __future__ import annotations

from aiohttp import web

from admin.guard import COOKIE_NAME, LOGIN_PATH, request_session
from admin.state import ADMIN, AdminState, admin_state
from admin.templating import render
from core.clock import utc_now_iso
from core.logging import get_logger
from core.settings import Settings
from core.store.records import EventRecord
from voice.services import services

log = get_logger(__name__)

DEFAULT_NEXT = "/admin"


def safe_next(target: str | None) -> str:
    """Only a path on this server: never `//host` or a full URL (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return DEFAULT_NEXT
    return target


def _redirect(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def _start_session(state: AdminState, next_path: str) -> web.Response:
    session = state.auth.open_session()
    response = _redirect(next_path)
    response.set_cookie(
        COOKIE_NAME,
        state.auth.cookie_value(session),
        path="/",
        max_age=int(state.auth.session_ttl_s),
        httponly=True,
        samesite="Strict",
        secure=state.auth.secure_cookie,
    )
    log.info("admin_logged_in", session=session.label)
    return response


def _failed(request: web.Request, reason: str) -> None:
    # The supplied token is never stored or logged, only that a login failed and from where.
    services(request).writer.add_event(
        EventRecord(
            source="admin",
            kind="login_failed",
            created_at=utc_now_iso(),
            payload={"reason": reason, "remote": request.remote},
        )
    )
    log.warning("admin_login_failed", reason=reason, remote=request.remote)


async def login_page(request: web.Request) -> web.Response:
    state = admin_state(request)
    next_path = safe_next(request.query.get("next"))
    code = request.query.get("code")
    if code:
        if state.auth.redeem_login_link_code(code):
            return _start_session(state, next_path)
        _failed(request, "login link used or expired")
        return render(
            request,
            "login.html",
            title="Log in",
            status=401,
            error="This login link was already used or has expired. Log in with the admin token.",
            next_path=next_path,
        )
    if request_session(request) is not None:
        return _redirect(next_path)
    return render(request, "login.html", title="Log in", error=None, next_path=next_path)


async def login_submit(request: web.Request) -> web.Response:
    state = admin_state(request)
    form = await request.post()
    next_value = form.get("next")
    next_path = safe_next(next_value if isinstance(next_value, str) else None)
    client = request.remote or "unknown"
    if state.auth.too_many_failures(client):
        _failed(request, "too many failures")
        return render(
            request,
            "login.html",
            title="Log in",
            status=429,
            error="Too many wrong tokens from this address; wait a few minutes.",
            next_path=next_path,
        )
    token = form.get("token")
    if not isinstance(token, str) or not state.auth.token_matches(token):
        state.auth.record_failure(client)
        _failed(request, "wrong token")
        return render(
            request,
            "login.html",
            title="Log in",
            status=401,
            error="Wrong admin token.",
            next_path=next_path,
        )
    return _start_session(state, next_path)


async def logout(request: web.Request) -> web.Response:
    session = request_session(request)
    state = admin_state(request)
    if session is not None:
        state.auth.close_session(session)
        log.info("admin_logged_out", session=session.label)
    response = _redirect(LOGIN_PATH)
    response.del_cookie(COOKIE_NAME, path="/")
    return response


def login_banner(app: web.Application, settings: Settings, port: int) -> list[str]:
    """Lines `pete serve` prints: where the token is, and a one-time login URL."""
    state = app.get(ADMIN)
    if state is None:
        return []
    if "public_url" in settings.model_fields_set:
        base = settings.public_url.rstrip("/")
    else:
        host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
        base = f"http://{host}:{port}"
    lines = []
    if state.token.created_file is not None:
        lines.append(
            f"Admin token created in {state.token.created_file} (mode 0600): "
            f"log in with it at {base}{LOGIN_PATH}"
        )
    code = state.auth.issue_login_link_code()
    lines.append(f"One-time admin login link (valid 15 minutes): {base}{LOGIN_PATH}?code={code}")
    return lines


def add_routes(app: web.Application) -> None:
    app.router.add_get(LOGIN_PATH, login_page)
    app.router.add_post(LOGIN_PATH, login_submit)
    app.router.add_post("/admin/logout", logout)
