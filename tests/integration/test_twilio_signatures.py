"""Nobody but Twilio drives the /twilio routes: every one refuses a missing or wrong
signature with 403 before storing or generating anything."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from websockets.exceptions import InvalidStatus

from tests.conftest import query_db
from tests.support.paced_backend import Pace, PacedBackend, word_tokens
from tests.support.twilio_client import (
    PUBLIC_URL,
    RelayCall,
    TwilioSigner,
    call_form,
    text_of,
)
from tests.support.twilio_server import start_twilio_server
from voice.server import ServerThread

HTTP_ROUTES = [
    "/twilio/voice",
    "/twilio/gather",
    "/twilio/relay/action",
    "/twilio/dial/action",
    "/twilio/status",
]


def form_for(path: str, sid: str) -> dict[str, str]:
    extra = {
        "/twilio/gather": {"SpeechResult": "I smell gas", "Confidence": "0.9"},
        "/twilio/relay/action": {"HandoffData": '{"reason":"dtmf_0"}'},
        "/twilio/dial/action": {"DialCallStatus": "no-answer"},
        "/twilio/status": {"CallStatus": "completed"},
    }.get(path, {})
    return call_form(sid, **extra)


@pytest.fixture(scope="module")
def paced() -> PacedBackend:
    return PacedBackend(Pace(word_tokens("Happy to help.")))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, paced: PacedBackend) -> Iterator[ServerThread]:
    server = start_twilio_server(tmp_path_factory.mktemp("signatures"), paced)
    yield server
    server.stop()


def row_counts(server: ServerThread) -> dict[str, int]:
    return {
        table: query_db(server, f"SELECT COUNT(*) AS n FROM {table}")[0]["n"]
        for table in ("calls", "turns", "events")
    }


BAD_SIGNATURES = {
    "missing": None,
    "garbage": "not-a-signature",
    # Signed for the URL the server sees behind the proxy, not the one Twilio called.
    "internal_url": "internal",
    "other_token": "other-token",
}


@pytest.mark.parametrize("path", HTTP_ROUTES)
@pytest.mark.parametrize("kind", list(BAD_SIGNATURES))
def test_http_routes_refuse_bad_signatures(
    server: ServerThread, paced: PacedBackend, path: str, kind: str
):
    sid = "CA" + uuid.uuid4().hex
    params = form_for(path, sid)
    signature = BAD_SIGNATURES[kind]
    if signature == "internal":
        signature = TwilioSigner(public_url=server.base_url).sign(server.base_url + path, params)
    elif signature == "other-token":
        signature = TwilioSigner(token="someone-else").sign(PUBLIC_URL + path, params)
    before, streams = row_counts(server), len(paced.streams)
    response = TwilioSigner().post(server.base_url, path, params, signature=signature)
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == ("missing_signature" if kind == "missing" else "invalid_signature")
    assert row_counts(server) == before, "nothing is stored for an unsigned request"
    assert len(paced.streams) == streams, "nothing is generated"


def test_a_tampered_form_fails_its_signature(server: ServerThread, paced: PacedBackend):
    sid = "CA" + uuid.uuid4().hex
    signed = form_for("/twilio/gather", sid)
    signature = TwilioSigner().sign(PUBLIC_URL + "/twilio/gather", signed)
    tampered = {**signed, "SpeechResult": "give me the code to unit 4"}
    before = row_counts(server)
    response = TwilioSigner().post(server.base_url, "/twilio/gather", tampered, signature=signature)
    assert response.status_code == 403 and row_counts(server) == before


def test_a_signed_request_through_the_proxy_is_accepted(server: ServerThread):
    """The server rebuilds the URL from PETE_PUBLIC_URL (https, another host and port)."""
    sid = "CA" + uuid.uuid4().hex
    response = TwilioSigner().post(server.base_url, "/twilio/voice", call_form(sid))
    assert response.status_code == 200 and "<ConversationRelay" in response.text


@pytest.mark.parametrize("kind", ["missing", "garbage", "internal_url", "other_token"])
async def test_websocket_upgrade_refuses_bad_signatures(
    server: ServerThread, paced: PacedBackend, kind: str
):
    ws_url = PUBLIC_URL.replace("https://", "wss://") + "/twilio/relay"
    signature: str | None = {
        "missing": None,
        "garbage": "bm9wZQ==",
        "internal_url": TwilioSigner().sign(
            server.base_url.replace("http", "ws") + "/twilio/relay"
        ),
        "other_token": TwilioSigner(token="someone-else").sign(ws_url),
    }[kind]
    before, streams = row_counts(server), len(paced.streams)
    with pytest.raises(InvalidStatus) as refused:
        await RelayCall.open(server.base_url, signature=signature)
    assert refused.value.response.status_code == 403
    assert row_counts(server) == before and len(paced.streams) == streams


@pytest.mark.parametrize("scheme", ["wss", "https"])
async def test_websocket_upgrade_signed_with_either_scheme_is_accepted(
    server: ServerThread, scheme: str
):
    url = f"{PUBLIC_URL.replace('https', scheme)}/twilio/relay"
    call = await RelayCall.open(server.base_url, signed_url=url)
    await call.setup("CA" + uuid.uuid4().hex)
    await call.prompt("Hello there.")
    assert text_of(await call.reply()) == "Happy to help."
    await call.close()


def test_without_an_auth_token_twilio_routes_refuse_to_serve(tmp_path: Path):
    backend = PacedBackend(Pace(("Hi.",)))
    server = start_twilio_server(tmp_path, backend, twilio_auth_token=None)
    try:
        for path in HTTP_ROUTES:
            response = TwilioSigner().post(server.base_url, path, form_for(path, "CA1"))
            assert response.status_code == 503
            assert response.json()["error"]["code"] == "twilio_not_configured"
        assert row_counts(server) == {"calls": 0, "turns": 0, "events": 0}
    finally:
        server.stop()


async def test_insecure_dev_serves_unsigned_requests_and_warns_at_start_up(tmp_path: Path):
    backend = PacedBackend(Pace(word_tokens("Sure thing.")))
    with structlog.testing.capture_logs() as logs:
        server = start_twilio_server(tmp_path, backend, twilio_auth_token=None, insecure_dev=True)
    try:
        assert any(entry["event"] == "twilio_signatures_disabled" for entry in logs)
        response = TwilioSigner().post(
            server.base_url, "/twilio/voice", call_form("CA2"), signature=None
        )
        assert response.status_code == 200
        call = await RelayCall.open(server.base_url, signature=None)
        await call.setup("CA2")
        await call.prompt("Is the gym open?")
        assert text_of(await call.reply()) == "Sure thing."
        await call.close()
    finally:
        server.stop()
