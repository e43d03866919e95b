"""The trend of a summed measure (PHQ-9, GAD-7) on the patient page: a small server-side SVG, totals in,
SafeString out. The bands' lower edges are drawn as labelled lines, from the instrument's own bands
(screening/engine/measures.py), never typed here; every label is at least 11 px; the table beside the chart
has every value, so the chart names only the latest total."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from screening.engine.measures import INSTRUMENTS

WIDTH, HEIGHT = 520, 170
LEFT, RIGHT, TOP, BOTTOM = 34, 156, 14, 26
FONT = 11
INK, MUTED, GRID, LINE = "#212529", "#495057", "#ced4da", "#1e3a8a"


def trend_svg(instrument: str, points: Sequence[tuple[date, int]]) -> SafeString:
    """`points`: (day, total) in time order. Empty: an empty string."""
    measure = INSTRUMENTS[instrument]
    if not points or not measure.summed:
        return SafeString("")
    top = measure.max_total
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y(total: float) -> float:
        return round(TOP + plot_h * (1 - total / top), 1)

    step = plot_w / max(len(points) - 1, 1)
    xs = [round(LEFT + (i * step if len(points) > 1 else plot_w / 2), 1) for i in range(len(points))]
    bands = format_html_join(
        "",
        '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-dasharray="4 3"/>'
        '<text x="{}" y="{}" font-size="{}" fill="{}">{} ≥ {}</text>',
        (
            (
                LEFT,
                WIDTH - RIGHT,
                y(band.low),
                y(band.low),
                GRID,
                WIDTH - RIGHT + 6,
                y(band.low) + 4,
                FONT,
                MUTED,
                band.label,
                band.low,
            )
            for band in measure.bands[1:]
        ),
    )
    path = " ".join(f"{x},{y(total)}" for x, (_, total) in zip(xs, points, strict=True))
    dots = format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="3.5" fill="{}"/>',
        ((x, y(total), LINE) for x, (_, total) in zip(xs, points, strict=True)),
    )
    # a date under the first and the last point (and every point when there are few)
    shown = range(len(points)) if len(points) <= 4 else (0, len(points) - 1)
    days = format_html_join(
        "",
        '<text x="{}" y="{}" font-size="{}" fill="{}" text-anchor="middle">{}</text>',
        ((xs[i], HEIGHT - 8, FONT, MUTED, points[i][0].isoformat()) for i in shown),
    )
    last_total = points[-1][1]
    described = ", ".join(f"{total} on {day.isoformat()}" for day, total in points)
    return format_html(
        '<svg class="measure-chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        'aria-label="{name} totals over time: {described}" data-testid="trend-{key}">'
        '<line x1="{left}" x2="{left}" y1="{top}" y2="{bottom}" stroke="{grid}"/>'
        '<text x="{tx}" y="{ty0}" font-size="{font}" fill="{muted}" text-anchor="end">0</text>'
        '<text x="{tx}" y="{tytop}" font-size="{font}" fill="{muted}" text-anchor="end">{max}</text>'
        "{bands}"
        '<polyline points="{path}" fill="none" stroke="{line}" stroke-width="2"/>{dots}{days}'
        '<text x="{lx}" y="{ly}" font-size="12" font-weight="bold" fill="{ink}" text-anchor="middle">{last}</text>'
        "</svg>",
        w=WIDTH, h=HEIGHT, name=measure.name, described=described, key=instrument,
        left=LEFT, top=TOP, bottom=HEIGHT - BOTTOM, grid=GRID, tx=LEFT - 6, ty0=y(0) + 4, tytop=y(top) + 4,
        font=FONT, muted=MUTED, max=top, bands=bands, path=path, line=LINE, dots=dots, days=days,
        lx=xs[-1], ly=max(y(last_total) - 8, FONT), ink=INK, last=last_total,
    )  # fmt: skip


RISK_LEVELS = ("none", "low", "moderate", "high")  # the C-SSRS screener's levels (measures._cssrs_level)
RISK_LEFT = 70
HIGH = "#b02a37"


def risk_svg(points: Sequence[tuple[date, str]]) -> SafeString:
    """The C-SSRS screener over time: it has no total, so each administration is placed on its risk level
    (none, low, moderate, high), one labelled lane per level; a high level is drawn as a larger, red
    square, so it stands out in grayscale too. `points`: (day, level) in time order."""
    if not points:
        return SafeString("")
    plot_w, plot_h = WIDTH - RISK_LEFT - 40, HEIGHT - TOP - BOTTOM

    def y(level: str) -> float:
        return round(TOP + plot_h * (1 - RISK_LEVELS.index(level) / (len(RISK_LEVELS) - 1)), 1)

    step = plot_w / max(len(points) - 1, 1)
    xs = [round(RISK_LEFT + (i * step if len(points) > 1 else plot_w / 2), 1) for i in range(len(points))]
    lanes = format_html_join(
        "",
        '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-dasharray="4 3"/>'
        '<text x="{}" y="{}" font-size="{}" fill="{}" text-anchor="end">{}</text>',
        (
            (RISK_LEFT, WIDTH - 40, y(lv), y(lv), GRID, RISK_LEFT - 8, y(lv) + 4, FONT, MUTED, lv)
            for lv in RISK_LEVELS
        ),
    )
    path = " ".join(f"{x},{y(level)}" for x, (_, level) in zip(xs, points, strict=True))
    marks = format_html_join(
        "",
        "{}",
        (
            (
                format_html(
                    '<rect x="{}" y="{}" width="9" height="9" fill="{}"/>', x - 4.5, y(level) - 4.5, HIGH
                )
                if level == "high"
                else format_html('<circle cx="{}" cy="{}" r="3.5" fill="{}"/>', x, y(level), LINE),
            )
            for x, (_, level) in zip(xs, points, strict=True)
        ),
    )
    shown = range(len(points)) if len(points) <= 4 else (0, len(points) - 1)
    days = format_html_join(
        "",
        '<text x="{}" y="{}" font-size="{}" fill="{}" text-anchor="middle">{}</text>',
        ((xs[i], HEIGHT - 8, FONT, MUTED, points[i][0].isoformat()) for i in shown),
    )
    described = ", ".join(f"{level} on {day.isoformat()}" for day, level in points)
    return format_html(
        '<svg class="measure-chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        'aria-label="C-SSRS screener risk level over time: {described}" data-testid="trend-cssrs_screener">'
        '{lanes}<polyline points="{path}" fill="none" stroke="{line}" stroke-width="1.5"/>{marks}{days}</svg>',
        w=WIDTH, h=HEIGHT, described=described, lanes=lanes, path=path, line=LINE, marks=marks, days=days,
    )  # fmt: skip
