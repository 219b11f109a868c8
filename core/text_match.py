"""Whole-word and whole-phrase matching: "ac" matches "the AC is out", never "back" or "place"."""

from __future__ import annotations

import re
from collections.abc import Iterable


def normalize_words(text: str) -> list[str]:
    """Lower-case words; apostrophes kept inside words ("can't"), other punctuation dropped."""
    return re.findall(r"[a-z0-9]+(?:['’/][a-z0-9]+)*", text.lower().replace("’", "'"))


class PhraseMatcher:
    """Finds which of a fixed set of phrases occur in a text, each as whole words."""

    def __init__(self, phrases: Iterable[str]):
        self.phrases = sorted(
            {p.lower().strip() for p in phrases if p.strip()}, key=len, reverse=True
        )
        if not self.phrases:
            self._pattern = None
            return
        alternatives = "|".join(
            r"\s+".join(re.escape(word) for word in phrase.split()) for phrase in self.phrases
        )
        self._pattern = re.compile(rf"(?<![\w'])(?:{alternatives})(?![\w'])", re.IGNORECASE)

    def find(self, text: str) -> list[str]:
        if self._pattern is None:
            return []
        return [" ".join(m.group(0).lower().split()) for m in self._pattern.finditer(text)]

    def __contains__(self, text: str) -> bool:
        return self._pattern is not None and self._pattern.search(text) is not None
