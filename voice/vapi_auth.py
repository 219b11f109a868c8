"""How VAPI proves a server message is its own, chosen by `PETE_VAPI_WEBHOOK_AUTH`:

- `secret`: the raw secret in the `X-Vapi-Secret` header (VAPI's legacy `serverUrlSecret`, or a
  Bearer credential with that header name and no prefix);
- `bearer`: a Bearer-token credential, in `PETE_VAPI_WEBHOOK_BEARER_HEADER` (default
  `Authorization`), with or without the `Bearer ` prefix;
- `hmac`: an HMAC credential: `x-signature` = hex sha256 over `{x-timestamp}.{raw body}`, with the
  timestamp no further than `PETE_VAPI_WEBHOOK_HMAC_TOLERANCE_S` from now (stops replays).

All comparisons are constant-time. With no secret configured every message is refused, unless
`PETE_INSECURE_DEV=1`.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from core.settings import Settings

SECRET_HEADER = "X-Vapi-Secret"
SIGNATURE_HEADER = "x-signature"
TIMESTAMP_HEADER = "x-timestamp"

AuthMode = Literal["secret", "bearer", "hmac"]


@dataclass(frozen=True)
class AuthRefusal:
    status: int
    code: str
    message: str


NOT_CONFIGURED = AuthRefusal(
    503,
    "webhook_auth_not_configured",
    "no VAPI webhook credential is configured: set PETE_VAPI_WEBHOOK_SECRET "
    "(or PETE_INSECURE_DEV=1 for local testing only)",
)


def _unauthorized(code: str, message: str) -> AuthRefusal:
    return AuthRefusal(401, code, message)


def _same(supplied: str, expected: str) -> bool:
    return hmac.compare_digest(supplied.encode(), expected.encode())


def hmac_signature(secret: str, timestamp: str, body: bytes) -> str:
    """VAPI's default HMAC payload format: `{timestamp}.{body}`, sha256, hex."""
    payload = timestamp.encode() + b"." + body
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def _timestamp_seconds(value: str) -> float | None:
    try:
        stamp = float(value)
    except ValueError:
        return None
    return stamp / 1000 if stamp > 1e11 else stamp  # milliseconds since the epoch


@dataclass(frozen=True)
class WebhookAuthenticator:
    mode: AuthMode
    secret: str | None
    bearer_header: str = "Authorization"
    tolerance_s: float = 300
    insecure_dev: bool = False
    clock: Callable[[], float] = field(default=time.time)

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookAuthenticator:
        secret = settings.vapi_webhook_secret
        return cls(
            mode=settings.vapi_webhook_auth,
            secret=secret.get_secret_value() if secret else None,
            bearer_header=settings.vapi_webhook_bearer_header,
            tolerance_s=settings.vapi_webhook_hmac_tolerance_s,
            insecure_dev=settings.insecure_dev,
        )

    @property
    def needs_body(self) -> bool:
        """HMAC signs the raw body, so it is checked after the body is read."""
        return self.secret is not None and self.mode == "hmac"

    def check_headers(self, headers: Mapping[str, str]) -> AuthRefusal | None:
        """The check for `secret` and `bearer`; `None` means the request may go on."""
        if self.secret is None:
            return None if self.insecure_dev else NOT_CONFIGURED
        if self.mode == "secret":
            supplied = headers.get(SECRET_HEADER)
            if supplied is None:
                return _unauthorized("missing_credential", f"the {SECRET_HEADER} header is missing")
            if not _same(supplied, self.secret):
                return _unauthorized("invalid_credential", f"wrong {SECRET_HEADER}")
        elif self.mode == "bearer":
            supplied = headers.get(self.bearer_header)
            if supplied is None:
                return _unauthorized(
                    "missing_credential", f"the {self.bearer_header} header is missing"
                )
            scheme, _, token = supplied.partition(" ")
            if scheme.lower() == "bearer" and token:
                supplied = token.strip()
            if not _same(supplied, self.secret):
                return _unauthorized("invalid_credential", "wrong bearer token")
        return None

    def check_signature(self, headers: Mapping[str, str], body: bytes) -> AuthRefusal | None:
        """The check for `hmac`, over the raw body bytes as received."""
        if not self.needs_body:
            return None
        assert self.secret is not None
        signature = headers.get(SIGNATURE_HEADER)
        timestamp = headers.get(TIMESTAMP_HEADER)
        if not signature or not timestamp:
            return _unauthorized(
                "missing_credential", f"{SIGNATURE_HEADER} and {TIMESTAMP_HEADER} are required"
            )
        seconds = _timestamp_seconds(timestamp)
        if seconds is None:
            return _unauthorized("invalid_timestamp", f"{TIMESTAMP_HEADER} is not a number")
        if abs(self.clock() - seconds) > self.tolerance_s:
            return _unauthorized(
                "stale_timestamp",
                f"{TIMESTAMP_HEADER} is more than {self.tolerance_s:g} s from the server's clock",
            )
        expected = hmac_signature(self.secret, timestamp, body)
        supplied = signature.strip().lower().removeprefix("sha256=")
        if not _same(supplied, expected):
            return _unauthorized("invalid_signature", "the signature does not match the body")
        return None
