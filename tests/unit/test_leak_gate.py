"""The gate before speech, fed token by token in every way a model might split its text."""

from __future__ import annotations

import random

import pytest

from core.engine.leak_gate import LEAK_RUN_WORDS, LeakIndex
from core.engine.stream_guard import StreamGuard
from core.persona import load_persona
from core.settings import PROJECT_ROOT
from core.text_match import normalize_words

PERSONA = load_persona(PROJECT_ROOT / "config" / "personas", "jamie")
INDEX = LeakIndex(PERSONA.instructions)
INSTRUCTION_LINES = [line for line in PERSONA.instructions.splitlines() if line.strip()]


def splits(text: str, seed: int) -> list[list[str]]:
    """Word tokens, single characters, and random cuts."""
    words = text.split(" ")
    by_word = [words[0]] + [" " + w for w in words[1:]]
    rng = random.Random(seed)
    cuts, pieces, start = sorted(rng.sample(range(1, len(text)), k=min(12, len(text) - 1))), [], 0
    for cut in cuts:
        pieces.append(text[start:cut])
        start = cut
    pieces.append(text[start:])
    return [by_word, list(text), pieces]


def spoken(tokens: list[str]) -> tuple[str, StreamGuard]:
    guard = StreamGuard(leak_index=INDEX)
    out = "".join(guard.feed(t) for t in tokens) + guard.finish()
    return out, guard


def longest_instruction_run(text: str) -> int:
    words = normalize_words(text)
    best = 0
    for start in range(len(words)):
        length = 0
        while (
            start + length < len(words) and tuple(words[start : start + length + 1]) in INDEX.runs
        ):
            length += 1
        best = max(best, length)
    return best


@pytest.mark.parametrize("line", INSTRUCTION_LINES)
@pytest.mark.parametrize("seed", [1, 2])
def test_recited_instructions_never_get_through(line: str, seed: int):
    text = f"Sure, here is how I work. {line} Anything else?"
    for tokens in splits(text, seed):
        out, guard = spoken(tokens)
        assert guard.stopped and guard.stop_reason == "prompt_leak", tokens
        assert longest_instruction_run(out) <= 2, out  # at most the run's first word or two
        assert "Anything else" not in out


@pytest.mark.parametrize(
    "reply",
    [
        "I'm sorry about the leak. I'll send a plumber today between nine and noon.",
        "This is Jamie, the property manager at Maple Grove Property Management. How can I help?",
        "Then say what happens next? The plumber comes today, and I'll text you first.",
        "Please don't share your code with other tenants, and I'll reset it today.",
    ],
)
@pytest.mark.parametrize("seed", [3, 4])
def test_ordinary_replies_pass_whole_however_they_are_split(reply: str, seed: int):
    for tokens in splits(reply, seed):
        out, guard = spoken(tokens)
        assert not guard.stopped
        assert out == reply


def test_first_token_is_not_held():
    guard = StreamGuard(leak_index=INDEX)
    assert guard.feed("I'm") == "I'm"
    assert guard.feed(" sorry") == " sorry"


def test_run_length_is_what_the_gate_promises():
    assert INDEX.n == LEAK_RUN_WORDS
    assert ("speak", "in", "two", "or", "three", "short") in INDEX.runs
