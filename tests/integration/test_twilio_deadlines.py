"""The caller is never left in silence: a scripted backend stalls or fails, the relay speaks
a filler at the first-token deadline and an apology when the backend fails or gives up."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator

import openai
import pytest

from core.llm.base import BackendError, BackendUnavailable
from tests.conftest import query_db
from tests.support.paced_backend import Pace, PacedBackend, word_tokens
from tests.support.twilio_client import RelayCall, text_of
from tests.support.twilio_server import start_twilio_server
from voice.server import ServerThread

DEADLINE_MS = 300
GIVE_UP_MS = 1000
MODEL_TEXT = "Sorry for the wait, I have your request."
RELEASE_SLOW = threading.Event()


@pytest.fixture(scope="module")
def paced() -> PacedBackend:
    return PacedBackend(
        Pace(word_tokens(MODEL_TEXT)),
        paces=[
            Pace(word_tokens(MODEL_TEXT), gate=RELEASE_SLOW, keyword="slow"),
            Pace(word_tokens(MODEL_TEXT), first_token_delay_s=30, keyword="stalled"),
            Pace((), fail_before_first=BackendUnavailable("ollama is down"), keyword="down"),
            Pace(word_tokens(MODEL_TEXT), fail_after_tokens=3, keyword="dropped"),
        ],
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, paced: PacedBackend) -> Iterator[ServerThread]:
    server = start_twilio_server(
        tmp_path_factory.mktemp("deadlines"),
        paced,
        first_token_deadline_ms=DEADLINE_MS,
        first_token_give_up_ms=GIVE_UP_MS,
    )
    yield server
    server.stop()


async def relay_reply(
    server: ServerThread, utterance: str, release: threading.Event | None = None
) -> tuple[str, list[dict], float]:
    """The reply's frames and the seconds from the prompt to its first frame; `release` is
    set as soon as that first frame arrives."""
    sid = "CA" + uuid.uuid4().hex
    call = await RelayCall.open(server.base_url)
    await call.setup(sid)
    sent = time.perf_counter()
    await call.prompt(f"{utterance} {sid}")
    first = await call.frame()
    first_after_s = time.perf_counter() - sent
    if release is not None:
        release.set()
    frames = [first] if first["last"] else [first, *(await call.reply())]
    await call.close()
    return sid, frames, first_after_s


async def test_a_slow_first_token_gets_a_filler_then_the_reply(
    server: ServerThread, paced: PacedBackend
):
    sid, frames, first_after_s = await relay_reply(server, "slow", release=RELEASE_SLOW)
    fillers = server.services.engine.safety_gate.lines.fillers
    assert first_after_s >= DEADLINE_MS / 1000
    assert frames[0]["token"] == fillers[0], "the filler goes out before the model's first token"
    assert text_of(frames) == f"{fillers[0]} {MODEL_TEXT}"
    record = paced.streams_for(sid)[0]
    assert not record.stopped_early, "the wait went on after the filler"
    turn = query_db(server, "SELECT * FROM turns WHERE call_id = ?", (sid,))[0]
    assert turn["reply_text"] == text_of(frames) and turn["error"] is None
    assert turn["ttft_ms"] >= DEADLINE_MS, "the model spoke only after the filler went out"


async def test_a_stalled_backend_gets_fillers_then_an_apology_and_is_stopped(
    server: ServerThread, paced: PacedBackend
):
    sid, frames, _ = await relay_reply(server, "stalled")
    lines = server.services.engine.safety_gate.lines
    said = [frame["token"].strip() for frame in frames if frame["token"]]
    assert said == [lines.fillers[0], lines.fillers[1], lines.fillers[2], lines.apology]
    record = paced.streams_for(sid)[0]
    assert record.stopped_early and record.tokens == 0
    turn = query_db(server, "SELECT * FROM turns WHERE call_id = ?", (sid,))[0]
    assert turn["error"].startswith("first_token_timeout") and turn["finish_reason"] == "apology"
    event = query_db(
        server, "SELECT payload FROM events WHERE call_id = ? AND kind = 'backend_failure'", (sid,)
    )
    assert json.loads(event[0]["payload"])["code"] == "first_token_timeout"


async def test_a_backend_error_is_apologised_for_before_the_deadline(server: ServerThread):
    sid, frames, first_after_s = await relay_reply(server, "down")
    lines = server.services.engine.safety_gate.lines
    # The apology is the first thing said, within the deadline: no filler was due yet.
    assert first_after_s < DEADLINE_MS / 1000
    assert [f["token"] for f in frames] == [lines.apology, ""]
    turn = query_db(server, "SELECT * FROM turns WHERE call_id = ?", (sid,))[0]
    assert turn["error"] == "backend_unavailable: ollama is down"
    assert turn["reply_text"] == lines.apology
    event = query_db(
        server, "SELECT payload FROM events WHERE call_id = ? AND kind = 'backend_failure'", (sid,)
    )
    payload = json.loads(event[0]["payload"])
    assert payload["callback_promised"] is True and payload["code"] == "backend_unavailable"


async def test_a_stream_dropped_mid_reply_ends_with_the_apology(server: ServerThread):
    sid, frames, _ = await relay_reply(server, "dropped")
    lines = server.services.engine.safety_gate.lines
    text = text_of(frames)
    assert text == "Sorry for the " + lines.apology
    turn = query_db(server, "SELECT * FROM turns WHERE call_id = ?", (sid,))[0]
    assert turn["error"].startswith(BackendError.code) and turn["reply_text"] == text


def test_vapi_keeps_http_errors_and_gets_no_fillers(server: ServerThread):
    """VAPI has its own silence handling; an error before the first token stays an HTTP error."""
    client = openai.OpenAI(base_url=server.base_url + "/vapi", api_key="unused", max_retries=0)
    stream = client.chat.completions.create(
        model="jamie", messages=[{"role": "user", "content": "slow vapi"}], stream=True
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == MODEL_TEXT
    with pytest.raises(openai.APIStatusError) as failed:
        client.chat.completions.create(
            model="jamie", messages=[{"role": "user", "content": "down vapi"}], stream=True
        )
    assert failed.value.status_code == 503


async def test_a_barge_in_during_the_wait_stops_the_silent_backend(
    server: ServerThread, paced: PacedBackend
):
    sid = "CA" + uuid.uuid4().hex
    call = await RelayCall.open(server.base_url)
    await call.setup(sid)
    await call.prompt(f"stalled again {sid}")
    filler = await call.frame()
    await call.interrupt(filler["token"])
    await call.prompt(f"never mind {sid}")
    assert text_of(await call.reply()) == MODEL_TEXT
    await call.close()
    stalled = paced.streams_for(f"stalled again {sid}")[0]
    assert stalled.stopped_early and stalled.tokens == 0 and stalled.ended_ns is not None
    turns = query_db(server, "SELECT * FROM turns WHERE call_id = ? ORDER BY turn_index", (sid,))
    assert turns[0]["interrupted"] == 1 and turns[0]["reply_text"] == filler["token"]
    assert turns[0]["error"] is None
