"""Turns a stored report snapshot into what the report page and the PDF show. No rule logic here:
everything shown was decided by the engine when the screening was stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from rules.sources import cited

from .engine.severity import SEVERITIES, VERDICT_FOR_SEVERITY

VERDICT_LABELS = {
    "contraindicated": ("Contraindicated: do not infuse", "✕"),
    "not_a_candidate": ("Not a candidate", "✕"),
    "needs_information": ("Needs information before screening can conclude", "?"),
    "deferred": ("Deferred: correct the listed problems, then screen again", "!"),
    "clinician_review": ("Physician review required before infusion", "!"),
    "eligible_with_precautions": ("Eligible with precautions", "✓"),
    "eligible": ("Eligible", "✓"),
}
SEVERITY_LABELS = {
    "contraindicated": "Contraindications",
    "not_candidate": "Outside the indication or protocol",
    "missing": "Missing information",
    "defer": "Correct first",
    "review": "Physician review",
    "precaution": "Precautions",
    "info": "Noted",
}
SEVERITY_OF_VERDICT = {verdict: severity for severity, verdict in VERDICT_FOR_SEVERITY.items()}


def verdict_display(verdict: str) -> dict[str, str]:
    label, symbol = VERDICT_LABELS.get(verdict, (verdict, "?"))
    return {
        "code": verdict,
        "label": label,
        "symbol": symbol,
        "css": f"sev-{SEVERITY_OF_VERDICT.get(verdict, 'missing')}",
    }


def bp_chart_svg(readings: list[dict[str, Any]], width: int = 560, height: int = 180) -> SafeString:
    """A small server-side SVG trend of systolic and diastolic values, with the 140/90 and 160/100 lines."""
    if not readings:
        return mark_safe("")  # noqa: S308 - constant
    low, high = 40, 220
    left, right, top, bottom = 44, 36, 12, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(readings)

    def x(i: int) -> float:
        return left + (plot_w / 2 if n == 1 else plot_w * i / (n - 1))

    def y(v: float) -> float:
        v = min(max(v, low), high)
        return top + plot_h * (high - v) / (high - low)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-labelledby="bp-chart-title" class="bp-chart">',
        '<title id="bp-chart-title">Blood pressure readings over time: systolic (solid) and '
        "diastolic (dashed); reference lines at 140/90 and 160/100 mmHg</title>",
    ]
    for value, style in ((160, "#b02a37"), (140, "#b58105"), (100, "#b02a37"), (90, "#b58105")):
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            f'stroke="{style}" stroke-width="0.8" stroke-dasharray="2 3"/>'
        )
        parts.append(
            f'<text x="{left - 4}" y="{y(value) + 3:.1f}" font-size="9" text-anchor="end">{value}</text>'
        )
    for key, dash in (("systolic", ""), ("diastolic", ' stroke-dasharray="5 3"')):
        points = " ".join(f"{x(i):.1f},{y(r[key]):.1f}" for i, r in enumerate(readings))
        parts.append(f'<polyline points="{points}" fill="none" stroke="#212529" stroke-width="1.6"{dash}/>')
        for i, r in enumerate(readings):
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(r[key]):.1f}" r="2.6" fill="#212529"/>')
            parts.append(
                f'<text x="{x(i):.1f}" y="{y(r[key]) - 5:.1f}" font-size="9" text-anchor="middle">'
                f"{int(r[key])}</text>"
            )
    for i, r in enumerate(readings):
        label = datetime.fromisoformat(r["taken_at"]).strftime("%m-%d %H:%M")
        parts.append(
            f'<text x="{x(i):.1f}" y="{height - 6}" font-size="9" text-anchor="middle">{label}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - built only from numbers and dates formatted above


def report_context(*, report: dict[str, Any], intake: dict[str, Any], review=None) -> dict[str, Any]:
    """What the report page and the PDF show. `review` (a selectors.ReviewState) puts the effective verdict
    and the decision first; without it (a file screened from the command line) the verdict is the
    engine's, with nothing set aside."""
    overrides = review.overrides if review is not None else []
    signoff = review.signoff if review is not None else None
    suggestions: dict[str, list] = {}
    for suggestion in review.suggestions if review is not None else []:
        suggestions.setdefault(suggestion.rule, []).append(suggestion)
    overrides_by_rule = {o.rule: o for o in overrides}
    groups = []
    for severity in SEVERITIES:
        findings = [
            {**f, "override": overrides_by_rule.get(f["rule"]), "suggestions": suggestions.get(f["rule"], [])}
            for f in report["findings"]
            if f["severity"] == severity
        ]
        if findings:
            groups.append({"severity": severity, "label": SEVERITY_LABELS[severity], "findings": findings})
    source_ids = {s for f in report["findings"] for s in f["sources"]}
    if report.get("dose"):
        source_ids |= set(report["dose"].get("sources", []))
    source_ids |= {s for item in report.get("checklist", []) for s in item.get("sources", [])}
    readings = [
        {**r, "taken_display": datetime.fromisoformat(r["taken_at"]).strftime("%Y-%m-%d %H:%M %z")}
        for r in sorted(intake.get("blood_pressure", []), key=lambda r: r["taken_at"])
    ]
    patient = intake["patient"]
    return {
        "report": report,
        "intake": intake,
        "patient": {**patient, "name": report["patient"]["name"], "age": report["patient"]["age"]},
        # the banner: the effective verdict once overrides in force are left out, and the decision
        "verdict": verdict_display(review.effective if review is not None else report["verdict"]),
        "original_verdict": verdict_display(report["verdict"])
        if review is not None and review.changed_by_overrides
        else None,
        "review": review,
        "dose": review.dose() if review is not None else report.get("dose"),
        "acknowledged": [f for f in report["findings"] if signoff and f["rule"] in signoff.acknowledged],
        "groups": groups,
        "readings": readings,
        "bp_chart": bp_chart_svg(readings),
        "references": cited(source_ids),
        "overrides": list(overrides),
        "signoff": signoff,
    }


def source_links(ids) -> SafeString:
    return mark_safe(", ".join(format_html('<a href="#ref-{0}">{0}</a>', i) for i in ids))  # noqa: S308
