"""Only Twilio may drive the /twilio routes: `X-Twilio-Signature` on every request.

The signed URL is the one Twilio called, rebuilt from PETE_PUBLIC_URL (a proxy or tunnel
changes scheme, host and port of what aiohttp sees) plus the path and query exactly as sent.
Form posts are signed over their parameters; the websocket upgrade (a GET) over its URL only,
and it is checked before the socket is accepted. Which scheme Twilio signs for the websocket
is not documented, so `wss://` and `https://` are both tried.

A refused request stores nothing and reaches no model: an unauthenticated sender must not be
able to fill the database. It is logged (without the signature).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from twilio.request_validator import RequestValidator, get_signature_algorithm

from core.logging import get_logger
from core.settings import Settings
from voice.http_errors import json_error
from voice.services import SERVICES

log = get_logger(__name__)

SIGNATURE_HEADER = "X-Twilio-Signature"
_SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"
_FORM = "application/x-www-form-urlencoded"


def websocket_base(public_url: str) -> str:
    """`https://host` -> `wss://host` (and `http` -> `ws`)."""
    base = public_url.rstrip("/")
    if base.startswith("https://"):
        return "wss://" + base[len("https://") :]
    if base.startswith("http://"):
        return "ws://" + base[len("http://") :]
    return base


class TwilioAuth:
    def __init__(self, settings: Settings):
        token = settings.twilio_auth_token
        self._validator = RequestValidator(token.get_secret_value()) if token else None
        self.insecure = self._validator is None and settings.insecure_dev
        self._public = settings.public_url.rstrip("/")

    def signed_urls(self, request: web.Request, *, websocket: bool) -> list[str]:
        http_url = self._public + request.raw_path
        if not websocket:
            return [http_url]
        return [websocket_base(self._public) + request.raw_path, http_url]

    async def refusal(
        self, request: web.Request, *, websocket: bool = False
    ) -> web.Response | None:
        """None when the request is Twilio's; otherwise the response that refuses it."""
        if self._validator is None:
            if self.insecure:
                return None
            return self._refuse(
                request,
                503,
                "twilio_not_configured",
                "PETE_TWILIO_AUTH_TOKEN is not set (PETE_INSECURE_DEV=1 allows unsigned "
                "requests for local testing only)",
            )
        signature = request.headers.get(SIGNATURE_HEADER)
        if not signature:
            return self._refuse(request, 403, "missing_signature", "X-Twilio-Signature missing")
        params: Any = {}
        if not websocket and request.can_read_body:
            if request.content_type == _FORM:
                params = await request.post()
            else:
                params = await request.text()  # JSON webhooks: signed via ?bodySHA256=
        algorithm = get_signature_algorithm(request.headers.get(_SETTINGS_HEADER))
        for url in self.signed_urls(request, websocket=websocket):
            if self._validator.validate(url, params, signature, algorithm):
                return None
        return self._refuse(request, 403, "invalid_signature", "X-Twilio-Signature is not valid")

    @staticmethod
    def _refuse(request: web.Request, status: int, code: str, message: str) -> web.Response:
        log.warning(
            "twilio_request_refused",
            path=request.path,
            method=request.method,
            code=code,
            remote=request.remote,
        )
        return json_error(status, code, message)


TWILIO_AUTH = web.AppKey("twilio_auth", TwilioAuth)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def twilio_auth(request: web.Request) -> TwilioAuth:
    return request.app[TWILIO_AUTH]


def twilio_signed(handler: Handler) -> Handler:
    """Wraps an HTTP handler: it runs only for requests signed by Twilio."""

    async def checked(request: web.Request) -> web.StreamResponse:
        refusal = await twilio_auth(request).refusal(request)
        if refusal is not None:
            return refusal
        return await handler(request)

    return checked


def install(app: web.Application) -> None:
    """Creates the checker at start-up, once the settings are known."""

    async def _start_twilio_auth(app: web.Application) -> None:
        auth = TwilioAuth(app[SERVICES].settings)
        app[TWILIO_AUTH] = auth
        if auth.insecure:
            log.warning(
                "twilio_signatures_disabled",
                reason="PETE_INSECURE_DEV=1 and no PETE_TWILIO_AUTH_TOKEN: anyone can drive "
                "the /twilio routes; never run like this in production",
            )

    app.on_startup.append(_start_twilio_auth)
