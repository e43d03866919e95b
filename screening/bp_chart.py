"""The blood-pressure chart of the report page and the PDF: a server-side SVG, numbers in, SafeString out.

No ORM and no rule logic: the reference lines are the thresholds of the rule set the screening was made
with, read from its rules' predicates (`bp_reference_lines`) and passed in. The chart is drawn at the
width it is shown (1 unit = 1 px: the PDF's stylesheet makes it 140 mm, 529 px, wide), every label at
least 11 px, and a label that would overlap another is left out (the readings table next to the chart
has every value). WeasyPrint spends 1-2 ms on each <text>, so there are few: a date every ~100 px at
most, and only the latest reading's values."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from .engine.ruleset import Rule
from .engine.severity import SEVERITY_RANK

# report-print.css shows it 140 mm wide (a test holds the two together); 180 high keeps a report on two pages
WIDTH, HEIGHT = 528, 180
CLIP_LOW, CLIP_HIGH = 40, 220  # values outside are drawn at the edge; their labels stay true
TICK_STEP = 20
FONT, VALUE_FONT = 11, 12
# A label's estimated size, a little generous for DejaVu Sans (the PDF's font, wider than most).
CHAR_WIDTH, ASCENT, DESCENT = 0.68, 0.85, 0.25
LEFT, TOP, BOTTOM = 46, 28, 24  # margins; the right one is as wide as the reference lines' labels
INK, MUTED, GRID, AXIS = "#212529", "#495057", "#dee2e6", "#6c757d"
BP_KINDS = {"bp_mean_at_least": True, "bp_mean_above": False}  # predicate kind -> inclusive (>=) or >
NO_LINES_NOTE = ("no threshold", "lines")  # in the right margin, where the lines' labels would be
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class ReferenceLine:
    """One blood-pressure threshold of a rule set: the rule fires when the systolic or the diastolic mean
    reaches it (`inclusive`: >=) or exceeds it (>)."""

    systolic: float
    diastolic: float
    inclusive: bool
    severity: str
    rule: str

    @property
    def sign(self) -> str:
        return "≥" if self.inclusive else ">"


@dataclass(frozen=True)
class Series:
    key: str
    legend: str
    colour: str
    dash: str  # stroke-dasharray: with the marker's shape, what tells the series apart in grayscale
    marker: str  # circle | square | triangle
    hollow: bool = False


SERIES = (
    Series("systolic", "Systolic", "#1e3a8a", "none", "circle"),
    Series("diastolic", "Diastolic", "#0f766e", "7 4", "square"),
    Series("heart_rate", "Heart rate (bpm)", "#7e22ce", "2 3", "triangle", hollow=True),
)
SEVERITY_COLOURS = {"contraindicated": "#b02a37", "defer": "#b02a37", "review": "#9a6700"}


def bp_reference_lines(rules: Iterable[Rule]) -> tuple[ReferenceLine, ...]:
    """The blood-pressure thresholds of a compiled rule set's rules, highest first: each enabled rule's
    bp_mean_at_least / bp_mean_above predicate that makes the rule fire (one under a `not` keeps it from
    firing: no threshold of that rule). A threshold in two rules: the more severe one."""
    found: dict[tuple[float, float, bool], ReferenceLine] = {}
    for rule in rules:
        if not rule.enabled:
            continue
        for kind, params in _firing_predicates(rule.predicate, positive=True):
            if kind in BP_KINDS:
                line = ReferenceLine(
                    params["systolic"], params["diastolic"], BP_KINDS[kind], rule.severity, rule.code
                )
                key = (line.systolic, line.diastolic, line.inclusive)
                if key not in found or SEVERITY_RANK[line.severity] < SEVERITY_RANK[found[key].severity]:
                    found[key] = line
    return tuple(sorted(found.values(), key=lambda line: (-line.systolic, -line.diastolic)))


def _firing_predicates(predicate: Any, *, positive: bool) -> Iterable[tuple[str, dict]]:
    if not isinstance(predicate, dict):
        return
    params = predicate.get("params") or {}
    if predicate.get("kind") == "not":
        yield from _firing_predicates(params.get("predicate"), positive=not positive)
        return
    if positive:
        yield predicate.get("kind"), params
    for value in params.values():
        for sub in value if isinstance(value, list) else [value]:
            yield from _firing_predicates(sub, positive=positive)


def bp_chart_svg(
    readings: Sequence[dict[str, Any]],
    reference_lines: Sequence[ReferenceLine] | None = None,
    *,
    id_prefix: str = "bp-chart",
) -> SafeString:
    """The chart of `readings` (dicts with taken_at, an ISO date-time with its offset, systolic, diastolic
    and an optional heart_rate) in the order given. `reference_lines`: the rule set's thresholds; None when
    they are not known (none is drawn then, and the chart says so). Empty for no readings."""
    if not readings:
        return mark_safe("")  # noqa: S308 - constant
    return _Chart(readings, reference_lines, id_prefix).svg()


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _shown(value: float | None) -> str:
    return "?" if value is None else str(int(value)) if value == int(value) else f"{value:.1f}"


def _f(value: float) -> str:
    return f"{value:.1f}"


def _moment(taken_at: str, *, year: bool = False) -> str:
    """When a reading was taken, in local time (the site's time zone), e.g. "1 Dec 14:05"; with the year
    and the zone for the description: "1 Dec 2026 14:05 MST"."""
    moment = timezone.localtime(datetime.fromisoformat(taken_at))
    day = f"{moment.day} {MONTHS[moment.month - 1]}" + (f" {moment.year}" if year else "")
    return f"{day} {moment:%H:%M}" + (f" {moment:%Z}" if year else "")


def _marker_path(shape: str, x: float, y: float) -> str:
    if shape == "circle":
        r = 3.6
        return f"M{_f(x - r)},{_f(y)}a{r},{r} 0 1,0 {2 * r},0a{r},{r} 0 1,0 {-2 * r},0Z"
    if shape == "square":
        h = 3.3
        return f"M{_f(x - h)},{_f(y - h)}h{2 * h}v{2 * h}h{-2 * h}Z"
    h = 4.4
    return f"M{_f(x)},{_f(y - h)}L{_f(x + h)},{_f(y + h * 0.75)}L{_f(x - h)},{_f(y + h * 0.75)}Z"


Box = tuple[float, float, float, float]  # left, top, right, bottom


def _text_box(x: float, y: float, text: str, size: float, anchor: str) -> Box:
    width = CHAR_WIDTH * size * len(text)
    left = x - {"start": 0, "middle": width / 2, "end": width}[anchor]
    return (left, y - ASCENT * size, left + width, y + DESCENT * size)


def _overlaps(a: Box, b: Box, gap: float = 1.0) -> bool:
    return a[0] < b[2] + gap and b[0] < a[2] + gap and a[1] < b[3] + gap and b[1] < a[3] + gap


def _inside(box: Box, area: Box) -> bool:
    return area[0] <= box[0] and area[1] <= box[1] and box[2] <= area[2] and box[3] <= area[3]


class _Chart:
    def __init__(
        self, readings: Sequence[dict[str, Any]], lines: Sequence[ReferenceLine] | None, prefix: str
    ):
        self.readings = list(readings)
        self.lines = None if lines is None else tuple(lines)
        self.prefix = prefix
        self.values = {s.key: [_number(r.get(s.key)) for r in self.readings] for s in SERIES}
        has_rate = any(v is not None for v in self.values["heart_rate"])
        self.series = [s for s in SERIES if s.key != "heart_rate" or has_rate]
        labels = [self._line_label(line, part) for line in self.lines or () for part in (0, 1)]
        right = max(CHAR_WIDTH * FONT * len(text) for text in labels or NO_LINES_NOTE) + 14
        self.plot: Box = (LEFT, TOP, WIDTH - right, HEIGHT - BOTTOM)
        self.low, self.high = self._domain()
        self.parts: list[str] = []
        self.boxes: list[Box] = []  # every label drawn so far
        self.markers: list[Box] = []  # which value labels keep clear of

    def _domain(self) -> tuple[int, int]:
        """The y range: the values and the thresholds, rounded out to ticks, within 40-220."""
        shown = [v for s in self.series for v in self.values[s.key] if v is not None]
        shown += [v for line in self.lines or () for v in (line.systolic, line.diastolic)]
        shown = [min(max(v, CLIP_LOW), CLIP_HIGH) for v in shown] or [CLIP_LOW, CLIP_HIGH]
        low = max(CLIP_LOW, math.floor((min(shown) - 10) / TICK_STEP) * TICK_STEP)
        high = min(CLIP_HIGH, math.ceil((max(shown) + 10) / TICK_STEP) * TICK_STEP)
        while high - low < 4 * TICK_STEP:  # a flat trend is not drawn as a steep one
            high, low = (high + TICK_STEP, low) if high < CLIP_HIGH else (high, low - TICK_STEP)
        return low, high

    def x(self, i: int) -> float:
        (left, _, right, _), n = self.plot, len(self.readings)
        return (left + right) / 2 if n == 1 else left + 8 + (right - left - 16) * i / (n - 1)

    def y(self, value: float) -> float:
        _, top, _, bottom = self.plot
        value = min(max(value, self.low), self.high)
        return bottom - (bottom - top) * (value - self.low) / (self.high - self.low)

    def text(self, x, y, text, *, size=FONT, anchor="start", colour=MUTED, within: Box | None = None) -> bool:
        """Draw a label. With `within`: only if it stays inside and clear of every label and marker."""
        box = _text_box(x, y, text, size, anchor)
        if within is not None and (
            not _inside(box, within) or any(_overlaps(box, other) for other in self.boxes + self.markers)
        ):
            return False
        self.boxes.append(box)
        self.parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="{}" text-anchor="{}" fill="{}">{}</text>',
                _f(x), _f(y), size, anchor, colour, text,
            )
        )  # fmt: skip
        return True

    def svg(self) -> SafeString:
        n, p = len(self.readings), self.prefix
        self.parts.append(
            format_html(
                '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
                'role="img" aria-labelledby="{p}-title {p}-desc" class="bp-chart">'
                '<title id="{p}-title">{title}</title><desc id="{p}-desc">{desc}</desc>',
                w=WIDTH, h=HEIGHT, p=p, title=self._title(), desc=self._description(),
            )
        )  # fmt: skip
        self._axes()
        self._reference_lines()
        points = {s.key: [(i, v) for i, v in enumerate(self.values[s.key]) if v is not None] for s in SERIES}
        for s in reversed(self.series):  # systolic last, on top
            self._series(s, points[s.key])
        self._legend()
        self._dates()
        for s in self.series:
            if points[s.key] and points[s.key][-1][0] == n - 1:
                self._latest_value(s, n - 1, points[s.key][-1][1])
        self.parts.append("</svg>")
        return mark_safe("".join(self.parts))  # noqa: S308 - every piece went through format_html

    def _axes(self) -> None:
        left, top, right, bottom = self.plot
        step = TICK_STEP if (bottom - top) * TICK_STEP / (self.high - self.low) >= 16 else 2 * TICK_STEP
        ticks = [v for v in range(self.low, self.high + 1, TICK_STEP) if v % step == 0]
        grid = "".join(f"M{left},{_f(self.y(v))}H{_f(right)}" for v in ticks)
        self.parts.append(format_html('<path d="{}" stroke="{}" fill="none"/>', grid, GRID))
        axis = f"M{left},{top}V{bottom}H{_f(right)}"
        self.parts.append(format_html('<path d="{}" stroke="{}" fill="none"/>', axis, AXIS))
        self.text(LEFT - 6, 16, "mmHg", anchor="end")
        for value in ticks:
            self.text(
                LEFT - 6, self.y(value) + 4, str(value), anchor="end", within=(0, TOP - 8, left, HEIGHT)
            )

    def _line_label(self, line: ReferenceLine, part: int) -> str:
        name, value = ("sys", line.systolic) if part == 0 else ("dia", line.diastolic)
        return f"{name} {line.sign}{_shown(value)} {line.severity}"

    def _reference_lines(self) -> None:
        """Each threshold's systolic and diastolic line, labelled in the right margin; labels that would
        touch are moved apart, and a short leader joins each label to its line."""
        left, top, right, bottom = self.plot
        wanted = sorted(
            (self.y(value), value, self._line_label(line, part), line)
            for line in self.lines or ()
            for part, value in enumerate((line.systolic, line.diastolic))
            if CLIP_LOW <= value <= CLIP_HIGH
        )
        pitch = FONT * (ASCENT + DESCENT) + 2
        baselines: list[float] = []
        for y, *_ in wanted:  # top down, each at least a pitch below the one above
            baselines.append(max(y + 4, baselines[-1] + pitch) if baselines else y + 4)
        for i in reversed(range(len(baselines))):  # then bottom up, none below the plot
            lowest = bottom + 4 if i == len(baselines) - 1 else baselines[i + 1] - pitch
            baselines[i] = min(baselines[i], lowest)
        margin = (right, top - 6, WIDTH, bottom + 8)
        for (y, value, label, line), baseline in zip(wanted, baselines, strict=True):
            colour = SEVERITY_COLOURS.get(line.severity, MUTED)
            shape = f"M{left},{_f(y)}H{_f(right)}L{_f(right + 4)},{_f(baseline - 4)}"
            self.parts.append(
                format_html(
                    '<path d="{}" stroke="{}" stroke-width="1.3" stroke-dasharray="10 3 2 3" fill="none" '
                    'data-reference="{}"/>',
                    shape, colour, _shown(value),
                )
            )  # fmt: skip
            self.text(right + 6, baseline, label, colour=colour, within=margin)

    def _marker_style(self, s: Series) -> tuple[str, str]:  # fill, stroke
        return ("#fff", s.colour) if s.hollow else (s.colour, "none")

    def _series(self, s: Series, points: list[tuple[int, float]]) -> None:
        if not points:
            return
        coords = [(self.x(i), self.y(v)) for i, v in points]
        fill, stroke = self._marker_style(s)
        self.parts.append(
            format_html(
                '<g data-series="{}"><polyline points="{}" fill="none" stroke="{}" stroke-width="2" '
                'stroke-dasharray="{}"/><path data-marker="{}" d="{}" fill="{}" stroke="{}" '
                'stroke-width="1.5"/></g>',
                s.key, " ".join(f"{_f(x)},{_f(y)}" for x, y in coords), s.colour, s.dash,
                s.marker, "".join(_marker_path(s.marker, x, y) for x, y in coords), fill, stroke,
            )
        )  # fmt: skip
        self.markers += [(x - 5, y - 5, x + 5, y + 5) for x, y in coords]

    def _legend(self) -> None:
        x, baseline = LEFT + 4, 16
        for s in self.series:
            fill, stroke = self._marker_style(s)
            self.parts.append(
                format_html(
                    '<g data-legend="{}"><path d="M{},{}h26" stroke="{}" stroke-width="2" '
                    'stroke-dasharray="{}"/><path data-marker="{}" d="{}" fill="{}" stroke="{}" '
                    'stroke-width="1.5"/></g>',
                    s.key, x, baseline - 4, s.colour, s.dash,
                    s.marker, _marker_path(s.marker, x + 13, baseline - 4), fill, stroke,
                )
            )  # fmt: skip
            self.text(x + 31, baseline, s.legend, size=VALUE_FONT, colour=INK)
            x += 31 + CHAR_WIDTH * VALUE_FONT * len(s.legend) + 16
        if not self.lines:
            for row, words in enumerate(NO_LINES_NOTE):
                self.text(self.plot[2] + 6, TOP + 9 + 14 * row, words)

    def _dates(self) -> None:
        """Dates under the axis: the latest, then every k-th back, so that they stay ~100 px apart."""
        n, bottom = len(self.readings), self.plot[3]
        labels = [_moment(r["taken_at"]) for r in self.readings]
        widest = max(len(label) for label in labels) * CHAR_WIDTH * FONT
        step = 1 if n == 1 else max(1, math.ceil((widest + 10) / (self.x(1) - self.x(0))))
        ticks = []
        for i in range(n - 1, -1, -step):
            half = len(labels[i]) * CHAR_WIDTH * FONT / 2
            centre = min(max(self.x(i), half + 2), WIDTH - half - 2)
            if self.text(centre, bottom + 19, labels[i], anchor="middle", within=(0, bottom, WIDTH, HEIGHT)):
                ticks.append(f"M{_f(self.x(i))},{bottom}v4")
        self.parts.append(format_html('<path d="{}" stroke="{}"/>', "".join(ticks), AXIS))

    def _latest_value(self, s: Series, i: int, value: float) -> None:
        """The latest reading's value by its marker (left of it, above, below...), where it fits."""
        x, y, label = self.x(i), self.y(value), _shown(value)
        places = ((-7, -7, "end"), (-7, 16, "end"), (8, 4, "start"), (0, -9, "middle"), (0, 18, "middle"))
        for dx, dy, anchor in places:
            if self.text(
                x + dx, y + dy, label, size=VALUE_FONT, anchor=anchor, colour=s.colour, within=self.plot
            ):
                left, top, right, bottom = self.boxes[-1]
                size = (_f(left - 1), _f(top), _f(right - left + 2), _f(bottom - top))
                backdrop = '<rect x="{}" y="{}" width="{}" height="{}" fill="#fff" opacity="0.85"/>'
                self.parts.insert(len(self.parts) - 1, format_html(backdrop, *size))  # under the value
                return

    def _title(self) -> str:
        rate = " and heart rate" if len(self.series) == 3 else ""
        return f"Blood pressure{rate} readings over time"

    def _description(self) -> str:
        n, first, last = len(self.readings), self.readings[0], self.readings[-1]
        when = _moment(first["taken_at"], year=True)
        if n > 1:
            when = f"from {when} to {_moment(last['taken_at'], year=True)}"
        latest = f"{_shown(_number(last.get('systolic')))}/{_shown(_number(last.get('diastolic')))} mmHg"
        if _number(last.get("heart_rate")) is not None:
            latest += f", heart rate {_shown(_number(last['heart_rate']))} bpm"
        words = [f"{n} reading{'s' if n != 1 else ''}, {when}; latest {latest}."]
        shown = [v for s in self.series for v in self.values[s.key] if v is not None]
        outside = sum(1 for v in shown if not CLIP_LOW <= v <= CLIP_HIGH)
        if outside:
            words.append(
                f"{outside} value{'s' if outside != 1 else ''} outside {CLIP_LOW}–{CLIP_HIGH} drawn at the edge."
            )
        if self.lines is None:
            words.append("No reference lines: the rule set's blood-pressure thresholds are not known here.")
        elif not self.lines:
            words.append("No reference lines: the rule set has no blood-pressure threshold.")
        else:
            thresholds = "; ".join(
                f"systolic {line.sign} {_shown(line.systolic)} or diastolic {line.sign} {_shown(line.diastolic)} "
                f"mmHg, {line.severity} ({line.rule})"
                for line in self.lines
            )
            words.append(f"Reference lines from the rule set: {thresholds}.")
        return " ".join(words)
