"""Which logged calls to replay: `yesterday`, `today`, `last:N`, `since:DATE`, `DATE`,
`DATE..DATE`, `all`, or call ids separated by commas. Dates are UTC days (YYYY-MM-DD)."""

from __future__ import annotations

import re
from typing import Any

import pendulum
from pydantic import BaseModel

from training.logged_calls import NOT_CALLS

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class CallSelection(BaseModel):
    text: str
    where: str
    params: list[Any]
    limit: int | None = None


def _day(text: str) -> pendulum.DateTime:
    if not _DATE.match(text):
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)")
    return pendulum.parse(text, tz="UTC")  # type: ignore[return-value]


def _between(start: pendulum.DateTime, end: pendulum.DateTime) -> tuple[str, list[Any]]:
    return "c.started_at >= ? AND c.started_at < ?", [
        start.to_iso8601_string(),
        end.to_iso8601_string(),
    ]


def parse_selection(text: str) -> CallSelection:
    """Raises ValueError with what was wrong."""
    value = text.strip()
    today = pendulum.today("UTC")
    limit = None
    params: list[Any]
    if not value:
        raise ValueError("empty call selection")
    if value == "all":
        where, params = "1 = 1", []
    elif value == "today":
        where, params = _between(today, today.add(days=1))
    elif value == "yesterday":
        where, params = _between(today.subtract(days=1), today)
    elif value.startswith("last:"):
        try:
            limit = int(value.removeprefix("last:"))
        except ValueError:
            raise ValueError("last:N needs a number of calls") from None
        if limit <= 0:
            raise ValueError("last:N needs a positive number")
        where, params = "1 = 1", []
    elif value.startswith("since:"):
        where, params = (
            "c.started_at >= ?",
            [_day(value.removeprefix("since:")).to_iso8601_string()],
        )
    elif ".." in value:
        first, _, last = value.partition("..")
        where, params = _between(_day(first), _day(last).add(days=1))
    elif _DATE.match(value):
        day = _day(value)
        where, params = _between(day, day.add(days=1))
    else:
        ids = [part.strip() for part in value.split(",") if part.strip()]
        where, params = f"c.id IN ({','.join('?' * len(ids))})", ids
    marks = ",".join("?" * len(NOT_CALLS))
    return CallSelection(
        text=value,
        where=f"({where}) AND c.channel NOT IN ({marks})",
        params=[*params, *NOT_CALLS],
        limit=limit,
    )
