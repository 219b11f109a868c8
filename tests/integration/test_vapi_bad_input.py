"""Bad requests get a 4xx with an OpenAI-style JSON error, are kept as events, and the
server keeps answering."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import openai
import pytest

from core.llm.embedded import EmbeddedBackend
from tests.conftest import make_settings, query_db
from voice.server import ServerThread

URL = "/vapi/chat/completions"
USER = [{"role": "user", "content": "Hello?"}]

BAD_BODIES = [
    ("invalid json", b'{"messages": [', 400, "invalid_json"),
    ("not an object", b'["hello"]', 400, "invalid_request"),
    ("no messages", json.dumps({"model": "jamie"}).encode(), 400, "invalid_request"),
    ("empty messages", json.dumps({"messages": []}).encode(), 400, "invalid_request"),
    ("messages wrong type", json.dumps({"messages": "hi"}).encode(), 400, "invalid_request"),
    (
        "unknown role",
        json.dumps({"messages": [{"role": "boss", "content": "x"}]}).encode(),
        400,
        "invalid_request",
    ),
    (
        "temperature wrong type",
        json.dumps({"messages": USER, "temperature": "hot"}).encode(),
        400,
        "invalid_request",
    ),
    (
        "max_tokens negative",
        json.dumps({"messages": USER, "max_tokens": -5}).encode(),
        400,
        "invalid_request",
    ),
    (
        "no user utterance",
        json.dumps({"messages": [{"role": "system", "content": "x"}]}).encode(),
        400,
        "no_user_message",
    ),
    (
        "unknown model",
        json.dumps({"model": "gpt-9", "messages": USER}).encode(),
        404,
        "model_not_found",
    ),
]


def events(server: ServerThread) -> list[dict]:
    return query_db(server, "SELECT * FROM events WHERE kind = 'bad_request' ORDER BY id")


@pytest.mark.parametrize(
    ("case", "body", "status", "code"), BAD_BODIES, ids=[c[0] for c in BAD_BODIES]
)
def test_bad_request_is_rejected_and_kept(server: ServerThread, case, body, status, code):
    before = len(events(server))
    response = httpx.post(
        server.base_url + URL, content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    stored = events(server)
    assert len(stored) == before + 1
    payload = json.loads(stored[-1]["payload"])
    assert payload["status"] == status and payload["code"] == code
    assert payload["body"] == body.decode()
    assert httpx.get(server.base_url + "/health").json()["status"] == "ok"


def test_oversized_body_is_413_and_server_stays_up(server: ServerThread):
    limit = server.settings.max_body_bytes
    huge = json.dumps({"messages": [{"role": "user", "content": "x" * (limit + 10)}]})
    response = httpx.post(
        server.base_url + URL, content=huge, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"
    assert events(server)[-1]["payload"].count("request_too_large") == 1
    ok = openai.OpenAI(base_url=server.base_url + "/vapi", api_key="x").chat.completions.create(
        model="jamie", messages=USER, max_tokens=5, stream=False
    )
    assert ok.choices[0].message.content is not None


def test_openai_client_sees_unknown_model_as_not_found(server: ServerThread):
    client = openai.OpenAI(base_url=server.base_url + "/vapi", api_key="x")
    with pytest.raises(openai.NotFoundError) as raised:
        client.chat.completions.create(model="nope", messages=USER, stream=True)
    assert raised.value.status_code == 404


def test_unknown_route_and_method_are_json(server: ServerThread):
    missing = httpx.get(server.base_url + "/vapi/nothing-here")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    wrong_method = httpx.get(server.base_url + URL)
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"


@pytest.fixture(scope="module")
def guarded_server(tmp_path_factory, embedded_backend: EmbeddedBackend) -> Iterator[ServerThread]:
    settings = make_settings(tmp_path_factory.mktemp("guarded"), vapi_llm_token="s3cret-token")
    thread = ServerThread(settings, backend=embedded_backend).start()
    yield thread
    thread.stop()


@pytest.mark.parametrize("header", [None, "Bearer wrong", "s3cret-token", "Basic s3cret-token"])
def test_bearer_token_is_required_when_configured(guarded_server: ServerThread, header):
    headers = {"Authorization": header} if header else {}
    response = httpx.post(guarded_server.base_url + URL, json={"messages": USER}, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"
    assert query_db(guarded_server, "SELECT COUNT(*) AS n FROM turns")[0]["n"] == 0


def test_bearer_token_accepted(guarded_server: ServerThread):
    client = openai.OpenAI(base_url=guarded_server.base_url + "/vapi", api_key="s3cret-token")
    reply = client.chat.completions.create(model="jamie", messages=USER, max_tokens=5, stream=False)
    assert reply.choices[0].message.content is not None
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=guarded_server.base_url + "/vapi", api_key="bad").models.list()
