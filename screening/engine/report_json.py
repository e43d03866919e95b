"""The `ketamine-screening/1` report document."""

from __future__ import annotations

from typing import Any

from .evaluate import Report

REPORT_FORMAT = "ketamine-screening/1"


def report_to_dict(report: Report) -> dict[str, Any]:
    bp = report.blood_pressure
    dose = report.dose
    return {
        "format": REPORT_FORMAT,
        "verdict": report.verdict,
        "patient": {"mrn": report.mrn, "name": report.name, "age": report.age},
        "assessed_on": report.assessed_on.isoformat(),
        "findings": [
            {
                "rule": f.rule,
                "severity": f.severity,
                "title": f.title,
                "evidence": f.evidence,
                "action": f.action,
                "sources": list(f.sources),
            }
            for f in report.findings
        ],
        "medications": [
            {
                "name": m.name,
                "generic": m.generic,
                "atc": m.atc,
                "classes": list(m.classes),
                "daily_mg": m.daily_mg,
                "diazepam_eq_mg": m.diazepam_eq_mg,
                "rules": list(m.rules),
            }
            for m in report.medications
        ],
        "blood_pressure": None
        if bp is None
        else {
            "systolic": bp.shown_systolic,
            "diastolic": bp.shown_diastolic,
            "readings": bp.readings,
            "day": bp.day.isoformat(),
        },
        "dose": dose_to_dict(dose),
        "checklist": [{"text": c.text, "sources": list(c.sources)} for c in report.checklist],
        "ruleset": {"version": report.ruleset_version, "sha256": report.ruleset_sha256},
        "engine": {"version": report.engine_version},
    }


def dose_to_dict(dose) -> dict[str, Any] | None:
    if dose is None:
        return None
    return {
        "weight_kg": dose.weight_kg,
        "low_mg": dose.low_mg,
        "high_mg": dose.high_mg,
        "minutes": list(dose.minutes),
        "sources": list(dose.sources),
    }
