"""Each check with a passing and a failing reply, including the substring traps of the first
attempt ("yo" in "you", "hey" in "they", "ac" in "back")."""

from __future__ import annotations

import pytest

from core.persona import load_persona
from core.quality.checks import ReplyChecker
from core.quality.rules import load_rules
from core.quality.scoring import FAILED_SCORE_CAP, jamie_score
from core.settings import PROJECT_ROOT

PERSONA = load_persona(PROJECT_ROOT / "config" / "personas", "jamie")
CHECKER = ReplyChecker(
    load_rules(PROJECT_ROOT / "config" / "quality", "jamie"), PERSONA.instructions
)
TENANT = "My kitchen sink is leaking under the cabinet."
GOOD = (
    "I'm sorry about that leak. I'm sending our plumber out today between one and four. "
    "Please put a towel under it until then."
)


def codes(reply: str, tenant: str = TENANT, **kwargs) -> list[str]:
    return [v.code for v in CHECKER.check(tenant, reply, **kwargs).violations]


def test_a_good_reply_passes_with_every_soft_score():
    result = CHECKER.check(TENANT, GOOD)
    assert result.passed, result.violations
    assert result.soft.model_dump() == {
        "acknowledgment": 1.0,
        "next_step": 1.0,
        "timeline": 1.0,
        "empathy": 1.0,
    }
    assert result.pattern_score == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        ("Okay.", "too_short"),
        ("Sure thing. " * 40, "too_long"),
        ("Okay. I see. Right. Sure. Fine. Yes.", "too_many_sentences"),
    ],
)
def test_length_bounds(reply, code):
    assert code in codes(reply)


def test_a_cut_off_reply_is_not_too_short():
    assert "too_short" not in codes("I'm so", complete=False)


@pytest.mark.parametrize(
    "reply",
    [
        "I'll send a plumber today. Tenant: thanks so much!",
        "Okay. User: what time?",
        "**Caller:** is anyone there?",
        "Sure.\nHuman: and then what",
    ],
)
def test_second_speaker_lines_fail(reply):
    assert "role_play" in codes(reply)


@pytest.mark.parametrize(
    "reply",
    [
        "The previous tenant left a spare key with the manager, and I'll bring it today.",
        "Your user account on the portal is ready, and I'll text you the link today.",
    ],
)
def test_role_words_inside_sentences_pass(reply):
    assert "role_play" not in codes(reply)


def test_reciting_the_instructions_is_a_leak_but_the_identity_is_not():
    leak = (
        "Speak in two or three short, plain sentences, the way a friendly person talks "
        "on a call. First acknowledge what the tenant said."
    )
    assert "prompt_leak" in codes(leak)
    intro = (
        "This is Jamie, the property manager at Maple Grove Property Management. "
        "I'll have the plumber come today."
    )
    assert "prompt_leak" not in codes(intro)


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        ("Sure, **today** works and I'll send someone.", "markdown"),
        ("Here is what happens:\n- a plumber comes\n- you get a text", "list"),
        ("You can pay at https://pay.example.com today.", "url"),
        ("You can pay at www.mapleportal.com today.", "url"),
        ("I'll send someone today 🔧.", "emoji"),
    ],
)
def test_formatting_that_cannot_be_spoken_fails(reply, code):
    assert code in codes(reply)


def test_refusing_an_ordinary_request_fails_but_refusing_other_tenants_data_passes():
    refusal = "I'm sorry, I can't help with that, as an AI I have limits today."
    assert "refusal" in codes(refusal)
    asking_for_data = "What's the phone number of the other tenant in 4C?"
    assert "refusal" not in codes(refusal, tenant=asking_for_data)


def test_emergency_reply_must_carry_the_safety_sentence():
    safety = "Please leave the apartment right now and call 911 once you're outside."
    ok = f"{safety} I'm connecting you to our on-call person right now."
    assert "missing_safety_instruction" not in codes(ok, safety_sentence=safety)
    assert "missing_safety_instruction" in codes(GOOD, safety_sentence=safety)


@pytest.mark.parametrize(
    ("reply", "missing"),
    [
        # "yo" in "you", "hey" in "they": no acknowledgment word here
        ("They told you the water was off, and the plumber comes today.", "acknowledgment"),
        # "hour" inside "hourly", "schedule" inside "rescheduled": no timeline, no next step
        ("Sorry, the hourly rate was rescheduled.", "timeline"),
        ("Sorry, the hourly rate was rescheduled.", "next_step"),
    ],
)
def test_soft_scores_match_whole_words_only(reply, missing):
    assert getattr(CHECKER.check(TENANT, reply).soft, missing) == 0.0


def test_jamie_score_formula_and_cap():
    result = CHECKER.check(TENANT, GOOD)
    assert jamie_score(result, 0.8) == pytest.approx(90.0)
    assert jamie_score(result, None) == pytest.approx(100.0)
    failed = CHECKER.check(TENANT, GOOD + " See https://example.com")
    assert jamie_score(failed, 1.0) == FAILED_SCORE_CAP
