"""Webhook authentication, each mode on its own real server: good, wrong, missing and (HMAC)
replayed credentials. A refused request gets 401 and leaves nothing in the store."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator

import httpx
import pytest

from core.llm.embedded import EmbeddedBackend
from tests.conftest import make_settings, query_db
from tests.support import vapi_payloads as vapi
from voice.server import ServerThread

SECRET = "vapi-shared-secret-9c2e"


def start(tmp_path_factory, backend: EmbeddedBackend, **overrides) -> ServerThread:
    settings = make_settings(tmp_path_factory.mktemp("auth"), **overrides)
    return ServerThread(settings, backend=backend).start()


@pytest.fixture(scope="module")
def servers(tmp_path_factory, embedded_backend: EmbeddedBackend) -> Iterator[dict]:
    started = {
        "secret": start(tmp_path_factory, embedded_backend, vapi_webhook_secret=SECRET),
        "bearer": start(
            tmp_path_factory,
            embedded_backend,
            vapi_webhook_auth="bearer",
            vapi_webhook_secret=SECRET,
        ),
        "bearer_custom_header": start(
            tmp_path_factory,
            embedded_backend,
            vapi_webhook_auth="bearer",
            vapi_webhook_secret=SECRET,
            vapi_webhook_bearer_header="X-Pete-Token",
        ),
        "hmac": start(
            tmp_path_factory,
            embedded_backend,
            vapi_webhook_auth="hmac",
            vapi_webhook_secret=SECRET,
            vapi_webhook_hmac_tolerance_s=300,
            vapi_webhook_max_body_bytes=64 * 1024,
        ),
        "unconfigured": start(tmp_path_factory, embedded_backend),
        "insecure_dev": start(tmp_path_factory, embedded_backend, insecure_dev=True),
    }
    yield started
    for server in started.values():
        server.stop()


def stored_rows(server: ServerThread) -> tuple[int, int]:
    events = query_db(server, "SELECT COUNT(*) AS n FROM events")[0]["n"]
    calls = query_db(server, "SELECT COUNT(*) AS n FROM calls")[0]["n"]
    return events, calls


def send(server: ServerThread, raw: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(
        server.base_url + "/vapi/webhook",
        content=raw,
        headers={"Content-Type": "application/json", **headers},
    )


def body_bytes(call_id: str) -> bytes:
    return json.dumps(vapi.end_of_call_report(call_id)).encode()


def assert_accepted(server: ServerThread, raw: bytes, headers: dict[str, str], call_id: str):
    response = send(server, raw, headers)
    assert response.status_code == 200, response.text
    kinds = query_db(server, "SELECT kind FROM events WHERE call_id = ?", (call_id,))
    assert [k["kind"] for k in kinds] == ["end-of-call-report"]
    status = query_db(server, "SELECT status FROM calls WHERE id = ?", (call_id,))
    assert status == [{"status": "ended"}]


def assert_refused(server: ServerThread, raw: bytes, headers: dict[str, str], code: str):
    before = stored_rows(server)
    response = send(server, raw, headers)
    assert response.status_code == 401, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["type"] == "authentication_error"
    assert SECRET not in response.text
    assert stored_rows(server) == before, "a refused request must leave nothing in the store"


def test_secret_header(servers):
    server = servers["secret"]
    call_id = vapi.new_call_id()
    raw = body_bytes(call_id)
    assert_refused(server, raw, {}, "missing_credential")
    assert_refused(server, raw, {"X-Vapi-Secret": "not-the-secret"}, "invalid_credential")
    assert_refused(server, raw, {"X-Vapi-Secret": SECRET[:-1]}, "invalid_credential")
    assert_refused(server, raw, {"Authorization": f"Bearer {SECRET}"}, "missing_credential")
    assert_accepted(server, raw, {"X-Vapi-Secret": SECRET}, call_id)


def test_bearer_token(servers):
    server = servers["bearer"]
    raw = body_bytes("unused")
    assert_refused(server, raw, {}, "missing_credential")
    assert_refused(server, raw, {"Authorization": "Bearer wrong"}, "invalid_credential")
    assert_refused(server, raw, {"Authorization": "Basic " + SECRET}, "invalid_credential")
    assert_refused(server, raw, {"X-Vapi-Secret": SECRET}, "missing_credential")
    for header in (f"Bearer {SECRET}", f"bearer {SECRET}", SECRET):  # prefix on or off
        call_id = vapi.new_call_id()
        assert_accepted(server, body_bytes(call_id), {"Authorization": header}, call_id)


def test_bearer_token_in_a_configured_header(servers):
    server = servers["bearer_custom_header"]
    raw = body_bytes("unused")
    assert_refused(server, raw, {"Authorization": f"Bearer {SECRET}"}, "missing_credential")
    assert_refused(server, raw, {"X-Pete-Token": "Bearer nope"}, "invalid_credential")
    call_id = vapi.new_call_id()
    assert_accepted(server, body_bytes(call_id), {"X-Pete-Token": f"Bearer {SECRET}"}, call_id)


def signed(raw: bytes, timestamp: str, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + raw, hashlib.sha256)
    return {"x-signature": digest.hexdigest(), "x-timestamp": timestamp}


def test_hmac_signature(servers):
    server = servers["hmac"]
    call_id = vapi.new_call_id()
    raw = body_bytes(call_id)
    now = str(int(time.time()))
    assert_refused(server, raw, {}, "missing_credential")
    assert_refused(
        server, raw, {"x-signature": signed(raw, now)["x-signature"]}, "missing_credential"
    )
    assert_refused(server, raw, signed(raw, now, secret="other-secret"), "invalid_signature")
    assert_refused(server, raw, signed(raw + b" ", now), "invalid_signature")  # body changed
    tampered = raw.replace(b"customer-ended-call", b"assistant-ended-call")
    assert_refused(server, tampered, signed(raw, now), "invalid_signature")
    assert_refused(server, raw, {**signed(raw, now), "x-timestamp": "soon"}, "invalid_timestamp")
    assert_accepted(server, raw, signed(raw, now), call_id)


def test_hmac_replayed_old_or_future_timestamp_is_refused(servers):
    server = servers["hmac"]
    raw = body_bytes(vapi.new_call_id())
    old = str(int(time.time()) - 301)
    assert_refused(server, raw, signed(raw, old), "stale_timestamp")
    hour_old_ms = str(int((time.time() - 3600) * 1000))
    assert_refused(server, raw, signed(raw, hour_old_ms), "stale_timestamp")
    future = str(int(time.time()) + 600)
    assert_refused(server, raw, signed(raw, future), "stale_timestamp")


def test_hmac_accepts_millisecond_timestamps_and_a_sha256_prefix(servers):
    server = servers["hmac"]
    call_id = vapi.new_call_id()
    raw = body_bytes(call_id)
    headers = signed(raw, str(int(time.time() * 1000)))
    headers["x-signature"] = "sha256=" + headers["x-signature"].upper()
    assert_accepted(server, raw, headers, call_id)


def test_hmac_oversized_body_is_413_and_not_kept(servers):
    """An HMAC request cannot be authenticated without its body; too big, nothing is kept."""
    server = servers["hmac"]
    raw = json.dumps({"message": {"type": "transcript", "transcript": "x" * 70_000}}).encode()
    before = stored_rows(server)
    response = send(server, raw, signed(raw, str(int(time.time()))))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"
    assert stored_rows(server) == before


def test_no_credential_configured_refuses_everything(servers):
    server = servers["unconfigured"]
    before = stored_rows(server)
    for headers in ({}, {"X-Vapi-Secret": "anything"}):
        response = send(server, body_bytes(vapi.new_call_id()), headers)
        assert response.status_code == 503
        error = response.json()["error"]
        assert error["code"] == "webhook_auth_not_configured"
        assert "PETE_VAPI_WEBHOOK_SECRET" in error["message"]
    assert stored_rows(server) == before


def test_insecure_dev_accepts_without_credential(servers):
    server = servers["insecure_dev"]
    call_id = vapi.new_call_id()
    assert_accepted(server, body_bytes(call_id), {}, call_id)
