"""Literal engine inputs for the engine tests: an eligible baseline patient and small helpers around it.

Everything here is plain data (frozen dataclasses); nothing touches the database.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from screening.engine import Report, RuleSet, evaluate, ruleset_from_data
from screening.engine.facts import BloodPressureReading, Diagnosis, Drug, Facts, Medication

PROJECT = Path(__file__).resolve().parents[3]
RULESET_PATH = PROJECT / "fixtures" / "ruleset-default.json"
FORMULARY_PATH = PROJECT / "fixtures" / "formulary.json"
# the contract version the product implements, copied in the repo (.ci/run checks it against the contract)
CRITERIA_PATH = PROJECT / "docs" / "contract" / "criteria.md"  # rule set 2026.2

AS_OF = date(2026, 11, 20)

# ------------------------------------------------------------------------------------------ answers

TRI = ("yes", "no", "unknown")
PSYCHIATRIC_FLAGS = (
    "psychotic_symptoms_current",
    "psychosis_history",
    "mania_current",
    "suicidal_ideation",
    "suicidal_intent_or_plan",
    "substance_use_disorder",
)
CARDIOVASCULAR_FLAGS = (
    "aneurysmal_vascular_disease",
    "arteriovenous_malformation",
    "intracerebral_hemorrhage_history",
    "recent_myocardial_infarction",
    "unstable_angina",
    "decompensated_heart_failure",
    "uncontrolled_arrhythmia",
    "stable_coronary_disease",
    "heart_failure_compensated",
    "valvular_disease",
    "stroke_history",
    "hypertensive_encephalopathy_history",
)
OTHER_MEDICAL_FLAGS = (
    "ketamine_hypersensitivity",
    "raised_intracranial_pressure",
    "hepatic_impairment",
    "glaucoma",
    "hyperthyroidism_uncontrolled",
    "porphyria",
    "interstitial_cystitis",
    "dementia_or_delirium",
    "severe_sleep_apnea",
)
SUPPORT_FLAGS = ("escort_available", "support_person")

# Every answer the intake format defines, with its allowed values (domain/intake-format.md).
ANSWER_CHOICES: dict[str, tuple[str, ...]] = {
    "pregnancy": ("not_pregnant", "pregnant", "breastfeeding", "not_applicable", "unknown"),
    "psychotherapy_current": TRI,
    **dict.fromkeys(PSYCHIATRIC_FLAGS, TRI),
    "suicidal_ideation": ("none", "passive", "active", "unknown"),
    "substance_use_disorder": ("none", "in_remission", "current", "unknown"),
    **dict.fromkeys(CARDIOVASCULAR_FLAGS, TRI),
    **dict.fromkeys(OTHER_MEDICAL_FLAGS, TRI),
    "hepatic_impairment": ("none", "mild", "moderate", "severe", "unknown"),
    **dict.fromkeys(SUPPORT_FLAGS, TRI),
}

BASELINE_ANSWERS: dict[str, str] = {
    "pregnancy": "not_pregnant",
    "psychotherapy_current": "yes",
    **dict.fromkeys(PSYCHIATRIC_FLAGS, "no"),
    "suicidal_ideation": "none",
    "substance_use_disorder": "none",
    **dict.fromkeys(CARDIOVASCULAR_FLAGS, "no"),
    **dict.fromkeys(OTHER_MEDICAL_FLAGS, "no"),
    "hepatic_impairment": "none",
    **dict.fromkeys(SUPPORT_FLAGS, "yes"),
}


def answers(**changes: str) -> dict[str, str]:
    """The baseline answers with some of them changed."""
    return {**BASELINE_ANSWERS, **changes}


def answers_without(*names: str) -> dict[str, str]:
    """The baseline answers with some left out (an absent answer reads as unknown)."""
    return {k: v for k, v in BASELINE_ANSWERS.items() if k not in names}


# ------------------------------------------------------------------------------------------ dates and BP


def birthday(years: int, as_of: date = AS_OF) -> date:
    """The date of birth of someone whose `years`-th birthday is exactly on `as_of`."""
    return as_of.replace(year=as_of.year - years)


def age_day_before_birthday(years: int, as_of: date = AS_OF) -> date:
    """The date of birth of someone who turns `years` the day after `as_of` (so is `years - 1`)."""
    return birthday(years, as_of) + timedelta(days=1)


def reading(
    systolic: int, diastolic: int, days_before: int = 0, hour: int = 9, tz=UTC
) -> BloodPressureReading:
    taken_at = datetime.combine(AS_OF - timedelta(days=days_before), time(hour), tzinfo=tz)
    return BloodPressureReading(taken_at=taken_at, systolic=systolic, diastolic=diastolic)


# ------------------------------------------------------------------------------------------ drugs (A7 factors)


def drug(generic: str, atc: str, *classes: str, factor: float | None = None) -> Drug:
    return Drug(generic, (atc,), classes, factor)


CLONAZEPAM = drug("clonazepam", "N03AE01", "benzodiazepine", factor=0.5)
ALPRAZOLAM = Drug("alprazolam", ("N05BA12",), ("benzodiazepine",), 0.5, max_daily_mg=10.0)
DIAZEPAM = drug("diazepam", "N05BA01", "benzodiazepine", factor=10.0)
CHLORDIAZEPOXIDE = drug("chlordiazepoxide", "N05BA02", "benzodiazepine", factor=25.0)
LORAZEPAM = drug("lorazepam", "N05BA06", "benzodiazepine", factor=1.0)
TEMAZEPAM = drug("temazepam", "N05CD07", "benzodiazepine", factor=20.0)
MIDAZOLAM = drug("midazolam", "N05CD08", "benzodiazepine")  # no A7 factor
SERTRALINE = drug("sertraline", "N06AB06", "ssri")
LAMOTRIGINE = drug("lamotrigine", "N03AX09", "mood_stabilizer", "anticonvulsant")
MEMANTINE = drug("memantine", "N06DX01", "nmda_antagonist")
QUETIAPINE = drug("quetiapine", "N05AH04", "antipsychotic", "sedating_antipsychotic")
OXYCODONE = drug("oxycodone", "N02AA05", "opioid")
PHENELZINE = drug("phenelzine", "N06AF03", "maoi")
METHYLPHENIDATE = drug("methylphenidate", "N06BA04", "stimulant")
THEOPHYLLINE = drug("theophylline", "R03DA04", "xanthine", "bronchodilator")
LITHIUM = drug("lithium", "N05AN01", "mood_stabilizer")
CARBAMAZEPINE = drug("carbamazepine", "N03AF01", "mood_stabilizer", "anticonvulsant")


def daily(d: Drug, dose_mg: float | None, times_per_day: int | None = 1) -> Medication:
    return Medication(name=d.generic, dose_mg=dose_mg, times_per_day=times_per_day, drug=d)


def as_needed(d: Drug, dose_mg: float | None, max_doses_per_day: int | None) -> Medication:
    return Medication(
        name=d.generic, dose_mg=dose_mg, as_needed=True, max_doses_per_day=max_doses_per_day, drug=d
    )


def unresolved(name: str) -> Medication:
    return Medication(name=name, dose_mg=10, times_per_day=1, drug=None)


# ------------------------------------------------------------------------------------------ facts

QUALIFYING_DIAGNOSIS = Diagnosis("F33.2", "active", "severe")


def baseline_facts(**overrides: Any) -> Facts:
    """An eligible 40-year-old: every answer given and benign, a qualifying diagnosis, a normal BP today."""
    fields: dict[str, Any] = {
        "mrn": "KT-TEST",
        "name": "Test Patient",
        "date_of_birth": birthday(40),
        "sex_at_birth": "female",
        "weight_kg": 70.0,
        "height_cm": 168.0,
        "diagnoses": (QUALIFYING_DIAGNOSIS,),
        "failed_antidepressant_trials": 3,
        "medications_reconciled": True,
        "medications": (),
        "blood_pressure": (reading(124, 78),),
        "answers": dict(BASELINE_ANSWERS),
    }
    fields.update(overrides)
    return Facts(**fields)


def with_answers(**changes: str) -> Facts:
    return baseline_facts(answers=answers(**changes))


def with_diagnoses(*diagnoses: Diagnosis, **overrides: Any) -> Facts:
    return baseline_facts(diagnoses=diagnoses, **overrides)


def active(code: str, severity: str = "unspecified") -> Diagnosis:
    return Diagnosis(code, "active", severity)


def with_bp(*readings: BloodPressureReading) -> Facts:
    return baseline_facts(blood_pressure=readings)


def taking(*medications: Medication) -> Facts:
    return baseline_facts(medications=medications)


# ------------------------------------------------------------------------------------------ rule set


@cache
def _ruleset_text() -> str:
    return RULESET_PATH.read_text(encoding="utf-8")


def default_ruleset_data() -> dict[str, Any]:
    """A fresh, mutable copy of the default rule set document."""
    return json.loads(_ruleset_text())


@cache
def default_ruleset() -> RuleSet:
    return ruleset_from_data(default_ruleset_data())


def rule_data(data: dict[str, Any], code: str) -> dict[str, Any]:
    return next(r for r in data["rules"] if r["code"] == code)


def rule_index(data: dict[str, Any], code: str) -> int:
    return next(i for i, r in enumerate(data["rules"]) if r["code"] == code)


def screen(facts: Facts, as_of: date = AS_OF, ruleset: RuleSet | None = None) -> Report:
    return evaluate(facts, ruleset or default_ruleset(), as_of)


# ------------------------------------------------------------------------------------------ case tables


def fires(code: str, label: str, facts: Facts):
    """A table row: `code` is among the report's findings for `facts`."""
    return pytest.param(code, facts, id=f"{code}: {label}")


def silent(code: str, label: str, facts: Facts):
    """A table row: `code` is not among the report's findings for `facts` (the other side of a boundary)."""
    return pytest.param(code, facts, id=f"{code}: {label}")
