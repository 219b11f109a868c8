"""The example pairs of a version, chosen deterministically: corrections first, then the best
scored pair of each category in turn (most common categories first), until the limit.

Only pairs whose reply passes every check and fits the limits qualify, and never a reply with
a placeholder in it (the model would learn to say "[NAME]"). Ties are broken by a hash of the
text, so the choice depends on the content alone, never on row order or chance.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

from core.categories import Categories
from core.text_match import normalize_words
from training.config import ExampleConfig
from training.datasets import CORRECTION_KINDS, DatasetItem
from training.pii import has_placeholder


def _tie_break(item: DatasetItem) -> str:
    return hashlib.sha256(f"{item.tenant}\x00{item.jamie}".encode()).hexdigest()


def _rank(item: DatasetItem) -> tuple[float, str]:
    return (-item.quality, _tie_break(item))


def eligible(item: DatasetItem, config: ExampleConfig, categories: Categories) -> bool:
    return (
        item.passed
        and len(item.tenant) <= config.max_tenant_chars
        and len(item.jamie) <= config.max_jamie_chars
        and not has_placeholder(item.jamie)
        and not (config.exclude_emergencies and categories.is_emergency(item.category))
    )


def select_examples(
    items: list[DatasetItem], config: ExampleConfig, categories: Categories
) -> list[DatasetItem]:
    seen: set[str] = set()
    candidates = []
    for item in sorted(items, key=_rank):
        key = " ".join(normalize_words(item.tenant))
        if key in seen or not eligible(item, config, categories):
            continue
        seen.add(key)  # one reply per tenant line: the best scored
        candidates.append(item)
    chosen = [c for c in candidates if c.kind in CORRECTION_KINDS][: config.max_corrections]
    by_category: dict[str, list[DatasetItem]] = defaultdict(list)
    for item in candidates:
        if item.kind not in CORRECTION_KINDS:
            by_category[item.category].append(item)
    order = sorted(by_category, key=lambda name: (-len(by_category[name]), name))
    round_index = 0
    while len(chosen) < config.max_pairs:
        added = False
        for name in order:
            pool = by_category[name]
            if round_index < len(pool) and len(chosen) < config.max_pairs:
                chosen.append(pool[round_index])
                added = True
        if not added:
            break
        round_index += 1
    return chosen[: config.max_pairs]
