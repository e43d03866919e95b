"""Turns a stored report snapshot into what the report page and the PDF show. No rule logic here:
everything shown was decided by the engine when the screening was stored."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from patients.models import ANSWER_SECTIONS
from patients.selectors import SECTION_LABELS
from rules.sources import cited

from .bp_chart import bp_chart_svg, bp_reference_lines
from .compiled import screening_ruleset
from .engine.measures import INSTRUMENTS as MEASURE_INSTRUMENTS
from .engine.measures import score as score_measure
from .engine.severity import SEVERITIES, VERDICT_FOR_SEVERITY
from .engine.vocabulary import PATIENT_FIELDS
from .review import screening_rules

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
# One finding's severity in words (SEVERITY_LABELS name a group of findings).
SEVERITY_WORDS = {
    "contraindicated": "contraindication",
    "not_candidate": "outside the indication or protocol",
    "missing": "missing information",
    "defer": "correct first",
    "review": "physician review",
    "precaution": "precaution",
    "info": "noted",
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


def _local(text: str) -> datetime:
    """An ISO time from the snapshot in the clinic's time zone (one without an offset is taken as local)."""
    moment = datetime.fromisoformat(text)
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


# The BP chart of a stored screening never changes: it is a function of the readings, the rule set's
# reference lines and the time zone the times are shown in. Kept per process for the report page and PDF.
_CHARTS: dict[tuple, SafeString] = {}
_CHARTS_MAX = 256


def _bp_chart(readings: list[dict[str, Any]], lines) -> SafeString:
    key = (
        json.dumps(readings, sort_keys=True, default=str),
        None if lines is None else tuple(lines),
        timezone.get_current_timezone_name(),
    )
    chart = _CHARTS.get(key)
    if chart is None:
        chart = bp_chart_svg(readings, lines)
        if len(_CHARTS) >= _CHARTS_MAX:
            _CHARTS.clear()
        _CHARTS[key] = chart
    return chart


def report_context(*, report: dict[str, Any], intake: dict[str, Any], review=None) -> dict[str, Any]:
    """What the report page and the PDF show. `review` (a selectors.ReviewState) puts the effective verdict
    and the decision first; without it (a file screened from the command line) the verdict is the
    engine's, with nothing set aside."""
    overrides = review.overrides if review is not None else []
    signoff = review.signoff if review is not None else None
    suggestions: dict[str, list] = {}
    for suggestion in review.suggestions if review is not None else []:
        suggestions.setdefault(suggestion.rule, []).append(suggestion)
    titles = {f["rule"]: f["title"] for f in report["findings"]}
    missing = [f for f in report["findings"] if f["severity"] == "missing"]
    # the rule set the screening was made under (compiled once per process): where each missing finding is
    # completed, and the words of the coded override reasons
    rules = screening_rules(review.screening) if review is not None and (missing or overrides) else {}
    fixes = (
        missing_data_links(missing, rules, review.screening.patient_id)
        if review is not None and missing
        else {}
    )
    shown_overrides = [override_shown(o, rules.get(o.rule), titles.get(o.rule, "")) for o in overrides]
    shown_by_rule = {row["record"].rule: row for row in shown_overrides}
    groups = []
    for severity in SEVERITIES:
        findings = [
            {
                **f,
                "override": shown_by_rule.get(f["rule"]),
                "suggestions": suggestions.get(f["rule"], []),
                "fix": fixes.get(f["rule"]),
            }
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
        # the clinic's local time, as the chart and the patient page show it
        {**r, "taken_display": f"{_local(r['taken_at']):%Y-%m-%d %H:%M}"}
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
        # reference lines at the thresholds of the rule set the screening was made under (none known
        # without a review: a report screened from a file)
        "bp_chart": _bp_chart(
            readings,
            bp_reference_lines(screening_ruleset(review.screening).rules) if review is not None else None,
        ),
        "references": cited(source_ids),
        "overrides": list(overrides),
        "shown_overrides": shown_overrides,
        # the consult checklist, each item ticked or not at sign-off (SignOff.checklist: positions)
        "checklist": [
            {**item, "done": signoff is not None and i in (signoff.checklist or [])}
            for i, item in enumerate(report.get("checklist", []))
        ],
        "signoff": signoff,
        "signed_verdict": verdict_display(signoff.effective_verdict)
        if signoff is not None and signoff.effective_verdict
        else None,
        "bp_shown": blood_pressure_shown(report.get("blood_pressure")),
        "medication_rows": medications_shown(report.get("medications", []), titles),
        "missing_data": [{**f, "fix": fixes.get(f["rule"])} for f in missing],
        "measures": baseline_measures(intake),
    }


def baseline_measures(intake: dict[str, Any]) -> list[dict[str, Any]]:
    """The latest administration of each measure in the screening's snapshot, scored (never stored), in
    the instruments' order; [] when none was recorded."""
    latest: dict[str, dict[str, Any]] = {}
    for measure in intake.get("measures", []):
        known = latest.get(measure["instrument"])
        if known is None or measure["administered_on"] >= known["administered_on"]:
            latest[measure["instrument"]] = measure
    shown = []
    for key, instrument in MEASURE_INSTRUMENTS.items():
        if key in latest:
            result = score_measure(key, latest[key]["answers"])
            shown.append(
                {
                    "name": instrument.name,
                    "day": latest[key]["administered_on"],
                    "summary": result.summary,
                    "flag": result.flag,
                }
            )
    return shown


