"""Emergencies are handled in the engine, so they hold on every channel: the reply opens with
the reviewed safety sentence for the case, the model is not asked, an event is stored, and
where a handoff is possible the call goes to the on-call number."""

from __future__ import annotations

import json
import tomllib
import uuid
from collections.abc import Iterator

import openai
import pytest

from core.settings import PROJECT_ROOT
from tests.conftest import query_db
from tests.support.paced_backend import Pace, PacedBackend, word_tokens
from tests.support.twilio_client import ONCALL, RelayCall, TwilioSigner, call_form, text_of
from tests.support.twilio_server import start_twilio_server
from voice.server import ServerThread

UTTERANCES = {
    "gas_leak": "Hi, it really smells like gas in my hallway.",
    "fire": "There's a fire in the kitchen of unit 3!",
    "smoke": "I can see smoke coming out from under my neighbor's door.",
    "carbon_monoxide": "My carbon monoxide alarm keeps going off and I feel dizzy.",
    "flooding": "A pipe burst and the whole basement is flooding.",
    "sewage_backup": "Sewage is coming up through the drain in my bathtub.",
    "sparking_outlet": "The outlet behind my couch is sparking when I plug things in.",
    "no_heat_freezing": "Our furnace stopped working and it's below zero outside tonight.",
    "child_locked_inside": "My toddler locked himself in the apartment and I'm stuck outside.",
}
SAFETY = {
    case["id"]: case["safety_sentence"]
    for case in tomllib.loads((PROJECT_ROOT / "config/safety/emergencies.toml").read_text())[
        "cases"
    ]
}
MODEL_TEXT = "Let me get someone out to you."


@pytest.fixture(scope="module")
def paced() -> PacedBackend:
    return PacedBackend(Pace(word_tokens(MODEL_TEXT)))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, paced: PacedBackend) -> Iterator[ServerThread]:
    server = start_twilio_server(tmp_path_factory.mktemp("emergencies"), paced)
    yield server
    server.stop()


def test_every_configured_case_has_an_utterance_here():
    assert set(UTTERANCES) == set(SAFETY)


@pytest.mark.parametrize("kind", list(UTTERANCES))
async def test_relay_speaks_the_safety_sentence_first_then_hands_off(
    server: ServerThread, paced: PacedBackend, kind: str
):
    sid = "CA" + uuid.uuid4().hex
    call = await RelayCall.open(server.base_url)
    await call.setup(sid)
    await call.prompt(f"{UTTERANCES[kind]} ({sid})")
    frames = await call.reply()
    end = await call.frame()
    await call.close()

    assert frames[0]["token"] == SAFETY[kind], "the safety sentence comes first, whole"
    lines = server.services.engine.safety_gate.lines
    assert text_of(frames) == f"{SAFETY[kind]} {lines.emergency_handoff}"
    assert MODEL_TEXT not in text_of(frames) and paced.streams_for(sid) == []
    assert end["type"] == "end"
    assert json.loads(end["handoffData"]) == {
        "reason": "emergency",
        "emergency": kind,
        "call_sid": sid,
    }

    events = query_db(
        server, "SELECT payload FROM events WHERE call_id = ? AND kind = 'emergency'", (sid,)
    )
    assert len(events) == 1 and json.loads(events[0]["payload"])["emergency"] == kind
    turn = query_db(server, "SELECT * FROM turns WHERE call_id = ?", (sid,))[0]
    assert turn["finish_reason"] == "emergency" and turn["reply_text"].startswith(SAFETY[kind])

    # Twilio posts the session's end: the safety sentence is said again, then the on-call rings.
    form = call_form(sid, SessionStatus="ended", HandoffData=end["handoffData"])
    xml = TwilioSigner().post(server.base_url, "/twilio/relay/action", form).text
    assert xml.index(SAFETY[kind].split(",")[0]) < xml.index(f">{ONCALL}</Dial>")


def test_gather_says_the_safety_sentence_then_dials(tmp_path, paced: PacedBackend):
    server = start_twilio_server(tmp_path, paced, twilio_mode="gather")
    try:
        sid = "CA" + uuid.uuid4().hex
        form = call_form(sid, SpeechResult=UTTERANCES["gas_leak"], Confidence="0.92")
        xml = TwilioSigner().post(server.base_url, "/twilio/gather", form).text
    finally:
        server.stop()
    first_say = xml.index("<Say")
    assert xml.index("If you smell gas, leave the building right now") > first_say
    assert xml.index("If you smell gas") < xml.index(f">{ONCALL}</Dial>")
    assert "<Gather" not in xml


def test_vapi_speaks_the_safety_sentence_without_a_handoff(
    server: ServerThread, paced: PacedBackend
):
    client = openai.OpenAI(base_url=server.base_url + "/vapi", api_key="unused")
    call_id = f"vapi-{uuid.uuid4()}"
    stream = client.chat.completions.create(
        model="jamie",
        messages=[{"role": "user", "content": UTTERANCES["flooding"]}],
        stream=True,
        extra_body={"call": {"id": call_id}},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == SAFETY["flooding"]
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert paced.streams_for(UTTERANCES["flooding"]) == []
    events = query_db(
        server, "SELECT payload FROM events WHERE call_id = ? AND kind = 'emergency'", (call_id,)
    )
    assert json.loads(events[0]["payload"])["handoff"] is None


@pytest.mark.parametrize(
    "utterance",
    [
        "Can you call me back about the gas bill?",
        "The smoke detector keeps chirping, I think it needs a battery.",
        "I want to book the fire inspection for next week.",
        "My kitchen sink is leaking under the cabinet.",
        "My heater stopped working.",
    ],
)
async def test_ordinary_requests_reach_the_model(
    server: ServerThread, paced: PacedBackend, utterance: str
):
    sid = "CA" + uuid.uuid4().hex
    call = await RelayCall.open(server.base_url)
    await call.setup(sid)
    await call.prompt(f"{utterance} ({sid})")
    assert text_of(await call.reply()) == MODEL_TEXT
    await call.close()
    assert len(paced.streams_for(sid)) == 1
