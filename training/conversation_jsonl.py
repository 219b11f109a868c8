"""Conversations as JSON Lines: one conversation per line, the `core.corpus.Conversation` shape."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, ValidationError

from core.corpus import Conversation


class RowError(BaseModel):
    line: int
    message: str


def write_jsonl(conversations: Iterable[Conversation], path: Path) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for conversation in conversations:
            handle.write(conversation.model_dump_json() + "\n")
            count += 1
    return count


def read_jsonl(path: Path) -> tuple[list[Conversation], list[RowError]]:
    """Every valid line, and a report of each bad one (its line number and why)."""
    conversations: list[Conversation] = []
    errors: list[RowError] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                conversations.append(Conversation.model_validate_json(line))
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"]) or "line"
                errors.append(RowError(line=number, message=f"{where}: {first['msg']}"))
    return conversations, errors