def source_links(ids) -> SafeString:
    return mark_safe(", ".join(format_html('<a href="#ref-{0}">{0}</a>', i) for i in ids))  # noqa: S308


# ------------------------------------------------------------------------------------------------ words
# What the report shows in words where the snapshot holds a code. Rule codes stay beside their titles (they
# are a public contract); the other codes are never the only text.

# Medication classes are formulary data, written in snake_case; these parts of them are initialisms.
CLASS_INITIALISMS = frozenset({"ace", "adhd", "arb", "maoi", "nmda", "nsaid", "snri", "ssri", "tca"})
CLASS_WORDS = {"z_drug": "Z-drug"}


def class_words(name: str) -> str:
    """A formulary class in words: "mood_stabilizer" -> "mood stabilizer", "ssri" -> "SSRI"."""
    if name in CLASS_WORDS:
        return CLASS_WORDS[name]
    return " ".join(part.upper() if part in CLASS_INITIALISMS else part for part in name.split("_"))


def whole_number(value: float | int) -> int:
    """A mean shown as a whole number, half up (93.5 -> 94). Only for display: the rules compared the exact
    mean, and the snapshot keeps it."""
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def blood_pressure_shown(bp: dict[str, Any] | None) -> dict[str, Any] | None:
    if bp is None:
        return None
    return {**bp, "systolic": whole_number(bp["systolic"]), "diastolic": whole_number(bp["diastolic"])}


def medications_shown(medications: list[dict[str, Any]], titles: dict[str, str]) -> list[dict[str, Any]]:
    """Each medication with its classes in words and the findings it is part of by title (and rule code)."""
    return [
        {
            **m,
            "class_words": [class_words(c) for c in m.get("classes", [])],
            "findings": [{"rule": code, "title": titles.get(code, "")} for code in m.get("rules", [])],
        }
        for m in medications
    ]


def override_shown(override, rule, title: str) -> dict[str, Any]:
    """An override (the stored row, as `record`) with its finding's title, its severity and its coded
    reason in words (the reason's words come from the rule it was recorded under)."""
    reasons = {r.code: r.display for r in rule.override_reasons} if rule is not None else {}
    return {
        "record": override,
        "title": title,
        "severity_word": SEVERITY_WORDS.get(override.severity, override.severity.replace("_", " ")),
        "reason_code_words": reasons.get(override.reason_code, override.reason_code),
    }


# ------------------------------------------------------------------------ where missing data is completed
# The patient page (templates/patients/patient_detail.html) completes each part of the record in a section
# with an anchor; the top of the page holds the patient's own details (weight, pregnancy: "Edit details").
RECORD_PLACES: dict[str, tuple[str, str]] = {
    "details": ("", "patient details"),
    "diagnoses": ("diagnoses", "diagnoses"),
    "medications": ("medications", "medications"),
    "blood_pressure": ("blood-pressure", "blood pressure"),
    **{section: (f"section-{section}", f"{label} answers") for section, label in SECTION_LABELS.items()},
}
# answer and value names (the vocabulary's) -> the place that records them
PLACE_OF_NAME = {
    **dict.fromkeys(PATIENT_FIELDS, "details"),
    **{name: section for section, names in ANSWER_SECTIONS.items() for name in names},
    "medications_reconciled": "medications",
}
# predicate kinds that read a part of the record rather than a named answer
PLACE_OF_KIND = {
    "diagnosis": "diagnoses",
    "bp_none_recent": "blood_pressure",
    "bp_mean_at_least": "blood_pressure",
    "bp_mean_above": "blood_pressure",
    "heart_rate_mean_above": "blood_pressure",
    **dict.fromkeys(
        (
            "medication",
            "medication_unresolved",
            "dose_unknown",
            "diazepam_factor_missing",
            "dose_above_maximum",
            "diazepam_equivalent_unknown",
            "diazepam_above",
            "diazepam_at_most",
        ),
        "medications",
    ),
}


def record_place(predicate: dict[str, Any]) -> str | None:
    """The part of the record a rule's predicate reads first (depth first), a key of RECORD_PLACES; None
    when it names none."""
    kind, params = predicate.get("kind"), predicate.get("params") or {}
    if kind in PLACE_OF_KIND:
        return PLACE_OF_KIND[kind]
    for name in (params.get("answer"), *params.get("answers", ()), params.get("field")):
        if name in PLACE_OF_NAME:
            return PLACE_OF_NAME[name]
    for sub in (params.get("predicate"), *params.get("of", ())):
        if isinstance(sub, dict) and (place := record_place(sub)) is not None:
            return place
    return None


def missing_data_links(
    missing: list[dict[str, Any]], rules: dict, patient_id: int
) -> dict[str, dict[str, str]]:
    """For each `missing` finding, by rule code: the patient page section that completes what it asks for,
    found from its rule's predicate in the rule set the screening was made under (the top of the patient
    page when the predicate names no part of the record)."""
    page = reverse("patients:detail", args=[patient_id])
    links = {}
    for finding in missing:
        rule = rules.get(finding["rule"])
        anchor, words = RECORD_PLACES.get(
            record_place(rule.predicate) if rule else "", ("", "patient record")
        )
        links[finding["rule"]] = {"url": f"{page}#{anchor}" if anchor else page, "place": words}
    return links
