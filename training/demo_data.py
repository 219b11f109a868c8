"""Deterministic synthetic conversations between tenants and Jamie (`pete demo-data`).

The real call logs are private, so this builds a realistic stand-in: every category of
config/categories.toml, 2–6 exchanges a thread, varied tenant wording, Jamie's replies in the
house style. The same seed always gives the same threads; every tenth is held out for eval.
"""

from __future__ import annotations

import random
from pathlib import Path

import pendulum

from core.categories import EMERGENCY_PREFIX
from core.corpus import Conversation, Exchange
from core.safety.emergencies import EmergencyClassifier
from core.settings import PROJECT_ROOT
from core.spoken_lines import load_spoken_lines
from training import demo_phrases as phrases

DEMO_SEED = 20261126
THREADS_PER_CATEGORY = 46
THREADS_PER_EMERGENCY = 12
HELD_OUT_EVERY = 10
_START = pendulum.datetime(2026, 1, 5, 8, 0, tz="UTC")


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text[:1].upper() + text[1:] if text else text


def _item_for(opener: str) -> str:
    for word, item in phrases.APPLIANCE_ITEMS.items():
        if word in opener:
            return item
    return "appliance"


class _ThreadWriter:
    def __init__(self, rng: random.Random, index: int):
        self.rng = rng
        first = rng.choice(phrases.FIRST_NAMES)
        self.slots = {
            "first": first,
            "name": f"{first} {rng.choice(phrases.LAST_NAMES)}",
            "unit": rng.choice(phrases.UNITS),
            "window": rng.choice(phrases.WINDOWS),
            "day": rng.choice(phrases.DAYS),
            "item": "appliance",
        }
        self.caller_key = f"demo-caller-{index % 97:02d}"

    def fill(self, template: str) -> str:
        return template.format(**self.slots)

    def tenant_opening(self, opener: str) -> tuple[str, bool]:
        mood_in = self.rng.choice(phrases.OPENING_MOODS)
        mood_out = self.rng.choice(phrases.CLOSING_MOODS)
        upset = mood_in.startswith("Ugh") or "frustrated" in mood_out or "worse" in mood_out
        lead = self.fill(mood_in)
        body = _sentence(opener) if lead.rstrip().endswith((".", "?")) else opener
        text = _sentence(lead + body) + mood_out
        return text, upset

    def follow_ups(self, category: str, count: int) -> list[Exchange]:
        pool = (
            phrases.REPAIR_FOLLOW_UPS
            if category in phrases.REPAIR_CATEGORIES
            else phrases.OFFICE_FOLLOW_UPS
        )
        picked = self.rng.sample(pool, k=min(count, len(pool)))
        return [Exchange(tenant=t, jamie=self.fill(j)) for t, j in picked]

    def closing(self) -> Exchange:
        tenant, jamie = self.rng.choice(phrases.CLOSINGS)
        return Exchange(tenant=tenant, jamie=self.fill(jamie))


def _routine_thread(rng: random.Random, index: int, category: str) -> list[Exchange]:
    material = phrases.CATEGORIES[category]
    writer = _ThreadWriter(rng, index)
    choice = rng.randrange(len(material["openers"]))
    opener = material["openers"][choice]
    writer.slots["item"] = _item_for(opener)
    tenant, upset = writer.tenant_opening(opener)
    if "answers" in material:  # a question with one right answer
        parts = [material["answers"][choice]]
    else:
        parts = [
            rng.choice(phrases.ACKNOWLEDGE["upset" if upset else "calm"]),
            rng.choice(material["next"]),
            rng.choice(material["tips"]),
        ]
    jamie = " ".join(_sentence(writer.fill(p)) for p in parts if p)
    exchanges = [Exchange(tenant=tenant, jamie=jamie)]
    total = rng.randint(2, 6)
    exchanges += writer.follow_ups(category, total - 2)
    exchanges.append(writer.closing())
    return exchanges


def _emergency_thread(
    rng: random.Random, index: int, case: str, spoken_reply: str
) -> list[Exchange]:
    writer = _ThreadWriter(rng, index)
    opener = rng.choice(phrases.EMERGENCY_OPENERS[case])
    tenant = _sentence(writer.fill(rng.choice(["", "Hi, ", "Jamie, ", "Help, "])) + opener)
    jamie = spoken_reply
    exchanges = [Exchange(tenant=tenant, jamie=jamie)]
    follow = rng.sample(phrases.EMERGENCY_FOLLOW_UPS, k=rng.randint(1, 2))
    exchanges += [Exchange(tenant=t, jamie=j) for t, j in follow]
    return exchanges


def emergency_replies(config_dir: Path) -> dict[str, str]:
    """What the turn engine says for each emergency case: safety sentence, then the handoff."""
    classifier = EmergencyClassifier.from_file(config_dir / "safety" / "emergencies.toml")
    handoff = load_spoken_lines(config_dir).emergency_handoff
    return {case.id: f"{case.safety_sentence} {handoff}" for case in classifier.config.cases}


def generate_demo_conversations(
    seed: int = DEMO_SEED, config_dir: Path = PROJECT_ROOT / "config"
) -> list[Conversation]:
    rng = random.Random(seed)
    spoken = emergency_replies(config_dir)
    plan = [(c, THREADS_PER_CATEGORY) for c in phrases.CATEGORIES]
    plan += [
        (f"{EMERGENCY_PREFIX}{case}", THREADS_PER_EMERGENCY) for case in phrases.EMERGENCY_OPENERS
    ]
    jobs = [category for category, count in plan for _ in range(count)]
    rng.shuffle(jobs)
    conversations = []
    for index, category in enumerate(jobs):
        if category.startswith(EMERGENCY_PREFIX):
            case = category.removeprefix(EMERGENCY_PREFIX)
            exchanges = _emergency_thread(rng, index, case, spoken[case])
        else:
            exchanges = _routine_thread(rng, index, category)
        conversations.append(
            Conversation(
                id=f"demo-{index:04d}",
                source="demo",
                category=category,
                split="held_out" if index % HELD_OUT_EVERY == 0 else "train",
                caller_key=_ThreadWriter(random.Random(index), index).caller_key,
                started_at=_START.add(hours=index * 7).to_iso8601_string(),
                exchanges=exchanges,
            )
        )
    return conversations
