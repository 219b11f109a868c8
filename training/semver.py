"""Semantic versions compared as numbers: v0.10.0 comes after v0.9.1 (as strings it would not)."""

from __future__ import annotations

import re
from functools import total_ordering
from typing import Literal

Bump = Literal["first", "patch", "minor", "major"]

_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)$")
FIRST_VERSION = (0, 1, 0)


@total_ordering
class SemVer:
    __slots__ = ("major", "minor", "patch")

    def __init__(self, major: int, minor: int, patch: int):
        if min(major, minor, patch) < 0:
            raise ValueError("version numbers cannot be negative")
        self.major, self.minor, self.patch = major, minor, patch

    @classmethod
    def parse(cls, text: str) -> SemVer:
        match = _VERSION.match(text.strip())
        if match is None:
            raise ValueError(f"{text!r} is not a version like v1.2.3")
        return cls(*(int(part) for part in match.groups()))

    @staticmethod
    def looks_like(text: str) -> bool:
        return _VERSION.match(text.strip()) is not None

    def key(self) -> tuple[int, int, int]:
        return (self.major, self.minor, self.patch)

    def bumped(self, bump: Bump) -> SemVer:
        if bump == "major":
            return SemVer(self.major + 1, 0, 0)
        if bump == "minor":
            return SemVer(self.major, self.minor + 1, 0)
        if bump == "patch":
            return SemVer(self.major, self.minor, self.patch + 1)
        raise ValueError(f"cannot bump a version by {bump!r}")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SemVer) and self.key() == other.key()

    def __lt__(self, other: SemVer) -> bool:
        return self.key() < other.key()

    def __hash__(self) -> int:
        return hash(self.key())

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    def __repr__(self) -> str:
        return f"SemVer({self})"

    @property
    def label(self) -> str:
        return f"v{self}"


def next_version(latest: SemVer | None, bump: Bump) -> SemVer:
    if latest is None:
        return SemVer(*FIRST_VERSION) if bump != "major" else SemVer(1, 0, 0)
    return latest.bumped(bump)
