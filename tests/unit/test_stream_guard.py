"""The stream guard, fed token by token as a model writes."""

from __future__ import annotations

import pytest

from core.engine.stream_guard import StreamGuard


def guard_tokens(tokens: list[str]) -> tuple[list[str], StreamGuard]:
    guard = StreamGuard()
    pieces = [guard.feed(t) for t in tokens]
    pieces.append(guard.finish())
    return pieces, guard


def spoken(tokens: list[str]) -> str:
    return "".join(guard_tokens(tokens)[0])


@pytest.mark.parametrize(
    "label", ["User", "Tenant", "Caller", "Human", "Customer", "Property Manager", "user", "TENANT"]
)
def test_role_play_line_stops_the_reply(label: str):
    tokens = ["I'll", " send", " a", " plumber", " today", ".", "\n", *label, ":", " thanks"]
    pieces, guard = guard_tokens(tokens)
    assert "".join(pieces) == "I'll send a plumber today."
    assert guard.stopped and guard.stop_reason == "role_label"


def test_other_speaker_at_reply_start_stops_everything():
    assert spoken(["Tenant", ":", " my", " sink"]) == ""


def test_own_label_at_reply_start_is_dropped():
    assert spoken(["Jamie", ":", " Hi", " there", "."]) == "Hi there."
    assert spoken(["**", "Assistant", ":**", " Sure", "."]) == "Sure."


def test_own_label_later_is_a_second_speaker():
    assert spoken(["Okay", ".", "\n", "Jamie", ":", " again"]) == "Okay."


def test_words_that_start_like_labels_pass():
    text = "Usually the tenant can call the manager. Humans answer at night."
    assert spoken(list(text)) == text
    assert spoken(["User", " accounts", " are", " online", "."]) == "User accounts are online."


def test_markdown_lists_and_emoji_are_removed():
    tokens = [
        "**",
        "Sure",
        "**",
        " 😊",
        "\n",
        "- ",
        "Call",
        " us",
        "\n",
        "2",
        ". ",
        "Wait",
        "\n",
        "# ",
        "Done",
        " ✅",
    ]
    assert spoken(tokens) == "Sure Call us Wait Done"


def test_first_token_passes_at_once_when_it_cannot_be_a_label():
    guard = StreamGuard()
    assert guard.feed("I'm") == "I'm"
    assert guard.feed(" sorry") == " sorry"


def test_text_held_only_while_it_could_be_a_label():
    guard = StreamGuard()
    assert guard.feed("Te") == ""  # could become "Tenant:"
    assert guard.feed("chnician") == "Technician"


def test_nothing_after_a_stop():
    guard = StreamGuard()
    guard.feed("Fine.\nUser:")
    assert guard.feed(" more text") == "" and guard.finish() == ""
