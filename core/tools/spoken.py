"""Numbers as a caller hears and says them: tickets read digit by digit, digits heard as words.

Tickets are digits only: letters are misheard on the phone ("B" / "D" / "E") and transcribers
write spoken digits in several ways ("four eight two", "4 8 2", "482"), all read back here.
"""

from __future__ import annotations

import re

_DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_WORD_DIGITS = {word: str(i) for i, word in enumerate(_DIGIT_WORDS)} | {"oh": "0", "o": "0"}
_TOKEN = re.compile(r"[a-z]+|\d")


def digits_in(text: str) -> str:
    """The digits a caller said or typed, in order: "four 8 two-one" -> "4821"."""
    digits = []
    for token in _TOKEN.findall(text.lower()):
        if token.isdigit():
            digits.append(token)
        elif token in _WORD_DIGITS:
            digits.append(_WORD_DIGITS[token])
    return "".join(digits)


def spell_digits(digits: str, group: int = 3) -> str:
    """ "482193" -> "four eight two, one nine three": short groups are easy to write down."""
    words = [_DIGIT_WORDS[int(d)] for d in digits if d.isdigit()]
    groups = [" ".join(words[i : i + group]) for i in range(0, len(words), group)]
    return ", ".join(groups)
