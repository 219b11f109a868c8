"""ConversationRelay end to end: a `websockets` client plays Twilio (signed upgrade, setup,
prompts, barge-in, DTMF, garbage, hang-up) against the real server on a loopback port."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.llm.embedded import EmbeddedBackend
from tests.conftest import query_db
from tests.support.paced_backend import Pace, PacedBackend, word_tokens
from tests.support.twilio_client import (
    CALLER,
    ONCALL,
    PROPERTY_LINE,
    RelayCall,
    TwilioSigner,
    call_form,
    text_of,
)
from tests.support.twilio_server import start_twilio_server
from voice.server import ServerThread

LONG_REPLY = word_tokens(" ".join(["I will have maintenance look at that for you today."] * 12))
SHORT_REPLY = "Thanks, I have that noted. Anything else?"


def call_sid() -> str:
    return "CA" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def paced() -> PacedBackend:
    return PacedBackend(
        Pace(word_tokens(SHORT_REPLY)),
        paces=[Pace(LONG_REPLY, token_interval_s=0.02, keyword="lease")],
    )


@pytest.fixture(scope="module")
def relay_server(
    tmp_path_factory: pytest.TempPathFactory, paced: PacedBackend
) -> Iterator[ServerThread]:
    server = start_twilio_server(tmp_path_factory.mktemp("relay"), paced)
    yield server
    server.stop()


def wait_for_rows(server: ServerThread, sql: str, params: tuple, count: int) -> list[dict]:
    rows: list[dict] = []
    for _ in range(100):
        rows = query_db(server, sql, params)
        if len(rows) >= count:
            return rows
    return rows


async def test_call_with_the_embedded_model_streams_tokens_and_stores_call_and_turn(
    tmp_path: Path, embedded_backend: EmbeddedBackend
):
    # A busy CPU can slow the embedded model past the deadlines: this test is about streaming.
    server = start_twilio_server(
        tmp_path, embedded_backend, first_token_deadline_ms=60_000, first_token_give_up_ms=90_000
    )
    sid = call_sid()
    try:
        call = await RelayCall.open(server.base_url)
        await call.setup(sid)
        await call.prompt("Hi, my kitchen sink is dripping. Can someone take a look?")
        frames = await call.reply(wait_s=60)
        await call.close()
        text = text_of(frames)
        assert text.strip()
        assert all(f["last"] is False for f in frames[:-1]) and frames[-1] == {
            "type": "text",
            "token": "",
            "last": True,
        }
        assert len(frames) >= 3, "tokens must go out one frame at a time"

        turns = wait_for_rows(server, "SELECT * FROM turns WHERE call_id = ?", (sid,), 1)
        assert len(turns) == 1
        turn = turns[0]
        assert turn["channel"] == "twilio_relay" and turn["backend"] == "embedded"
        assert turn["reply_text"] == text and turn["interrupted"] == 0
        assert 0 < turn["ttft_ms"] <= turn["first_byte_out_ms"] <= turn["total_ms"]
        call_row = query_db(server, "SELECT * FROM calls WHERE id = ?", (sid,))[0]
        assert call_row["from_number"] == CALLER and call_row["to_number"] == PROPERTY_LINE
        assert call_row["direction"] == "inbound" and call_row["provider_call_id"] == sid
        assert call_row["status"] == "ended"
    finally:
        server.stop()


async def test_interrupt_mid_reply_stops_the_backend_and_keeps_only_what_was_heard(
    relay_server: ServerThread, paced: PacedBackend
):
    sid = call_sid()
    call = await RelayCall.open(relay_server.base_url)
    await call.setup(sid)
    await call.prompt(f"Tell me about my lease {sid}")
    spoken = [await call.frame() for _ in range(4)]
    heard = text_of(spoken)[:-3]  # the voice was a little behind the text
    await call.interrupt(heard, duration_ms=900)
    await call.prompt(f"Actually, when is rent due? {sid}")
    # Frames that left before the interrupt was handled may still be in flight; the next
    # reply follows them, whole, and nothing of the old reply comes after it.
    rest = text_of(await call.reply())
    assert rest.endswith(SHORT_REPLY)
    assert text_of(spoken) + rest.removesuffix(SHORT_REPLY) in "".join(LONG_REPLY)
    await call.close()

    first = paced.streams_for(f"lease {sid}")[0]
    assert first.stopped_early and first.ended_ns is not None
    assert first.tokens < len(LONG_REPLY), "generation must stop at the barge-in"
    turns = wait_for_rows(
        relay_server, "SELECT * FROM turns WHERE call_id = ? ORDER BY turn_index", (sid,), 2
    )
    assert [t["interrupted"] for t in turns] == [1, 0]
    assert turns[0]["reply_text"] == heard and turns[0]["finish_reason"] == "interrupted"
    assert turns[1]["reply_text"] == SHORT_REPLY
    second = paced.streams_for(f"rent due? {sid}")[0]
    assistant = [m.content for m in second.messages if m.role == "assistant"]
    assert assistant == [heard], "the history keeps only the heard part of the reply"
    events = query_db(
        relay_server,
        "SELECT payload FROM events WHERE call_id = ? AND kind = ?",
        (sid, "relay_interrupt"),
    )
    assert json.loads(events[0]["payload"]) == {"heard": heard, "duration_ms": 900}


async def test_interrupt_after_the_model_finished_amends_the_stored_reply(
    relay_server: ServerThread, paced: PacedBackend
):
    sid = call_sid()
    call = await RelayCall.open(relay_server.base_url)
    await call.setup(sid)
    await call.prompt(f"My porch light is out {sid}")
    assert text_of(await call.reply()) == SHORT_REPLY
    await call.interrupt("Thanks, I have")  # TTS was still speaking when the caller cut in
    await call.prompt(f"It is unit 12 {sid}")
    await call.reply()
    await call.close()
    turns = wait_for_rows(
        relay_server, "SELECT * FROM turns WHERE call_id = ? ORDER BY turn_index", (sid,), 2
    )
    assert turns[0]["reply_text"] == "Thanks, I have" and turns[0]["interrupted"] == 1
    second = paced.streams_for(f"unit 12 {sid}")[0]
    assert [m.content for m in second.messages if m.role == "assistant"] == ["Thanks, I have"]


async def test_pressing_zero_hands_the_call_to_the_on_call_number(relay_server: ServerThread):
    sid = call_sid()
    call = await RelayCall.open(relay_server.base_url)
    await call.setup(sid)
    await call.dtmf("5")  # any other key is ignored
    await call.dtmf("0")
    said = await call.reply()
    end = await call.frame()
    await call.close()
    lines = relay_server.services.engine.safety_gate.lines
    assert text_of(said) == lines.human_handoff
    assert end["type"] == "end"
    handoff = json.loads(end["handoffData"])
    assert handoff == {"reason": "dtmf_0", "call_sid": sid}

    # Twilio then posts the session's end to the <Connect action>: the answer dials the on-call.
    form = call_form(sid, SessionStatus="ended", HandoffData=end["handoffData"])
    response = TwilioSigner().post(relay_server.base_url, "/twilio/relay/action", form)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    assert f">{ONCALL}</Dial>" in response.text and "<Say" not in response.text
    call_row = query_db(relay_server, "SELECT status FROM calls WHERE id = ?", (sid,))[0]
    assert call_row["status"] == "handed_off"


async def test_asking_for_a_person_hands_off_without_the_model(
    relay_server: ServerThread, paced: PacedBackend
):
    sid = call_sid()
    call = await RelayCall.open(relay_server.base_url)
    await call.setup(sid)
    await call.prompt(f"Can I please talk to a real person {sid}")
    said = await call.reply()
    end = await call.frame()
    await call.close()
    assert text_of(said) == relay_server.services.engine.safety_gate.lines.human_handoff
    assert json.loads(end["handoffData"])["reason"] == "human_requested"
    assert paced.streams_for(sid) == []


async def test_relay_session_ending_without_handoff_hangs_up(relay_server: ServerThread):
    sid = call_sid()
    form = call_form(sid, SessionStatus="completed", SessionDuration="42")
    response = TwilioSigner().post(relay_server.base_url, "/twilio/relay/action", form)
    assert response.status_code == 200 and "<Hangup />" in response.text
    assert "<Dial" not in response.text


async def test_garbage_frames_are_logged_stored_and_ignored(
    relay_server: ServerThread, paced: PacedBackend
):
    sid = call_sid()
    call = await RelayCall.open(relay_server.base_url)
    await call.prompt("a prompt before setup")  # no call yet: ignored
    await call.setup(sid)
    await call.ws.send("this is not json")
    await call.ws.send('{"type": "mystery", "x": 1}')
    await call.ws.send('{"type": "prompt", "last": true}')  # no voicePrompt
    await call.ws.send('{"type": "interrupt", "durationUntilInterruptMs": "soon"}')
    await call.ws.send(b"\x00\x01binary")
    await call.send({"type": "error", "description": "Invalid message received"})
    await call.send({"type": "info", "name": "agentSpeaking", "value": "on"})
    await call.setup(sid)  # a second setup is ignored too
    await call.prompt(f"Is the pool open {sid}")
    assert text_of(await call.reply()) == SHORT_REPLY, "the call goes on"
    await call.close()

    bad = wait_for_rows(
        relay_server,
        "SELECT payload FROM events WHERE call_id IS ? AND kind = 'relay_bad_frame' ",
        (sid,),
        6,
    )
    codes = sorted(json.loads(row["payload"])["code"] for row in bad)
    assert codes == sorted(
        [
            "json_invalid",
            "union_tag_invalid",
            "missing",
            "int_parsing",
            "binary_frame",
            "duplicate_setup",
        ]
    )
    before_setup = query_db(
        relay_server,
        "SELECT payload FROM events WHERE call_id IS NULL AND kind = 'relay_bad_frame' "
        "AND payload LIKE '%a prompt before setup%'",
    )
    assert len(before_setup) == 1
    errors = query_db(
        relay_server,
        "SELECT payload FROM events WHERE call_id = ? AND kind = 'relay_error'",
        (sid,),
    )
    assert json.loads(errors[0]["payload"])["description"] == "Invalid message received"
    assert len(paced.streams_for(sid)) == 1


async def test_abrupt_close_mid_reply_stops_generation_and_keeps_the_call(
    relay_server: ServerThread, paced: PacedBackend
):
    sid = call_sid()
    call = await RelayCall.open(relay_server.base_url)
    await call.setup(sid)
    await call.prompt(f"Read me my whole lease {sid}")
    for _ in range(3):
        assert (await call.frame())["type"] == "text"
    call.ws.transport.abort()  # no closing handshake: the line just drops

    record = paced.streams_for(sid)[0]
    for _ in range(200):
        if record.ended_ns is not None:
            break
        await asyncio.sleep(0.01)
    assert record.stopped_early and record.tokens < len(LONG_REPLY)
    turns = wait_for_rows(relay_server, "SELECT * FROM turns WHERE call_id = ?", (sid,), 1)
    assert len(turns) == 1 and turns[0]["interrupted"] == 1
    assert turns[0]["reply_text"].startswith("I will have")
    call_row = wait_for_rows(
        relay_server, "SELECT * FROM calls WHERE id = ? AND ended_at IS NOT NULL", (sid,), 1
    )
    assert call_row[0]["status"] == "ended" and call_row[0]["from_number"] == CALLER


async def test_status_callbacks_are_stored_and_close_the_call(relay_server: ServerThread):
    sid = call_sid()
    signer = TwilioSigner()
    for status in ("ringing", "in-progress", "completed"):
        form = call_form(sid, CallStatus=status, CallbackSource="call-progress-events")
        response = signer.post(relay_server.base_url, "/twilio/status", form)
        assert response.status_code == 204
    events = query_db(
        relay_server,
        "SELECT payload FROM events WHERE call_id = ? AND kind = 'call_status' ORDER BY id",
        (sid,),
    )
    assert [json.loads(e["payload"])["CallStatus"] for e in events] == [
        "ringing",
        "in-progress",
        "completed",
    ]


async def test_incoming_call_answers_with_conversation_relay_twiml(relay_server: ServerThread):
    sid = call_sid()
    response = TwilioSigner().post(relay_server.base_url, "/twilio/voice", call_form(sid))
    assert response.status_code == 200
    xml = response.text
    persona = relay_server.services.persona
    assert '<Connect action="https://pete.example.test/twilio/relay/action" method="POST">' in xml
    assert 'url="wss://pete.example.test/twilio/relay"' in xml
    assert f'welcomeGreeting="{persona.greeting}"' in xml
    assert f'voice="{persona.voice}"' in xml and f'language="{persona.language}"' in xml
    assert 'interruptible="any"' in xml and 'dtmfDetection="true"' in xml
    call_row = query_db(relay_server, "SELECT * FROM calls WHERE id = ?", (sid,))[0]
    assert call_row["channel"] == "twilio_relay" and call_row["from_number"] == CALLER
