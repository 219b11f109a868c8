"""The stats as SQL: SQLite groups, counts and ranks the turns (on the database's own thread,
in C), so only a few rows per model reach Python and the event loop is never busy with them.
"""

from __future__ import annotations

from typing import Any

import pendulum

from admin.metrics import (
    ModelStats,
    SeriesPoint,
    as_series,
    assemble,
    bucket_width,
    by_activity,
    percentiles_by_group,
)
from core.store.database import Database

_DECODED = "t.error IS NULL AND t.ttft_ms IS NOT NULL AND t.tokens >= 2 AND t.total_ms > t.ttft_ms"

_AGGREGATES = f"""
SELECT t.model AS model, t.model_version AS version, substr(t.started_at, 1, ?) AS bucket,
       COUNT(*) AS turns,
       SUM(t.interrupted) AS interruptions,
       SUM(t.error IS NOT NULL) AS errors,
       SUM(CASE WHEN {_DECODED} THEN t.tokens - 1 END) AS decoded_tokens,
       SUM(CASE WHEN {_DECODED} THEN (t.total_ms - t.ttft_ms) / 1000.0 END) AS decode_s,
       COUNT(s.jamie_score) AS scored,
       SUM(CASE WHEN s.jamie_score IS NOT NULL THEN s.passed END) AS passed,
       AVG(s.jamie_score) AS mean_jamie_score
FROM turns t LEFT JOIN turn_scores s ON s.turn_uid = t.uid
WHERE {{where}}
GROUP BY t.model, t.model_version, bucket
"""

# Only the rows at the ranks each percentile interpolates between (p50 and p95).
_PERCENTILE_ROWS = """
WITH ranked AS (
    SELECT t.model AS model, t.model_version AS version, substr(t.started_at, 1, ?) AS bucket,
           {column} AS value,
           ROW_NUMBER() OVER (
               PARTITION BY t.model, t.model_version, substr(t.started_at, 1, ?)
               ORDER BY {column}
           ) - 1 AS r,
           COUNT(*) OVER (
               PARTITION BY t.model, t.model_version, substr(t.started_at, 1, ?)
           ) AS n
    FROM turns t
    WHERE {where} AND {present}
)
SELECT model, version, bucket, r, n, value FROM ranked
WHERE r IN ((n - 1) * 50 / 100, (n - 1) * 50 / 100 + 1, (n - 1) * 95 / 100, (n - 1) * 95 / 100 + 1)
"""


def _filter(since: str | None, channel: str | None, models: list[str]) -> tuple[str, list[Any]]:
    clauses, params = ["1 = 1"], []
    if since is not None:
        clauses.append("t.started_at >= ?")
        params.append(since)
    if channel is not None:
        clauses.append("t.channel = ?")
        params.append(channel)
    if models:
        clauses.append(f"t.model IN ({', '.join('?' for _ in models)})")
        params.extend(models)
    return " AND ".join(clauses), params


async def _grouped(
    database: Database, width: int, where: str, params: list[Any]
) -> dict[tuple[str, str | None, str], ModelStats]:
    aggregates = await database.fetch_all(_AGGREGATES.format(where=where), (width, *params))
    ranks = []
    for column, present in (
        ("t.ttft_ms", "t.ttft_ms IS NOT NULL"),
        ("t.total_ms", "t.error IS NULL"),
    ):
        sql = _PERCENTILE_ROWS.format(column=column, where=where, present=present)
        ranks.append(
            percentiles_by_group(await database.fetch_all(sql, (width, width, width, *params)))
        )
    return assemble(aggregates, ranks[0], ranks[1])


async def model_figures(
    database: Database,
    *,
    window_hours: float | None,
    channel: str | None = None,
    models: list[str] | None = None,
    with_series: bool = True,
) -> tuple[list[ModelStats], dict[str, list[SeriesPoint]]]:
    """Per model and version over the window, and (optionally) per time bucket."""
    since = None
    if window_hours is not None:
        since = pendulum.now("UTC").subtract(seconds=int(window_hours * 3600)).to_iso8601_string()
    where, params = _filter(since, channel, models or [])
    stats = by_activity(await _grouped(database, 0, where, params))
    series: dict[str, list[SeriesPoint]] = {}
    if with_series:
        series = as_series(await _grouped(database, bucket_width(window_hours), where, params))
    return stats, series
