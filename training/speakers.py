"""Who said what in a call transcript: speaker labels when the transcript has them, text
heuristics only when it has none.

`TranscriptionJson` comes in the shapes transcription services write: a list of segments, or an
object holding one under `segments`, `utterances`, `sentences`, `turns`, `messages`,
`transcript` or `results`; a segment names its speaker in `speaker`, `speaker_label`, `role`,
`channel`, `participant`, `media_channel`, `speakerId` or `from`, and its words in `text`,
`transcript`, `content`, `utterance`, `sentence` or a `words` list. A label that names a role
("agent", "customer") decides at once; opaque labels ("A"/"B", "Speaker 0") are named by which
of them says Jamie's phrases, and failing that by who spoke first (Jamie answers incoming calls).
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any, Literal

from pydantic import BaseModel, Field

from core.text_match import PhraseMatcher
from training.config import SpeakerConfig

Speaker = Literal["tenant", "jamie"]
SpeakerSource = Literal["labels", "text_labels", "text_heuristic", "given"]

_LIST_KEYS = ("segments", "utterances", "sentences", "turns", "messages", "transcript", "results")
_LABEL_KEYS = (
    "speaker",
    "speaker_label",
    "role",
    "channel",
    "participant",
    "media_channel",
    "speakerId",
    "from",
)
_TEXT_KEYS = ("text", "transcript", "content", "utterance", "sentence")
_LABELLED_LINE = re.compile(r"^\s*([A-Za-z][\w .'-]{0,30}?)\s*:\s*(.+)$")
_SENTENCE = re.compile(r"[^.!?]+[.!?]*")


class Utterance(BaseModel):
    speaker: Speaker
    text: str = Field(min_length=1)


class SpeakerSplit(BaseModel):
    utterances: list[Utterance]
    source: SpeakerSource
    named_by: str  # "roles", "phrases", "first_speaker" or "heuristic"


class TranscriptUnreadable(ValueError):
    pass


def _segments(data: Any) -> list[Any]:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in _LIST_KEYS:
            value = data.get(key)
            if isinstance(value, list):
                return value
            if isinstance(value, dict):
                return _segments(value)
    raise TranscriptUnreadable("no list of segments found")


def _segment_text(segment: dict[str, Any]) -> str:
    for key in _TEXT_KEYS:
        value = segment.get(key)
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    words = segment.get("words")
    if isinstance(words, list):
        parts = [w.get("word") or w.get("text") or "" for w in words if isinstance(w, dict)]
        return " ".join(" ".join(parts).split())
    return ""


def labelled_segments(raw: str | Any) -> list[tuple[str, str]]:
    """(label, text) pairs from a TranscriptionJson value; raises TranscriptUnreadable."""
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError as exc:
        raise TranscriptUnreadable(f"not JSON: {exc.msg}") from exc
    pairs: list[tuple[str, str]] = []
    for segment in _segments(data):
        if not isinstance(segment, dict):
            raise TranscriptUnreadable("a segment is not an object")
        label = next((segment[k] for k in _LABEL_KEYS if segment.get(k) is not None), None)
        text = _segment_text(segment)
        if label is None:
            raise TranscriptUnreadable("a segment names no speaker")
        if text:
            pairs.append((str(label).strip(), text))
    if not pairs:
        raise TranscriptUnreadable("no spoken text")
    return pairs


class SpeakerResolver:
    def __init__(self, config: SpeakerConfig):
        self.jamie_labels = {label.lower() for label in config.jamie_labels}
        self.tenant_labels = {label.lower() for label in config.tenant_labels}
        self.jamie_phrases = PhraseMatcher(config.jamie_phrases)
        self.tenant_phrases = PhraseMatcher(config.tenant_phrases)

    def _evidence(self, text: str) -> int:
        """Positive: sounds like Jamie; negative: sounds like a tenant."""
        return len(self.jamie_phrases.find(text)) - len(self.tenant_phrases.find(text))

    def from_labels(
        self, pairs: list[tuple[str, str]], incoming: bool | None, source: SpeakerSource
    ) -> SpeakerSplit:
        labels = list(dict.fromkeys(label for label, _ in pairs))
        roles = {label: self._role(label) for label in labels}
        by_role = {label for label, role in roles.items() if role == "jamie"}
        unnamed = {label for label, role in roles.items() if role is None}
        if by_role:
            jamie, named_by = by_role, "roles"
        elif unnamed and len(unnamed) < len(labels):  # the others are named tenants
            jamie, named_by = unnamed, "roles"
        else:
            evidence = {label: 0 for label in labels}
            for label, text in pairs:
                evidence[label] += self._evidence(text)
            best = max(labels, key=lambda label: evidence[label])
            if evidence[best] > 0 and list(evidence.values()).count(evidence[best]) == 1:
                jamie, named_by = {best}, "phrases"
            else:
                # Jamie picks up an incoming call; on an outgoing one the tenant answers.
                first = labels[0]
                second = labels[1] if len(labels) > 1 else None
                pick = first if incoming is not False else second
                jamie, named_by = ({pick} if pick else set()), "first_speaker"
        utterances = [
            Utterance(speaker="jamie" if label in jamie else "tenant", text=text)
            for label, text in pairs
        ]
        return SpeakerSplit(utterances=utterances, source=source, named_by=named_by)

    def _role(self, label: str) -> Speaker | None:
        name = label.lower().strip()
        if name in self.jamie_labels:
            return "jamie"
        if name in self.tenant_labels:
            return "tenant"
        return None

    def from_text(self, text: str, incoming: bool | None) -> SpeakerSplit:
        """A plain transcript: "Label: words" lines if every line has one, else sentence by
        sentence (a sentence with Jamie's or a tenant's phrases switches the speaker; one with
        neither stays with whoever spoke before)."""
        lines = [line for line in text.splitlines() if line.strip()]
        matches = [_LABELLED_LINE.match(line) for line in lines]
        if len(lines) >= 2 and all(matches):
            pairs = [(m.group(1), " ".join(m.group(2).split())) for m in matches if m]
            if len({label for label, _ in pairs}) >= 2:
                return self.from_labels(pairs, incoming, "text_labels")
        sentences = [s.strip() for s in _SENTENCE.findall(" ".join(text.split())) if s.strip()]
        speaker: Speaker = "jamie" if incoming is not False else "tenant"
        utterances: list[Utterance] = []
        for sentence in sentences:
            evidence = self._evidence(sentence)
            if evidence > 0:
                speaker = "jamie"
            elif evidence < 0:
                speaker = "tenant"
            if utterances and utterances[-1].speaker == speaker:
                utterances[-1] = Utterance(
                    speaker=speaker, text=f"{utterances[-1].text} {sentence}"
                )
            else:
                utterances.append(Utterance(speaker=speaker, text=sentence))
        return SpeakerSplit(utterances=utterances, source="text_heuristic", named_by="heuristic")


def pair_exchanges(utterances: list[Utterance]) -> list[tuple[str, str]]:
    """(tenant, jamie) pairs: consecutive lines of one speaker are joined; Jamie's greeting
    before the tenant speaks and a tenant line with no answer are left out."""
    merged: list[Utterance] = []
    for utterance in utterances:
        if merged and merged[-1].speaker == utterance.speaker:
            merged[-1] = Utterance(
                speaker=utterance.speaker, text=f"{merged[-1].text} {utterance.text}"
            )
        else:
            merged.append(utterance)
    pairs = []
    for first, second in itertools.pairwise(merged):
        if first.speaker == "tenant" and second.speaker == "jamie":
            pairs.append((first.text, second.text))
    return pairs
