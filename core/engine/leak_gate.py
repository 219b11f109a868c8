"""Stops a reply that starts reciting the persona's private instructions, as it streams.

A leak is `LEAK_RUN_WORDS` consecutive words of the instructions. While the words just
spoken could still grow into such a run, the gate holds them back; the first word of a run
always goes out (it is usually an ordinary word), so a tenant hears at most that one word of
a leaked passage. When the run breaks, the held words go out at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.text_match import normalize_words

LEAK_RUN_WORDS = 6


class LeakIndex:
    """Every run of up to `n` consecutive instruction words (built once per persona)."""

    def __init__(self, instructions: str, n: int = LEAK_RUN_WORDS):
        self.n = n
        runs: set[tuple[str, ...]] = set()
        for line in instructions.splitlines():
            words = normalize_words(line)
            for start in range(len(words)):
                for length in range(1, n + 1):
                    if start + length <= len(words):
                        runs.add(tuple(words[start : start + length]))
        self.runs = frozenset(runs)


@dataclass
class _Unit:
    text: str  # as it will be spoken, with its leading whitespace
    word: str | None  # normalized; None for punctuation alone


class LeakGate:
    def __init__(self, index: LeakIndex):
        self.index = index
        self._held: list[_Unit] = []  # completed words held back, oldest first
        self._run: list[str] = []  # longest suffix of the words so far that starts a leak run
        self._partial = ""  # the word being written, with its leading whitespace
        self._partial_out = 0  # how much of it already went out
        self.stopped = False

    def feed(self, text: str) -> str:
        out: list[str] = []
        for char in text:
            if self.stopped:
                break
            if char.isspace() and self._partial.strip():
                self._complete(out)
            if not self.stopped:
                self._partial += char
        if not self.stopped and not self._run:  # nothing could be leaking: speak at once
            out.append(self._partial[self._partial_out :])
            self._partial_out = len(self._partial)
        return "".join(out)

    def finish(self) -> str:
        if self.stopped:
            return ""
        out = [unit.text for unit in self._held]
        out.append(self._partial[self._partial_out :])
        self._held, self._partial, self._partial_out = [], "", 0
        return "".join(out)

    def _complete(self, out: list[str]) -> None:
        words = normalize_words(self._partial)
        unit = _Unit(text=self._partial[self._partial_out :], word=" ".join(words) or None)
        already_out = self._partial_out > 0  # released while no run was possible
        self._partial, self._partial_out = "", 0
        if unit.word is not None:
            candidate = [*self._run, unit.word]
            while candidate and tuple(candidate) not in self.index.runs:
                candidate.pop(0)
            if len(candidate) >= self.index.n:
                self.stopped = True
                self._held.clear()
                return
            self._run = candidate
        if already_out:
            out.append(unit.text)
        else:
            self._held.append(unit)
        self._release(out)

    def _release(self, out: list[str]) -> None:
        """Speak every held unit except the run's words after its first."""
        to_hold = max(len(self._run) - 1, 0)
        keep_from, words = len(self._held), 0
        while keep_from > 0 and words < to_hold:
            keep_from -= 1
            if self._held[keep_from].word is not None:
                words += 1
        out.extend(unit.text for unit in self._held[:keep_from])
        self._held = self._held[keep_from:]
