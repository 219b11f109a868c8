"""Stats and benchmarks as JSON and CSV: per model and version, over a time window and channel."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

from aiohttp import web
from pydantic import BaseModel

from admin.http import reject
from admin.metrics import STAT_COLUMNS, ModelStats, SeriesPoint
from admin.state import admin_database
from admin.stats_queries import model_figures
from core.clock import utc_now_iso
from core.store.database import Database

WINDOWS: dict[str, float | None] = {"24h": 24, "7d": 168, "30d": 720, "all": None}
DEFAULT_WINDOW = "7d"


class StatsQuery(BaseModel):
    window: str = DEFAULT_WINDOW
    channel: str | None = None
    models: list[str] = []

    @property
    def window_hours(self) -> float | None:
        return WINDOWS[self.window]

    def query_string(self) -> str:
        params: list[tuple[str, str]] = [("window", self.window)]
        if self.channel:
            params.append(("channel", self.channel))
        params.extend(("model", name) for name in self.models)
        return urlencode(params)


def parse_query(request: web.Request) -> StatsQuery | web.Response:
    window = request.query.get("window", DEFAULT_WINDOW)
    if window not in WINDOWS:
        return reject(request, 400, "invalid_window", f"window is one of {', '.join(WINDOWS)}")
    channel = request.query.get("channel") or None
    models = [m for m in request.query.getall("model", []) if m]
    return StatsQuery(window=window, channel=channel, models=models)


class StatsReport(BaseModel):
    stats: list[ModelStats]
    series: dict[str, list[SeriesPoint]]


async def stats_report(
    database: Database, query: StatsQuery, *, with_series: bool = True
) -> StatsReport:
    stats, series = await model_figures(
        database,
        window_hours=query.window_hours,
        channel=query.channel,
        models=query.models,
        with_series=with_series,
    )
    return StatsReport(stats=stats, series=series)


async def channels(database: Database) -> list[str]:
    rows = await database.fetch_all("SELECT DISTINCT channel FROM turns ORDER BY channel")
    return [row["channel"] for row in rows]


async def stats_json(request: web.Request) -> web.Response:
    query = parse_query(request)
    if isinstance(query, web.Response):
        return query
    report = await stats_report(admin_database(request), query)
    return web.json_response(
        {
            "window": query.window,
            "channel": query.channel,
            "models": [s.model_dump() for s in report.stats],
            "series": {
                label: [p.model_dump() for p in points] for label, points in report.series.items()
            },
        }
    )


BenchmarkResult = tuple[StatsQuery, list[ModelStats]]


async def benchmark_rows(request: web.Request) -> BenchmarkResult | web.Response:
    query = parse_query(request)
    if isinstance(query, web.Response):
        return query
    database = admin_database(request)
    return query, (await stats_report(database, query, with_series=False)).stats


async def benchmarks_json(request: web.Request) -> web.Response:
    result = await benchmark_rows(request)
    if isinstance(result, web.Response):
        return result
    query, stats = result
    return web.json_response(
        {
            "generated_at": utc_now_iso(),
            "window": query.window,
            "channel": query.channel,
            "models": [s.model_dump() for s in stats],
        },
        headers={"Content-Disposition": 'attachment; filename="pete-benchmarks.json"'},
    )


def stats_csv(stats: list[ModelStats]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=STAT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in stats:
        writer.writerow({k: "" if v is None else v for k, v in row.model_dump().items()})
    return out.getvalue()


async def benchmarks_csv(request: web.Request) -> web.Response:
    result = await benchmark_rows(request)
    if isinstance(result, web.Response):
        return result
    _query, stats = result
    return web.Response(
        text=stats_csv(stats),
        content_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="pete-benchmarks.csv"'},
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/admin/api/stats", stats_json)
    app.router.add_get("/admin/api/benchmarks.json", benchmarks_json)
    app.router.add_get("/admin/api/benchmarks.csv", benchmarks_csv)
