"""The project's one category list (config/categories.toml) and a whole-phrase classifier.

Emergency categories are named `emergency_<case>` after the cases of the emergency classifier
(config/safety/emergencies.toml), which decides them with its own reviewed phrase lists.
"""

from __future__ import annotations

import tomllib
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, Field

from core.safety.emergencies import EmergencyClassifier
from core.text_match import PhraseMatcher

EMERGENCY_PREFIX = "emergency_"


class Category(BaseModel):
    name: str
    display_name: str
    phrases: list[str] = Field(default_factory=list)
    emergency: bool = False

    @cached_property
    def matcher(self) -> PhraseMatcher:
        return PhraseMatcher(self.phrases)


class CategoryMatch(BaseModel):
    category: str
    hits: list[str] = Field(default_factory=list)


class Categories:
    FALLBACK = "general_question"

    def __init__(self, categories: list[Category], emergencies: EmergencyClassifier):
        self.by_name = {c.name: c for c in categories}
        self.emergencies = emergencies
        missing = {f"{EMERGENCY_PREFIX}{case.id}" for case in emergencies.config.cases}
        missing -= set(self.by_name)
        if missing:
            raise ValueError(f"categories.toml lacks the emergency categories {sorted(missing)}")

    @classmethod
    def load(cls, config_dir: Path) -> Categories:
        with (config_dir / "categories.toml").open("rb") as handle:
            raw = tomllib.load(handle)["categories"]
        emergencies = EmergencyClassifier.from_file(config_dir / "safety" / "emergencies.toml")
        return cls([Category(name=name, **values) for name, values in raw.items()], emergencies)

    @property
    def names(self) -> list[str]:
        return list(self.by_name)

    def is_emergency(self, name: str) -> bool:
        category = self.by_name.get(name)
        return bool(category and category.emergency)

    def classify(self, text: str) -> CategoryMatch:
        """An emergency if the emergency classifier says so, else the most phrase hits."""
        emergency = self.emergencies.classify(text)
        if emergency is not None:
            return CategoryMatch(
                category=f"{EMERGENCY_PREFIX}{emergency.kind}", hits=emergency.matched
            )
        best: CategoryMatch | None = None
        for category in self.by_name.values():
            hits = category.matcher.find(text)
            if hits and (best is None or len(hits) > len(best.hits)):
                best = CategoryMatch(category=category.name, hits=hits)
        return best or CategoryMatch(category=self.FALLBACK)
