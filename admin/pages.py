"""The HTML pages: playground, dashboard, a call's transcript, settings, stats, benchmarks.

Pages are rendered with the data they show; their scripts then keep them current through the
JSON API (live calls, model lists, streamed replies, settings saves).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from admin.calls import call_transcript, live_calls, recent_calls
from admin.calls_api import model_choices
from admin.charts import bar_chart, line_chart
from admin.metrics import ModelStats, SeriesPoint
from admin.settings_api import settings_view
from admin.settings_audit import recent_changes
from admin.state import admin_database, admin_state
from admin.stats_api import WINDOWS, channels, parse_query, stats_report
from admin.templating import render
from voice.services import services


async def playground(request: web.Request) -> web.Response:
    svc = services(request)
    return render(
        request,
        "ui.html",
        title="Playground",
        personas=admin_state(request).personas,
        choices=model_choices(svc, visible_only=True),
    )


async def dashboard(request: web.Request) -> web.Response:
    svc = services(request)
    return render(
        request,
        "dashboard.html",
        title="Dashboard",
        choices=model_choices(svc, visible_only=False),
        live=await live_calls(admin_database(request)),
        recent=await recent_calls(admin_database(request), limit=30),
    )


async def call_page(request: web.Request) -> web.Response:
    found = await call_transcript(admin_database(request), request.match_info["call_id"])
    if found is None:
        return render(request, "not_found.html", status=404, title="Call not found")
    return render(request, "call.html", title=f"Call {found['call']['id']}", **found)


async def settings_page(request: web.Request) -> web.Response:
    svc = services(request)
    return render(
        request,
        "settings.html",
        title="Model settings",
        view=await settings_view(svc),
        audit=await recent_changes(admin_database(request), 50),
    )


def _series(
    series: dict[str, list[SeriesPoint]], field: str, scale: float = 1.0
) -> dict[str, list[tuple[str, float | None]]]:
    out: dict[str, list[tuple[str, float | None]]] = {}
    for label, points in series.items():
        values = []
        for point in points:
            value = getattr(point, field)
            values.append((point.bucket, None if value is None else value * scale))
        out[label] = values
    return out


async def stats_page(request: web.Request) -> web.Response:
    query = parse_query(request)
    if isinstance(query, web.Response):
        return query
    database = admin_database(request)
    report = await stats_report(database, query)
    series = report.series
    charts = [
        line_chart(
            "Time to first token, p50",
            _series(series, "ttft_p50_ms"),
            unit="ms",
            chart_id="chart-ttft",
        ),
        line_chart("Turns", _series(series, "turns"), chart_id="chart-turns"),
        line_chart("Mean Jamie score", _series(series, "mean_jamie_score"), chart_id="chart-score"),
        line_chart(
            "Check pass rate", _series(series, "pass_rate", 100), unit="%", chart_id="chart-pass"
        ),
    ]
    return render(
        request,
        "stats.html",
        title="Stats",
        query=query,
        windows=list(WINDOWS),
        channels=await channels(database),
        stats=report.stats,
        charts=charts,
    )


_BENCH_METRICS: tuple[tuple[str, str, str, float], ...] = (
    ("ttft_p50_ms", "Time to first token, p50", "ms", 1),
    ("ttft_p95_ms", "Time to first token, p95", "ms", 1),
    ("total_p50_ms", "Whole reply, p50", "ms", 1),
    ("tokens_per_s", "Tokens per second", "tok/s", 1),
    ("pass_rate", "Check pass rate", "%", 100),
    ("mean_jamie_score", "Mean Jamie score", "", 1),
)


def _metric(stat: ModelStats, field: str, scale: float) -> float | None:
    value: Any = getattr(stat, field)
    return None if value is None else value * scale


async def benchmarks_page(request: web.Request) -> web.Response:
    query = parse_query(request)
    if isinstance(query, web.Response):
        return query
    svc = services(request)
    everything = (
        await stats_report(
            admin_database(request), query.model_copy(update={"models": []}), with_series=False
        )
    ).stats
    names = sorted({*svc.model_settings.current.models, *(s.model for s in everything)})
    selected = set(query.models) if query.models else {s.model for s in everything}
    stats = [s for s in everything if s.model in selected]
    charts = [
        bar_chart(
            title,
            [(s.label, _metric(s, field, scale)) for s in stats],
            unit=unit,
            chart_id=f"bench-{field}",
        )
        for field, title, unit, scale in _BENCH_METRICS
    ]
    return render(
        request,
        "benchmarks.html",
        title="Benchmarks",
        query=query,
        windows=list(WINDOWS),
        channels=await channels(admin_database(request)),
        names=names,
        selected=selected,
        stats=stats,
        metrics=_BENCH_METRICS,
        charts=charts,
        export_query=query.model_copy(update={"models": sorted(selected)}).query_string(),
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/ui", playground)
    app.router.add_get("/admin", dashboard)
    app.router.add_get("/admin/calls/{call_id}", call_page)
    app.router.add_get("/admin/settings", settings_page)
    app.router.add_get("/admin/stats", stats_page)
    app.router.add_get("/admin/benchmarks", benchmarks_page)
