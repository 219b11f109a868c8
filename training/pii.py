"""PII scrubbing: names, phone numbers, e-mail and street addresses, unit numbers -> placeholders.

Applied to everything that leaves the store for training (dataset items, example pairs, the
Modelfile), never to the store itself. Names are found three ways: names known to the store
(tenants on file, contact names of imported calls), self-introductions and greetings in the
conversation ("this is Avery", "thanks, Avery"), and titles ("Mr. Okafor"); a name found
anywhere in a conversation is replaced everywhere in it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

NAME, PHONE, EMAIL, ADDRESS, UNIT = "[NAME]", "[PHONE]", "[EMAIL]", "[ADDRESS]", "[UNIT]"
PLACEHOLDERS = (NAME, PHONE, EMAIL, ADDRESS, UNIT)

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(
    r"(?<![\w+])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-]?)\d{3}[\s.-]?\d{4}(?!\w)"
    r"|(?<![\w+])\+\d{8,15}(?!\w)"
)
_STREET_TYPES = (
    "street|st|avenue|ave|road|rd|drive|dr|lane|ln|boulevard|blvd|court|ct|way|place|pl|"
    "circle|cir|terrace|ter|parkway|pkwy|highway|hwy|trail|trl"
)
# "1234 Maple Grove Dr." (capitalised street name) or "42 elm street" (an unmistakable suffix).
_ADDRESS = re.compile(
    rf"\b\d{{1,6}}\s+(?:[NSEW]\.?\s+)?(?:[A-Z][\w'-]*\.?\s+){{1,3}}(?i:{_STREET_TYPES})\b\.?"
    r"|\b\d{1,6}\s+(?:[a-z]+\s+){1,2}(?:street|avenue|boulevard|road|drive|lane)\b"
)
_UNIT = re.compile(
    r"\b(?:unit|apt|apartment|suite|ste|townhome|townhouse|bldg|building)\.?\s*#?\s*"
    r"[A-Za-z]?\d+[A-Za-z]?\b"
    r"|#\s?\d+[A-Za-z]?\b",
    re.IGNORECASE,
)
_WORD = r"[A-Z][a-z]+(?:['-][A-Z]?[a-z]+)?"
_INTRODUCTION = re.compile(
    rf"\b(?i:this is|my name is|my name's|name is|it's|i am|i'm|speaking with|talking to)\s+"
    rf"({_WORD}(?:\s+{_WORD})?)"
)
_GREETING = re.compile(
    rf"\b(?i:hi|hey|hello|thanks|thank you|bye|goodbye|morning|afternoon|evening|take care)"
    rf",?\s+({_WORD})\b"
)
_VOCATIVE = re.compile(rf",\s+({_WORD})(?=\s*(?:[.!?,]|$))")
_TITLE = re.compile(rf"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+({_WORD})")

# Capitalised words that follow "this is" or a comma without being anybody's name.
_NOT_NAMES = set(
    """i i'm it it's ok okay yes yeah no sure sorry please thanks thank hi hey hello bye good
    great perfect fine well so and but or the a an that this there here what when where who how
    why just actually again today tomorrow tonight now everyone everybody maintenance
    management emergency urgent monday tuesday wednesday thursday friday saturday sunday
    january february march april may june july august september october november december
    calling going trying having looking""".split()
)
# First names that are also everyday words: never replaced on their own ("Will someone come?",
# "Grace period"), only as part of a whole name.
_WORD_NAMES = set(
    """will may mark bill grace hope rose june april august pat rich frank ray dawn faith joy
    chase drew summer sunny penny max jack page wade miles art rob sue sky earl dean king
    hunter ivy holly ruby amber lily daisy iris violet royal sterling bud buck skip don ken
    dale glen lane cliff gene herb guy neil carol""".split()
)


def _is_name(candidate: str, keep: set[str]) -> bool:
    words = candidate.lower().split()
    return bool(words) and not any(w in _NOT_NAMES or w in keep for w in words)


def _alternatives(names: set[str]) -> str:
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


class PiiScrubber:
    """`known_names`: names on file (tenants, imported contacts); `keep`: words that look like
    names but must stay (the persona's and company's names).

    A whole name ("Avery Okafor") is replaced in any case; a single part ("Avery") only as a
    capitalised word, and never when it is also an everyday word ("Will", "Grace")."""

    def __init__(self, known_names: Iterable[str] = (), keep: Iterable[str] = ()):
        self.keep = {w.lower() for phrase in keep for w in phrase.split()}
        self.known_whole, self.known_parts = self._split_names(known_names)

    def _split_names(self, names: Iterable[str]) -> tuple[set[str], set[str]]:
        wholes: set[str] = set()
        parts: set[str] = set()
        for name in names:
            words = [w for w in re.findall(r"[A-Za-z][A-Za-z'-]+", name) if len(w) >= 3]
            kept = [w for w in words if w.lower() not in self.keep and w.lower() not in _NOT_NAMES]
            if len(kept) > 1:
                wholes.add(" ".join(kept))
            parts.update(w[:1].upper() + w[1:] for w in kept if w.lower() not in _WORD_NAMES)
        return wholes, parts

    def names_in(self, texts: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for text in texts:
            for pattern in (_INTRODUCTION, _GREETING, _VOCATIVE, _TITLE):
                for match in pattern.finditer(text):
                    candidate = match.group(1)
                    if _is_name(candidate, self.keep):
                        found.add(candidate)
        return found

    def scrub_all(self, texts: list[str], extra_names: Iterable[str] = ()) -> list[str]:
        """Scrub texts of one conversation together: a name seen in one is removed from all."""
        wholes, parts = self._split_names([*self.names_in(texts), *extra_names])
        wholes |= self.known_whole
        parts |= self.known_parts
        patterns = []
        title = r"(?:(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+)?"
        if wholes:
            patterns.append(
                re.compile(rf"(?<![\w']){title}(?:{_alternatives(wholes)})(?![\w'])", re.IGNORECASE)
            )
        if parts:
            patterns.append(re.compile(rf"(?<![\w']){title}(?:{_alternatives(parts)})(?![\w'])"))
        return [self._scrub_one(text, patterns) for text in texts]

    def scrub(self, text: str) -> str:
        return self.scrub_all([text])[0]

    @staticmethod
    def _scrub_one(text: str, names: list[re.Pattern[str]]) -> str:
        text = _EMAIL.sub(EMAIL, text)
        text = _PHONE.sub(PHONE, text)
        text = _ADDRESS.sub(ADDRESS, text)
        text = _UNIT.sub(UNIT, text)
        for pattern in names:
            text = pattern.sub(NAME, text)
        return re.sub(r"\[NAME\](?:\s+\[NAME\])+", NAME, text)


def has_placeholder(text: str) -> bool:
    return any(placeholder in text for placeholder in PLACEHOLDERS)
