"""The emergency classifier and the request-for-a-person detector over the shipped phrase
lists: whole words and phrases only, ignore phrases honoured, priority by config order."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.safety.emergencies import EmergencyClassifier, EmergencyConfig
from core.safety.human_request import HumanRequestDetector
from core.settings import PROJECT_ROOT

SAFETY = PROJECT_ROOT / "config" / "safety"
CLASSIFIER = EmergencyClassifier.from_file(SAFETY / "emergencies.toml")
HUMAN = HumanRequestDetector.from_file(SAFETY / "human_request.toml")

EMERGENCIES = [
    ("I SMELL GAS in the stairwell", "gas_leak"),
    ("It smells like rotten eggs near the stove", "gas_leak"),
    ("I think there’s a gas leak", "gas_leak"),
    ("My kitchen is on fire", "fire"),
    ("there are flames coming from the dryer", "fire"),
    ("The fire alarm is going off and I don't know why", "fire"),
    ("the hallway is full of smoke", "smoke"),
    ("my smoke detector is going off", "smoke"),
    ("The CO detector is beeping like crazy", "carbon_monoxide"),
    ("I think we have carbon monoxide, my kids have headaches", "carbon_monoxide"),
    ("the basement flooded overnight", "flooding"),
    ("a pipe burst under the sink, water everywhere", "flooding"),
    ("raw sewage is backing up into the shower", "sewage_backup"),
    ("the sewer backed up into my basement", "sewage_backup"),
    ("sparks came out of the outlet when I plugged in the lamp", "sparking_outlet"),
    ("the light switch is arcing", "sparking_outlet"),
    ("no heat and the pipes are frozen", "no_heat_freezing"),
    ("the boiler is broken and it's below freezing out there", "no_heat_freezing"),
    ("my daughter locked herself in the bathroom and can't get out", "child_locked_inside"),
    ("I'm locked out and my baby is inside", "child_locked_inside"),
]

NOT_EMERGENCIES = [
    "I'll call you back about the gas bill.",
    "Can I get a parking spot for the back lot?",
    "The smoke detector needs a new battery, it keeps chirping.",
    "When is the fire inspection?",
    "Our fireplace is drafty.",
    "I got fired and rent will be late.",
    "The kitchen sink is leaking a little.",
    "My heater stopped working.",
    "It is freezing cold outside, is the pool closed?",
    "I'm locked out of my apartment.",
    "My son wants to know if the gym is open.",
    "The spark plug in the mower is broken.",
    "Do you allow gas grills on the balcony?",
    "The ice maker in my freezer is broken.",
    "The AC is out in unit 4.",
]


@pytest.mark.parametrize(("text", "kind"), EMERGENCIES)
def test_emergencies_are_recognised(text: str, kind: str):
    match = CLASSIFIER.classify(text)
    assert match is not None, text
    assert match.kind == kind
    assert match.case.safety_sentence


@pytest.mark.parametrize("text", NOT_EMERGENCIES)
def test_ordinary_requests_are_not_emergencies(text: str):
    assert CLASSIFIER.classify(text) is None


def test_every_case_has_examples_here():
    assert {kind for _, kind in EMERGENCIES} == {case.id for case in CLASSIFIER.config.cases}


def test_the_most_urgent_case_wins_and_the_others_are_kept():
    match = CLASSIFIER.classify("There's smoke in the kitchen and I smell gas")
    assert match is not None and match.kind == "gas_leak"
    assert match.other_cases == ["smoke"]


def test_a_phrase_inside_an_ignored_phrase_does_not_count():
    assert CLASSIFIER.classify("the smoke detector is chirping") is None
    match = CLASSIFIER.classify("the smoke detector is chirping and there is smoke in the hall")
    assert match is not None and match.matched == ["there is smoke"]


def test_combinations_must_name_known_groups():
    with pytest.raises(ValidationError, match="unknown groups"):
        EmergencyConfig.model_validate(
            {
                "groups": {"a": ["x"]},
                "cases": [
                    {"id": "c", "label": "c", "safety_sentence": "s.", "combinations": [["a", "b"]]}
                ],
            }
        )


@pytest.mark.parametrize(
    "text",
    [
        "Can I talk to a real person?",
        "I want to speak to someone about my deposit",
        "Operator!",
        "representative",
        "please transfer me",
        "let me talk to the manager",
    ],
)
def test_requests_for_a_person(text: str):
    assert HUMAN.detect(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "Are you a real person?",
        "Is this a real person or a recording?",
        "Someone is parking in my spot",
        "My cooperative neighbor helped",
    ],
)
def test_not_requests_for_a_person(text: str):
    assert HUMAN.detect(text) is None


def test_the_shipped_config_files_load():
    assert len(CLASSIFIER.config.cases) == 9
    assert all(case.safety_sentence.endswith(".") for case in CLASSIFIER.config.cases)
