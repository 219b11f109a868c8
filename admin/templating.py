"""HTML pages from Jinja2 templates (autoescaped: transcripts hold whatever callers said)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from jinja2 import Environment, PackageLoader, select_autoescape

from admin.guard import request_session
from admin.state import admin_state

_environment = Environment(
    loader=PackageLoader("admin", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def violation_label(violation: Any) -> str:
    """A failed check as stored by the reply-quality worker: `{code, message}`, or plain text."""
    if isinstance(violation, dict):
        code, message = violation.get("code"), violation.get("message")
        return f"{code}: {message}" if code and message else str(code or message or violation)
    return str(violation)


_environment.filters["violation"] = violation_label

# Everything the pages use is served by this app: no CDN, no inline script or style.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

NAV = (
    ("/admin", "Dashboard"),
    ("/ui", "Playground"),
    ("/admin/settings", "Settings"),
    ("/admin/stats", "Stats"),
    ("/admin/benchmarks", "Benchmarks"),
    ("/admin/training", "Training"),
)


def render(
    request: web.Request, template: str, *, status: int = 200, **context: Any
) -> web.Response:
    session = request_session(request)
    state = admin_state(request)
    page = _environment.get_template(template).render(
        nav=NAV,
        current_path=request.path,
        csrf_token=session.csrf_token if session else "",
        logged_in=session is not None,
        public_playground=state.public_playground,
        **context,
    )
    return web.Response(
        text=page, status=status, content_type="text/html", headers=SECURITY_HEADERS
    )
