"""What the caller may hear: a streaming filter between the model and the speech channel.

It stops the reply at a role label at a line start (`User:`, `Tenant:` ... the model starting
to play both sides), drops Jamie's own label when the reply opens with it, and removes
markdown and emoji, and (given the persona's LeakIndex) stops a reply that recites the
private instructions (leak_gate.py). Text is held back only while it could still become a
role label or a leaked passage, so in the normal case every token passes through at once.
"""

from __future__ import annotations

import re

from core.engine.leak_gate import LeakGate, LeakIndex

ROLE_LABELS: tuple[str, ...] = (
    "user",
    "tenant",
    "caller",
    "customer",
    "client",
    "human",
    "resident",
    "landlord",
    "jamie",
    "assistant",
    "agent",
    "ai",
    "bot",
    "system",
    "property manager",
    "manager",
)
OWN_LABELS: frozenset[str] = frozenset({"jamie", "assistant", "agent", "ai", "bot"})

_MARKDOWN_CHARS = str.maketrans("", "", "*`~_")
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U0001f1e6-\U0001f1ff\u2600-\u27bf\u2b00-\u2bff\ufe0f\u200d\u20e3]"
)
_LIST_MARKER = re.compile(r"^\s*(?:[-•+>#]+|\d{1,2}[.)])\s+")
_PARTIAL_LIST_MARKER = re.compile(r"^\s*(?:[-•+>#]+|\d{1,2}[.)]?)$")
_LABEL_MAX = max(len(label) for label in ROLE_LABELS) + 1


def clean_text(text: str) -> str:
    return _EMOJI.sub("", text.translate(_MARKDOWN_CHARS))


class StreamGuard:
    def __init__(
        self,
        labels: tuple[str, ...] = ROLE_LABELS,
        own_labels: frozenset[str] = OWN_LABELS,
        leak_index: LeakIndex | None = None,
    ):
        self._leak = LeakGate(leak_index) if leak_index is not None else None
        self._labels = tuple(f"{label}:" for label in labels)
        self._own = frozenset(f"{label}:" for label in own_labels)
        self._held: str | None = ""  # text held at a line start; None while mid-line
        self._spoke = False
        self._pending_space = False
        self.stopped = False
        self.stop_reason: str | None = None

    def feed(self, text: str) -> str:
        if self.stopped:
            return ""
        spoken = self._feed_labels(text)
        return self._gate(spoken, final=self.stopped)

    def finish(self) -> str:
        if self.stopped:
            return ""
        return self._gate(self._finish_labels(), final=True)

    def _gate(self, text: str, *, final: bool) -> str:
        """Text past the label stage goes through the leak gate, when there is one."""
        if self._leak is None:
            return text
        passed = self._leak.feed(text)
        if self._leak.stopped:
            self.stopped = True
            self.stop_reason = "prompt_leak"
        elif final:
            passed += self._leak.finish()
        return passed

    def _feed_labels(self, text: str) -> str:
        if self.stopped:
            return ""
        out: list[str] = []
        for char in clean_text(text):
            if char in "\r\n":
                self._release(out)
                self._held = ""
                self._pending_space = self._spoke
                continue
            if self._held is None:
                self._emit(char, out)
                continue
            self._held += char
            decision = self._judge(self._held)
            if decision == "stop":
                self.stopped = True
                self.stop_reason = "role_label"
                break
            if decision == "drop":
                self._held = None
            elif decision == "release":
                self._release(out)
        return "".join(out)

    def _finish_labels(self) -> str:
        out: list[str] = []
        if not self.stopped:
            self._release(out)
        return "".join(out)

    def _judge(self, held: str) -> str:
        if _PARTIAL_LIST_MARKER.match(held):
            return "hold"
        candidate = _LIST_MARKER.sub("", held).lstrip().lower()
        if not candidate:
            return "hold"
        for label in self._labels:
            if candidate.startswith(label):
                return "drop" if (label in self._own and not self._spoke) else "stop"
        could_be_label = any(label.startswith(candidate) for label in self._labels)
        if len(candidate) <= _LABEL_MAX and could_be_label:
            return "hold"
        return "release"

    def _release(self, out: list[str]) -> None:
        if self._held:
            for char in _LIST_MARKER.sub("", self._held):
                self._emit(char, out)
        self._held = None

    def _emit(self, char: str, out: list[str]) -> None:
        if char.isspace():
            if self._spoke:
                self._pending_space = True
            return
        if self._pending_space and char not in ".,!?;:":
            out.append(" ")
            self._pending_space = False
        out.append(char)
        self._spoke = True
