"""The synthetic demo conversations: deterministic, varied, fictional, every category."""

from __future__ import annotations

from collections import Counter

from core.categories import Categories
from core.settings import PROJECT_ROOT
from training import demo_phrases
from training.demo_data import emergency_replies, generate_demo_conversations

CATEGORIES = Categories.load(PROJECT_ROOT / "config")


def test_same_seed_same_conversations_other_seed_other_wording():
    first, again = generate_demo_conversations(), generate_demo_conversations()
    assert [c.model_dump() for c in first] == [c.model_dump() for c in again]
    other = generate_demo_conversations(seed=7)
    assert [c.exchanges for c in other] != [c.exchanges for c in first]


def test_size_categories_and_exchanges():
    conversations = generate_demo_conversations()
    assert len(conversations) >= 600
    categories = Counter(c.category for c in conversations)
    assert set(categories) == set(CATEGORIES.names)  # the one project-wide list
    routine = [c for c in categories if not CATEGORIES.is_emergency(c)]
    assert len(routine) >= 12
    assert all(2 <= len(c.exchanges) <= 6 for c in conversations)
    assert len({c.exchanges[0].tenant for c in conversations}) > 300  # varied wording


def test_held_out_split_is_fixed_and_spans_categories():
    held_out = [c.id for c in generate_demo_conversations() if c.split == "held_out"]
    assert held_out == [c.id for c in generate_demo_conversations() if c.split == "held_out"]
    assert 55 <= len(held_out) <= 75
    assert len({c.category for c in generate_demo_conversations() if c.split == "held_out"}) >= 12


def test_names_are_the_fictional_ones():
    for conversation in generate_demo_conversations():
        for exchange in conversation.exchanges:
            for word in exchange.jamie.replace(",", " ").replace(".", " ").split():
                if word.istitle() and word in demo_phrases.LAST_NAMES:
                    raise AssertionError("Jamie should not say tenants' last names")


def test_jamie_opening_replies_follow_the_house_style():
    spoken = emergency_replies(PROJECT_ROOT / "config")
    for conversation in generate_demo_conversations():
        reply = conversation.exchanges[0].jamie
        if CATEGORIES.is_emergency(conversation.category):
            # exactly what the turn engine says: the reviewed safety sentence, then the handoff
            assert reply == spoken[conversation.category.removeprefix("emergency_")]
        else:
            assert 2 <= reply.count(".") + reply.count("?") <= 3, reply


def test_emergency_openers_are_classified_as_their_case():
    for case, openers in demo_phrases.EMERGENCY_OPENERS.items():
        for opener in openers:
            assert CATEGORIES.classify(opener).category == f"emergency_{case}", opener


def test_routine_openers_are_no_emergency():
    for material in demo_phrases.CATEGORIES.values():
        for opener in material["openers"]:
            assert not CATEGORIES.is_emergency(CATEGORIES.classify(opener).category), opener
