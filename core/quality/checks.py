"""Hard checks and soft scores of one reply, as the tenant would hear it."""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from core.engine.stream_guard import ROLE_LABELS
from core.quality.rules import QualityRules
from core.text_match import normalize_words

_ROLE_LINE = re.compile(
    r"(?:^|[\n.!?]\s*)\**(?:" + "|".join(re.escape(label) for label in ROLE_LABELS) + r")\**\s*:",
    re.IGNORECASE,
)
_MARKDOWN = re.compile(r"\*\*|__|`|^\s{0,3}#{1,6}\s|\[[^\]]+\]\([^)]+\)", re.MULTILINE)
_LIST_LINE = re.compile(r"^\s*(?:[-*•+]|\d{1,2}[.)])\s+\S", re.MULTILINE)
_URL = re.compile(r"https?://|\bwww\.|\b[\w-]+\.(?:com|org|net|io|gov|edu)\b", re.IGNORECASE)
_EMOJI = re.compile("[\U0001f000-\U0001faff\U0001f1e6-\U0001f1ff\u2600-\u27bf\u2b00-\u2bff]")
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")


class Violation(BaseModel):
    code: str
    message: str


class SoftScores(BaseModel):
    acknowledgment: float = 0.0
    next_step: float = 0.0
    timeline: float = 0.0
    empathy: float = 0.0


class CheckResult(BaseModel):
    violations: list[Violation] = Field(default_factory=list)
    soft: SoftScores
    pattern_score: float  # weighted soft scores, 0..1

    @property
    def passed(self) -> bool:
        return not self.violations


def ngrams(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


class ReplyChecker:
    def __init__(self, rules: QualityRules, persona_prompt: str):
        self.rules = rules
        self._prompt_ngrams = ngrams(normalize_words(persona_prompt), rules.prompt_leak.ngram)

    def check(
        self,
        tenant_text: str,
        reply: str,
        *,
        safety_sentence: str | None = None,
        complete: bool = True,
    ) -> CheckResult:
        """`safety_sentence`: what an emergency reply must say; `complete`: False for a reply
        cut off by the caller (barge-in), which is not held to the minimum length."""
        violations = [
            *self._length(reply, complete),
            *self._role_play(reply),
            *self._prompt_leak(reply),
            *self._formatting(reply),
            *self._refusal(tenant_text, reply),
            *self._emergency(reply, safety_sentence),
        ]
        soft = self._soft(reply)
        weights = self.rules.weights
        pattern = (
            weights.acknowledgment * soft.acknowledgment
            + weights.next_step * soft.next_step
            + weights.timeline * soft.timeline
            + weights.empathy * soft.empathy
        )
        return CheckResult(violations=violations, soft=soft, pattern_score=round(pattern, 4))

    def _length(self, reply: str, complete: bool) -> list[Violation]:
        rule = self.rules.length
        text = reply.strip()
        if complete and len(text) < rule.min_chars:
            return [Violation(code="too_short", message=f"{len(text)} characters")]
        if len(text) > rule.max_chars:
            return [Violation(code="too_long", message=f"{len(text)} characters")]
        sentences = len(_SENTENCE_END.findall(text)) or (1 if text else 0)
        if sentences > rule.max_sentences:
            return [Violation(code="too_many_sentences", message=f"{sentences} sentences")]
        return []

    def _role_play(self, reply: str) -> list[Violation]:
        match = _ROLE_LINE.search(reply)
        if match:
            label = match.group(0).strip(" \n.!?*:")
            return [Violation(code="role_play", message=f"speaks as {label!r}")]
        return []

    def _prompt_leak(self, reply: str) -> list[Violation]:
        rule = self.rules.prompt_leak
        reply_ngrams = ngrams(normalize_words(reply), rule.ngram)
        if not reply_ngrams:
            return []
        overlap = len(reply_ngrams & self._prompt_ngrams) / len(reply_ngrams)
        if overlap > rule.max_overlap:
            return [
                Violation(
                    code="prompt_leak",
                    message=f"{overlap:.0%} of its {rule.ngram}-word runs are "
                    "from the persona prompt",
                )
            ]
        return []

    def _formatting(self, reply: str) -> list[Violation]:
        found = []
        if _MARKDOWN.search(reply):
            found.append(Violation(code="markdown", message="markdown would be read aloud"))
        if _LIST_LINE.search(reply):
            found.append(Violation(code="list", message="a list does not work on the phone"))
        if _URL.search(reply):
            found.append(Violation(code="url", message="a web address cannot be heard"))
        if _EMOJI.search(reply):
            found.append(Violation(code="emoji", message="emoji cannot be spoken"))
        return found

    def _refusal(self, tenant_text: str, reply: str) -> list[Violation]:
        rule = self.rules.refusal
        if reply not in rule.refusal or tenant_text in rule.legitimate:
            return []
        return [Violation(code="refusal", message="refused an ordinary tenant request")]

    def _emergency(self, reply: str, safety_sentence: str | None) -> list[Violation]:
        if not safety_sentence:
            return []
        expected = " ".join(normalize_words(safety_sentence))
        if expected not in " ".join(normalize_words(reply)):
            return [
                Violation(
                    code="missing_safety_instruction",
                    message="an emergency reply must give the safety instruction",
                )
            ]
        return []

    def _soft(self, reply: str) -> SoftScores:
        matchers = self.rules.soft.matchers
        return SoftScores(**{name: 1.0 if reply in m else 0.0 for name, m in matchers.items()})
