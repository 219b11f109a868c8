"""Per-model figures as the stats and benchmark pages show them, assembled from SQL results.

tokens/s is the decode rate: tokens after the first, over the time from the first token to the
end of the reply (total - time to first token), so a slow first token doesn't hide a fast model.
Percentiles interpolate linearly between ranks, as `core.stats.percentile` does.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pydantic import BaseModel

STAT_COLUMNS = (
    "model",
    "version",
    "turns",
    "ttft_p50_ms",
    "ttft_p95_ms",
    "total_p50_ms",
    "total_p95_ms",
    "tokens_per_s",
    "scored",
    "pass_rate",
    "mean_jamie_score",
    "interruptions",
    "errors",
)
PERCENTILES = (50, 95)

GroupKey = tuple[str, str | None, str]  # model, version, time bucket ("" for the whole window)


class ModelStats(BaseModel):
    model: str
    version: str | None
    turns: int
    ttft_p50_ms: float | None
    ttft_p95_ms: float | None
    total_p50_ms: float | None
    total_p95_ms: float | None
    tokens_per_s: float | None
    scored: int
    pass_rate: float | None
    mean_jamie_score: float | None
    interruptions: int
    errors: int

    @property
    def label(self) -> str:
        return series_label(self.model, self.version)


class SeriesPoint(BaseModel):
    bucket: str
    turns: int
    ttft_p50_ms: float | None
    mean_jamie_score: float | None
    pass_rate: float | None


def series_label(model: str, version: str | None) -> str:
    return f"{model} @ {version}" if version else model


def decode_rate(tokens: int | None, ttft_ms: float | None, total_ms: float | None) -> float | None:
    if not tokens or tokens < 2 or ttft_ms is None or total_ms is None:
        return None
    span_s = (total_ms - ttft_ms) / 1000
    return round((tokens - 1) / span_s, 2) if span_s > 0 else None


def percentile_ranks(count: int, q: int) -> tuple[int, float]:
    """The lower rank (0-based) and the fraction towards the next one; integer arithmetic, as
    the SQL that picks the ranks uses."""
    scaled = (count - 1) * q
    return scaled // 100, (scaled % 100) / 100


def percentiles_by_group(rows: list[dict[str, Any]]) -> dict[GroupKey, dict[int, float]]:
    """Rows of (model, version, bucket, r, n, value) at the ranks around each percentile."""
    ranked: dict[GroupKey, dict[int, float]] = defaultdict(dict)
    counts: dict[GroupKey, int] = {}
    for row in rows:
        key = (row["model"], row["version"], row["bucket"])
        ranked[key][row["r"]] = row["value"]
        counts[key] = row["n"]
    result: dict[GroupKey, dict[int, float]] = {}
    for key, values in ranked.items():
        figures = {}
        for q in PERCENTILES:
            low, fraction = percentile_ranks(counts[key], q)
            lower = values[low]
            upper = values.get(low + 1, lower)
            figures[q] = round(lower + (upper - lower) * fraction, 3)
        result[key] = figures
    return result


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def assemble(
    aggregates: list[dict[str, Any]],
    ttft: dict[GroupKey, dict[int, float]],
    total: dict[GroupKey, dict[int, float]],
) -> dict[GroupKey, ModelStats]:
    stats = {}
    for row in aggregates:
        key = (row["model"], row["version"], row["bucket"])
        scored = row["scored"] or 0
        stats[key] = ModelStats(
            model=row["model"],
            version=row["version"],
            turns=row["turns"],
            ttft_p50_ms=ttft.get(key, {}).get(50),
            ttft_p95_ms=ttft.get(key, {}).get(95),
            total_p50_ms=total.get(key, {}).get(50),
            total_p95_ms=total.get(key, {}).get(95),
            tokens_per_s=round(row["decoded_tokens"] / row["decode_s"], 2)
            if row["decode_s"]
            else None,
            scored=scored,
            pass_rate=round(row["passed"] / scored, 4) if scored else None,
            mean_jamie_score=_rounded(row["mean_jamie_score"], 4),
            interruptions=row["interruptions"] or 0,
            errors=row["errors"] or 0,
        )
    return stats


def by_activity(stats: dict[GroupKey, ModelStats]) -> list[ModelStats]:
    """One line per model and version, busiest first."""
    return sorted(stats.values(), key=lambda s: (-s.turns, s.model, s.version or ""))


def as_series(stats: dict[GroupKey, ModelStats]) -> dict[str, list[SeriesPoint]]:
    """Per model label, its figures per time bucket, oldest first."""
    series: dict[str, list[SeriesPoint]] = defaultdict(list)
    for (model, version, bucket), s in sorted(stats.items(), key=lambda kv: kv[0][2]):
        series[series_label(model, version)].append(
            SeriesPoint(
                bucket=bucket,
                turns=s.turns,
                ttft_p50_ms=s.ttft_p50_ms,
                mean_jamie_score=s.mean_jamie_score,
                pass_rate=s.pass_rate,
            )
        )
    return dict(sorted(series.items()))


def bucket_width(window_hours: float | None) -> int:
    """Characters of an ISO timestamp that name a bucket: hours for two days or less, else days."""
    return 13 if window_hours is not None and window_hours <= 48 else 10
