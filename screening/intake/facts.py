"""Engine facts from a validated intake document."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from ..engine.facts import BloodPressureReading, Diagnosis, Drug, Facts, MeasureFact, Medication
from ..engine.measures import score
from ..engine.vocabulary import SECTIONS


def facts_from_intake(
    intake: dict[str, Any],
    resolve: Callable[[str], Drug | None],
    ambiguous: Callable[[str], bool] = lambda name: False,
) -> Facts:
    """Build engine facts from a *validated* intake. `resolve` maps a typed medication name to a Drug;
    `ambiguous` tells a name that must never resolve (an error-prone abbreviation) from an unknown one."""
    p = intake["patient"]
    answers: dict[str, str] = {"pregnancy": p.get("pregnancy", "unknown")}
    answers["psychotherapy_current"] = intake["treatment_history"].get("psychotherapy_current", "unknown")
    for section in ("psychiatric", "cardiovascular", "other_medical", "support"):
        for name in SECTIONS[section]:
            answers[name] = intake[section].get(name, "unknown")
    return Facts(
        mrn=p["mrn"],
        name=f"{p['given_name']} {p['family_name']}",
        date_of_birth=date.fromisoformat(p["date_of_birth"]),
        sex_at_birth=p.get("sex_at_birth", "unknown"),
        weight_kg=p.get("weight_kg"),
        height_cm=p.get("height_cm"),
        diagnoses=tuple(Diagnosis(d["icd10"], d["status"], d["severity"]) for d in intake["diagnoses"]),
        failed_antidepressant_trials=intake["treatment_history"].get("failed_antidepressant_trials"),
        medications_reconciled=intake["medications"]["reconciled"],
        medications=tuple(
            Medication(
                name=m["name"],
                dose_mg=m["dose_mg"],
                times_per_day=m["times_per_day"],
                as_needed=m["as_needed"],
                max_doses_per_day=m["max_doses_per_day"],
                drug=resolve(m["name"]),
                ambiguous=ambiguous(m["name"]),
            )
            for m in intake["medications"]["items"]
        ),
        blood_pressure=tuple(
            BloodPressureReading(
                datetime.fromisoformat(r["taken_at"]), r["systolic"], r["diastolic"], r["heart_rate"]
            )
            for r in intake["blood_pressure"]
        ),
        measures=tuple(
            MeasureFact(
                m["instrument"],
                date.fromisoformat(m["administered_on"]),
                score(m["instrument"], m["answers"]),
            )
            for m in intake.get("measures", ())
        ),
        answers=answers,
    )
