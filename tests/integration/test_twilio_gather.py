"""The `<Gather>` loop (PETE_TWILIO_MODE=gather) with signed form posts: the conversation
lives in the store keyed by CallSid, so any replica can take the next turn."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from xml.etree import ElementTree

import pytest

from core.llm.base import BackendUnavailable
from tests.conftest import make_settings, query_db
from tests.support.paced_backend import Pace, PacedBackend, word_tokens
from tests.support.twilio_client import AUTH_TOKEN, ONCALL, PUBLIC_URL, TwilioSigner, call_form
from voice.server import ServerThread

FIRST_REPLY = "I'm sorry about the sink. Maintenance can come this afternoon."
SECOND_REPLY = "Great, they will call before they arrive."


@pytest.fixture(scope="module")
def paced() -> PacedBackend:
    return PacedBackend(
        Pace(word_tokens(SECOND_REPLY)),
        paces=[
            Pace(word_tokens(FIRST_REPLY), keyword="sink"),
            Pace((), fail_before_first=BackendUnavailable("ollama is down"), keyword="rent"),
        ],
    )


@pytest.fixture(scope="module")
def replicas(
    tmp_path_factory: pytest.TempPathFactory, paced: PacedBackend
) -> Iterator[tuple[ServerThread, ServerThread]]:
    """Two servers on one store, as two replicas behind a load balancer."""
    root = tmp_path_factory.mktemp("gather")
    settings = make_settings(
        root,
        public_url=PUBLIC_URL,
        twilio_auth_token=AUTH_TOKEN,
        oncall_number=ONCALL,
        twilio_mode="gather",
    )
    first = ServerThread(settings, backend=paced).start()
    second = ServerThread(settings, backend=paced).start()
    yield first, second
    second.stop()
    first.stop()


def say_texts(xml: str) -> list[str]:
    return [node.text or "" for node in ElementTree.fromstring(xml).iter("Say")]


def gather_of(xml: str) -> ElementTree.Element:
    node = ElementTree.fromstring(xml).find("Gather")
    assert node is not None, xml
    return node


def post(server: ServerThread, path: str, form: dict[str, str]) -> str:
    response = TwilioSigner().post(server.base_url, path, form)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    return response.text


def test_a_conversation_moves_between_replicas_through_the_store(
    replicas: tuple[ServerThread, ServerThread], paced: PacedBackend
):
    one, two = replicas
    sid = "CA" + uuid.uuid4().hex
    greeting = post(one, "/twilio/voice", call_form(sid))
    listening = gather_of(greeting)
    assert listening.get("input") == "dtmf speech"
    assert listening.get("action") == f"{PUBLIC_URL}/twilio/gather"
    assert listening.get("actionOnEmptyResult") == "true"
    assert say_texts(greeting) == [one.services.persona.greeting]

    first = post(
        one, "/twilio/gather", call_form(sid, SpeechResult="My sink is leaking.", Confidence="0.93")
    )
    assert say_texts(first) == [FIRST_REPLY] and gather_of(first).get("action").endswith("/gather")
    second = post(two, "/twilio/gather", call_form(sid, SpeechResult=f"Yes please {sid}"))
    assert say_texts(second) == [SECOND_REPLY]

    prompt = paced.streams_for(f"Yes please {sid}")[0].messages
    assert [(m.role, m.content) for m in prompt[1:]] == [
        ("user", "My sink is leaking."),
        ("assistant", FIRST_REPLY),
        ("user", f"Yes please {sid}"),
    ], "the second replica read the first exchange from the store"
    turns = query_db(two, "SELECT * FROM turns WHERE call_id = ? ORDER BY turn_index", (sid,))
    assert [(t["turn_index"], t["channel"]) for t in turns] == [
        (0, "twilio_gather"),
        (1, "twilio_gather"),
    ]
    assert [t["reply_text"] for t in turns] == [FIRST_REPLY, SECOND_REPLY]
    call = query_db(two, "SELECT * FROM calls WHERE id = ?", (sid,))[0]
    assert call["channel"] == "twilio_gather" and call["from_number"] == call_form(sid)["From"]


def test_silence_gets_one_reprompt_then_a_goodbye(replicas: tuple[ServerThread, ServerThread]):
    one, two = replicas
    sid = "CA" + uuid.uuid4().hex
    lines = one.services.engine.safety_gate.lines
    reprompt = post(one, "/twilio/gather", call_form(sid, SpeechResult=""))
    assert say_texts(reprompt) == [lines.reprompt]
    action = gather_of(reprompt).get("action")
    assert action == f"{PUBLIC_URL}/twilio/gather?empty=1"
    # Twilio posts to that URL exactly; its query is part of what is signed.
    goodbye = post(two, action.removeprefix(PUBLIC_URL), call_form(sid, SpeechResult=""))
    assert say_texts(goodbye) == [lines.goodbye] and "<Hangup />" in goodbye
    assert "<Gather" not in goodbye
    # Speech after a reprompt resets the count.
    reply = post(one, "/twilio/gather?empty=1", call_form(sid, SpeechResult="The sink again."))
    assert gather_of(reply).get("action") == f"{PUBLIC_URL}/twilio/gather"


def test_pressing_zero_dials_the_on_call_number(replicas: tuple[ServerThread, ServerThread]):
    one, _ = replicas
    sid = "CA" + uuid.uuid4().hex
    xml = post(one, "/twilio/gather", call_form(sid, Digits="0"))
    assert say_texts(xml) == [one.services.engine.safety_gate.lines.human_handoff]
    assert f">{ONCALL}</Dial>" in xml and "<Gather" not in xml


def test_a_backend_failure_is_apologised_for_and_stored(
    replicas: tuple[ServerThread, ServerThread],
):
    one, _ = replicas
    sid = "CA" + uuid.uuid4().hex
    xml = post(one, "/twilio/gather", call_form(sid, SpeechResult="When is rent due?"))
    lines = one.services.engine.safety_gate.lines
    assert say_texts(xml) == [lines.apology]
    assert gather_of(xml) is not None, "the call goes on: the caller can try again"
    turn = query_db(one, "SELECT * FROM turns WHERE call_id = ?", (sid,))[0]
    assert turn["error"].startswith("backend_unavailable") and turn["reply_text"] == lines.apology
    event = query_db(
        one, "SELECT payload FROM events WHERE call_id = ? AND kind = 'backend_failure'", (sid,)
    )[0]
    payload = json.loads(event["payload"])
    assert payload["callback_promised"] is True and payload["from_number"] == call_form(sid)["From"]


def test_the_dial_ending_unanswered_is_apologised_for(replicas: tuple[ServerThread, ServerThread]):
    one, _ = replicas
    sid = "CA" + uuid.uuid4().hex
    xml = post(one, "/twilio/dial/action", call_form(sid, DialCallStatus="no-answer"))
    assert say_texts(xml) == [one.services.engine.safety_gate.lines.handoff_unavailable]
    assert "<Hangup />" in xml
    assert query_db(
        one, "SELECT id FROM events WHERE call_id = ? AND kind = 'callback_needed'", (sid,)
    )
    answered = post(one, "/twilio/dial/action", call_form(sid, DialCallStatus="completed"))
    assert say_texts(answered) == [] and "<Hangup />" in answered


def test_a_form_without_call_sid_is_a_400_and_kept(replicas: tuple[ServerThread, ServerThread]):
    one, _ = replicas
    form = {"SpeechResult": "hello", "From": "+15550100001"}
    response = TwilioSigner().post(one.base_url, "/twilio/gather", form)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "CallSid"
    rows = query_db(
        one, "SELECT payload FROM events WHERE kind = 'bad_request' AND payload LIKE '%hello%'"
    )
    assert json.loads(rows[-1]["payload"])["form"] == form
