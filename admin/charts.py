"""Charts drawn on the server as inline SVG: no chart library, no script, works offline.

Each chart is an `<svg role="img">` with a title and a description a screen reader reads, and
every point or bar carries a `<title>` with its exact value (shown on hover).
"""

from __future__ import annotations

import math
from html import escape

from markupsafe import Markup

PALETTE = ("#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0a7b83", "#57606a")

_WIDTH, _HEIGHT = 640, 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 60, 16, 44, 40


def _nice_ceiling(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _format(value: float, unit: str) -> str:
    text = f"{value:.0f}" if abs(value) >= 100 else f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{text} {unit}".strip()


def _empty(title: str, chart_id: str) -> Markup:
    return Markup(
        f'<svg class="chart" role="img" aria-labelledby="{chart_id}-t" viewBox="0 0 {_WIDTH} 80">'
        f'<title id="{chart_id}-t">{escape(title)}: no data yet</title>'
        f'<text x="12" y="44" class="chart-empty">{escape(title)}: no data yet</text></svg>'
    )


def line_chart(
    title: str,
    series: dict[str, list[tuple[str, float | None]]],
    *,
    unit: str = "",
    chart_id: str = "chart",
) -> Markup:
    """One line per series over shared x buckets; a missing value breaks the line."""
    buckets = sorted({bucket for points in series.values() for bucket, _ in points})
    values = [v for points in series.values() for _, v in points if v is not None]
    if not buckets or not values:
        return _empty(title, chart_id)
    top = _nice_ceiling(max(values))
    plot_w, plot_h = _WIDTH - _LEFT - _RIGHT, _HEIGHT - _TOP - _BOTTOM
    step = plot_w / max(len(buckets) - 1, 1)

    def x(bucket: str) -> float:
        return _LEFT + buckets.index(bucket) * step if len(buckets) > 1 else _LEFT + plot_w / 2

    def y(value: float) -> float:
        return _TOP + plot_h - value / top * plot_h

    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {_WIDTH} {_HEIGHT}" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(_describe(series, unit))}</desc>',
        f'<text x="{_LEFT}" y="16" class="chart-title">{escape(title)}</text>',
    ]
    for fraction in (0, 0.5, 1):
        gy = y(top * fraction)
        parts.append(
            f'<line x1="{_LEFT}" x2="{_WIDTH - _RIGHT}" y1="{gy:.1f}" y2="{gy:.1f}" '
            f'class="chart-grid"/><text x="{_LEFT - 6}" y="{gy + 4:.1f}" text-anchor="end" '
            f'class="chart-axis">{escape(_format(top * fraction, unit))}</text>'
        )
    shown = {buckets[0], buckets[len(buckets) // 2], buckets[-1]}
    for bucket in buckets:
        if bucket in shown:
            parts.append(
                f'<text x="{x(bucket):.1f}" y="{_HEIGHT - 14}" text-anchor="middle" '
                f'class="chart-axis">{escape(bucket.replace("T", " "))}</text>'
            )
    legend_x = _LEFT
    for index, (label, points) in enumerate(series.items()):
        color = PALETTE[index % len(PALETTE)]
        parts.append(
            f'<rect x="{legend_x}" y="24" width="10" height="10" fill="{color}"/>'
            f'<text x="{legend_x + 14}" y="33" class="chart-legend">{escape(label)}</text>'
        )
        legend_x += 24 + 7 * len(label)
        run: list[str] = []
        for bucket, value in [*points, ("", None)]:
            if value is None:
                if len(run) > 1:
                    parts.append(
                        f'<polyline fill="none" stroke="{color}" stroke-width="2" '
                        f'points="{" ".join(run)}"/>'
                    )
                run = []
                continue
            px, py = x(bucket), y(value)
            run.append(f"{px:.1f},{py:.1f}")
            parts.append(
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{color}"><title>'
                f"{escape(label)}, {escape(bucket)}: {escape(_format(value, unit))}"
                "</title></circle>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def _describe(series: dict[str, list[tuple[str, float | None]]], unit: str) -> str:
    lines = []
    for label, points in series.items():
        known = [v for _, v in points if v is not None]
        if known:
            lines.append(
                f"{label}: {len(known)} points, latest {_format(known[-1], unit)}, "
                f"highest {_format(max(known), unit)}"
            )
    return "; ".join(lines)


def bar_chart(
    title: str, bars: list[tuple[str, float | None]], *, unit: str = "", chart_id: str = "bars"
) -> Markup:
    """Horizontal bars, one per label (long model names fit on the left)."""
    values = [v for _, v in bars if v is not None]
    if not values:
        return _empty(title, chart_id)
    top = _nice_ceiling(max(values))
    label_w, row_h = 220, 26
    height = 30 + row_h * len(bars) + 8
    plot_w = _WIDTH - label_w - 90
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {_WIDTH} {height}" '
        f'aria-labelledby="{chart_id}-t">',
        f'<title id="{chart_id}-t">{escape(title)}: '
        + escape(", ".join(f"{lbl} {_na(v, unit)}" for lbl, v in bars))
        + "</title>",
        f'<text x="0" y="16" class="chart-title">{escape(title)}</text>',
    ]
    for index, (label, value) in enumerate(bars):
        top_y = 30 + index * row_h
        color = PALETTE[index % len(PALETTE)]
        short = label if len(label) <= 30 else label[:29] + "…"
        parts.append(
            f'<text x="{label_w - 8}" y="{top_y + 16}" text-anchor="end" '
            f'class="chart-legend">{escape(short)}</text>'
        )
        width = 0.0 if value is None else value / top * plot_w
        parts.append(
            f'<rect x="{label_w}" y="{top_y + 4}" width="{width:.1f}" height="{row_h - 8}" '
            f'fill="{color}"><title>{escape(label)}: {escape(_na(value, unit))}</title></rect>'
            f'<text x="{label_w + width + 6:.1f}" y="{top_y + 16}" class="chart-axis">'
            f"{escape(_na(value, unit))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _na(value: float | None, unit: str) -> str:
    return "n/a" if value is None else _format(value, unit)
