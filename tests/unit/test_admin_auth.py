"""Admin credentials: the token file, signed session cookies, one-time links, CSRF, throttling."""

from __future__ import annotations

import stat
from pathlib import Path

from admin.auth import AdminAuth, load_or_create_token
from tests.conftest import make_settings


def test_token_file_is_created_once_with_mode_0600(tmp_path: Path):
    settings = make_settings(tmp_path)
    first = load_or_create_token(settings)
    path = settings.data_dir / "admin_token"
    assert first.source == "file" and first.created_file == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first.value) >= 40
    again = load_or_create_token(settings)
    assert again.value == first.value and again.created_file is None


def test_loose_permissions_are_tightened(tmp_path: Path):
    settings = make_settings(tmp_path)
    load_or_create_token(settings)
    path = settings.data_dir / "admin_token"
    path.chmod(0o644)
    load_or_create_token(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_environment_token_wins_and_creates_no_file(tmp_path: Path):
    settings = make_settings(tmp_path, admin_token="from-env")
    token = load_or_create_token(settings)
    assert token.value == "from-env" and token.source == "env"
    assert not (settings.data_dir / "admin_token").exists()


def test_session_cookie_is_signed_and_logout_ends_it():
    auth = AdminAuth("secret", session_ttl_s=60)
    session = auth.open_session()
    cookie = auth.cookie_value(session)
    assert auth.session_from_cookie(cookie) is session
    sid, _, signature = cookie.rpartition(".")
    assert auth.session_from_cookie(f"{sid}.{'0' * len(signature)}") is None
    assert auth.session_from_cookie(sid) is None
    other = AdminAuth("secret", session_ttl_s=60)  # another process: another signing key
    assert other.session_from_cookie(cookie) is None
    auth.close_session(session)
    assert auth.session_from_cookie(cookie) is None


def test_expired_sessions_are_refused():
    auth = AdminAuth("secret", session_ttl_s=-1)
    session = auth.open_session()
    assert auth.session_from_cookie(auth.cookie_value(session)) is None


def test_token_and_csrf_comparisons():
    auth = AdminAuth("secret", session_ttl_s=60)
    assert auth.token_matches("secret") and auth.token_matches(" secret\n")
    assert not auth.token_matches("secre") and not auth.token_matches("")
    session = auth.open_session()
    assert auth.csrf_matches(session, session.csrf_token)
    assert not auth.csrf_matches(session, None)
    assert not auth.csrf_matches(session, "")
    assert not auth.csrf_matches(session, session.csrf_token + "x")


def test_login_link_codes_work_once():
    auth = AdminAuth("secret", session_ttl_s=60)
    code = auth.issue_login_link_code()
    assert auth.redeem_login_link_code(code)
    assert not auth.redeem_login_link_code(code)
    assert not auth.redeem_login_link_code("made-up")


def test_repeated_failures_are_throttled_per_client():
    auth = AdminAuth("secret", session_ttl_s=60)
    for _ in range(10):
        assert not auth.too_many_failures("10.0.0.1")
        auth.record_failure("10.0.0.1")
    assert auth.too_many_failures("10.0.0.1")
    assert not auth.too_many_failures("10.0.0.2")
