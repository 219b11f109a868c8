"""Who may open the admin pages: the admin token, one-time login links, sessions and CSRF.

Sessions live in this process's memory (a restart asks for a new login, logout really ends a
session); the cookie carries the session id signed with a per-process key. A state-changing
request must also carry the session's CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from core.logging import get_logger
from core.settings import Settings

log = get_logger(__name__)

TOKEN_FILE_NAME = "admin_token"
LOGIN_LINK_TTL_S = 15 * 60
_MAX_FAILURES = 10
_FAILURE_WINDOW_S = 300.0


@dataclass(frozen=True)
class AdminToken:
    value: str = field(repr=False)
    source: str  # "env" or "file"
    created_file: Path | None = None  # set when this start created the token file


def load_or_create_token(settings: Settings) -> AdminToken:
    """`PETE_ADMIN_TOKEN`, else the token file in the data dir, created (mode 0600) if missing."""
    if settings.admin_token is not None and settings.admin_token.get_secret_value().strip():
        return AdminToken(settings.admin_token.get_secret_value().strip(), "env")
    path = settings.data_dir / TOKEN_FILE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)
            log.warning("admin_token_file_permissions_fixed", path=str(path))
        token = path.read_text().strip()
        if not token:
            raise RuntimeError(f"{path} is empty: delete it to create a new admin token") from None
        return AdminToken(token, "file")
    token = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    log.info("admin_token_created", path=str(path))
    return AdminToken(token, "file", created_file=path)


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


@dataclass
class Session:
    sid: str = field(repr=False)
    csrf_token: str = field(repr=False)
    expires_at: float

    @property
    def label(self) -> str:
        """Names the session in the audit trail without revealing the cookie."""
        return hashlib.sha256(self.sid.encode()).hexdigest()[:10]


@dataclass
class AdminAuth:
    token: str = field(repr=False)
    session_ttl_s: float
    secure_cookie: bool = False
    _key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    _sessions: dict[str, Session] = field(default_factory=dict)
    _login_links: dict[bytes, float] = field(default_factory=dict)
    _failures: dict[str, deque[float]] = field(default_factory=dict)

    def token_matches(self, supplied: str) -> bool:
        # Compare digests: constant time whatever the supplied length.
        return hmac.compare_digest(_digest(supplied.strip()), _digest(self.token))

    def issue_login_link_code(self) -> str:
        """A code for a one-time login URL: valid once, for `LOGIN_LINK_TTL_S`."""
        code = secrets.token_urlsafe(24)
        self._login_links[_digest(code)] = time.monotonic() + LOGIN_LINK_TTL_S
        return code

    def redeem_login_link_code(self, code: str) -> bool:
        expires = self._login_links.pop(_digest(code), None)
        return expires is not None and time.monotonic() < expires

    def too_many_failures(self, client: str) -> bool:
        recent = self._failures.get(client)
        if not recent:
            return False
        cutoff = time.monotonic() - _FAILURE_WINDOW_S
        while recent and recent[0] < cutoff:
            recent.popleft()
        return len(recent) >= _MAX_FAILURES

    def record_failure(self, client: str) -> None:
        self._failures.setdefault(client, deque()).append(time.monotonic())

    def open_session(self) -> Session:
        now = time.monotonic()
        for sid in [s for s, session in self._sessions.items() if session.expires_at <= now]:
            del self._sessions[sid]
        session = Session(
            sid=secrets.token_urlsafe(24),
            csrf_token=secrets.token_urlsafe(24),
            expires_at=now + self.session_ttl_s,
        )
        self._sessions[session.sid] = session
        return session

    def close_session(self, session: Session) -> None:
        self._sessions.pop(session.sid, None)

    def _sign(self, sid: str) -> str:
        return hmac.new(self._key, sid.encode(), hashlib.sha256).hexdigest()

    def cookie_value(self, session: Session) -> str:
        return f"{session.sid}.{self._sign(session.sid)}"

    def session_from_cookie(self, value: str | None) -> Session | None:
        if not value:
            return None
        sid, _, signature = value.rpartition(".")
        if not sid or not hmac.compare_digest(signature, self._sign(sid)):
            return None
        session = self._sessions.get(sid)
        if session is None or session.expires_at <= time.monotonic():
            return None
        return session

    @staticmethod
    def csrf_matches(session: Session, supplied: str | None) -> bool:
        return bool(supplied) and hmac.compare_digest(
            (supplied or "").encode(), session.csrf_token.encode()
        )

    @property
    def active_sessions(self) -> int:
        now = time.monotonic()
        return sum(1 for session in self._sessions.values() if session.expires_at > now)
