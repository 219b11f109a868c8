"""The project's one category list (config/categories.toml) and a whole-phrase classifier."""

from __future__ import annotations

import tomllib
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, Field

from core.text_match import PhraseMatcher


class Category(BaseModel):
    name: str
    display_name: str
    phrases: list[str]
    emergency: bool = False

    @cached_property
    def matcher(self) -> PhraseMatcher:
        return PhraseMatcher(self.phrases)


class CategoryMatch(BaseModel):
    category: str
    hits: list[str] = Field(default_factory=list)


class Categories:
    FALLBACK = "general_question"

    def __init__(self, categories: list[Category]):
        self.by_name = {c.name: c for c in categories}

    @classmethod
    def load(cls, path: Path) -> Categories:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)["categories"]
        return cls([Category(name=name, **values) for name, values in raw.items()])

    @property
    def names(self) -> list[str]:
        return list(self.by_name)

    def is_emergency(self, name: str) -> bool:
        category = self.by_name.get(name)
        return bool(category and category.emergency)

    def classify(self, text: str) -> CategoryMatch:
        """Emergencies first (any hit wins), then the category with the most phrase hits."""
        best: CategoryMatch | None = None
        for category in sorted(self.by_name.values(), key=lambda c: not c.emergency):
            hits = category.matcher.find(text)
            if not hits:
                continue
            if category.emergency:
                return CategoryMatch(category=category.name, hits=hits)
            if best is None or len(hits) > len(best.hits):
                best = CategoryMatch(category=category.name, hits=hits)
        return best or CategoryMatch(category=self.FALLBACK)
