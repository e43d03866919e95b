"""`ketamine-intake/1` validation: the whole document is checked and every problem named by its path."""

from __future__ import annotations

import re
from typing import Any

from ..engine.measures import CSSRS_QUESTIONS, INSTRUMENTS, MeasureInvalid, validate_answers
from ..engine.vocabulary import (
    DIAGNOSIS_SEVERITY,
    DIAGNOSIS_STATUS,
    MRN_PATTERN,
    NUMBERS,
    PATIENT_FIELDS,
    PREGNANCY,
    SECTIONS,
    SEX_AT_BIRTH,
    TEXT_MAX,
    TRI,
)
from .checker import Checker, IntakeInvalid, Problem, brief

INTAKE_FORMAT = "ketamine-intake/1"
MRN = re.compile(MRN_PATTERN)
# A letter, a digit, a digit or letter, then up to four more characters, optionally after a dot; a dot
# must be followed by at least one character ("F33.2", "F332" and "Z3A.20" are well formed, "F33." is not).
ICD10 = re.compile(r"^([A-Za-z][0-9][A-Za-z0-9])(?:\.([A-Za-z0-9]{1,4})|([A-Za-z0-9]{0,4}))$")
TOP_LEVEL = (
    "format",
    "assessed_on",
    "patient",
    "diagnoses",
    "treatment_history",
    "psychiatric",
    "medications",
    "blood_pressure",
    "cardiovascular",
    "other_medical",
    "support",
    "measures",
)


def normalize_icd10(code: str) -> str | None:
    match = ICD10.match(code.strip())
    if not match:
        return None
    head, tail = match.group(1).upper(), (match.group(2) or match.group(3) or "").upper()
    return f"{head}.{tail}" if tail else head


def validate_intake(doc: Any) -> dict[str, Any]:
    """Check the whole document. Returns it normalized (absent answers filled in as "unknown").

    Raises IntakeInvalid listing every problem by its JSON path; nothing partial is ever returned.
    """
    if not isinstance(doc, dict):
        raise IntakeInvalid([Problem("document", "must be a JSON object")])
    c = Checker()
    root = c.obj(doc, "", TOP_LEVEL)
    out: dict[str, Any] = {"format": INTAKE_FORMAT}
    if root.get("format") != INTAKE_FORMAT:
        c.error("format", f"{brief(root.get('format'))} is not {INTAKE_FORMAT}")
    assessed_on = c.day(root.get("assessed_on"), "assessed_on")
    out["assessed_on"] = assessed_on.isoformat() if assessed_on else None

    patient = c.obj(root.get("patient"), "patient", PATIENT_FIELDS) if "patient" in root else None
    if "patient" not in root:
        c.error("patient", "required")
    p_out: dict[str, Any] = {}
    if patient is not None:
        mrn = c.text(patient.get("mrn"), "patient.mrn", required=True, max_len=TEXT_MAX["mrn"])
        if mrn is not None and not MRN.match(mrn):
            c.error("patient.mrn", f"{mrn!r} may hold only letters, digits and '-' (1-32 characters)")
        p_out["mrn"] = mrn
        p_out["given_name"] = c.text(
            patient.get("given_name"), "patient.given_name", required=True, max_len=TEXT_MAX["given_name"]
        )
        p_out["family_name"] = c.text(
            patient.get("family_name"), "patient.family_name", required=True, max_len=TEXT_MAX["family_name"]
        )
        dob = c.day(patient.get("date_of_birth"), "patient.date_of_birth")
        if dob and assessed_on:
            if dob > assessed_on:
                c.error("patient.date_of_birth", f"{dob.isoformat()} is after assessed_on")
            elif (assessed_on.year - dob.year) > 120:
                c.error("patient.date_of_birth", f"{dob.isoformat()} gives an age above 120")
        p_out["date_of_birth"] = dob.isoformat() if dob else None
        p_out["sex_at_birth"] = c.choice(patient.get("sex_at_birth"), "patient.sex_at_birth", SEX_AT_BIRTH)
        p_out["weight_kg"] = c.bounded(patient.get("weight_kg"), "patient.weight_kg", NUMBERS["weight_kg"])
        p_out["height_cm"] = c.bounded(patient.get("height_cm"), "patient.height_cm", NUMBERS["height_cm"])
        p_out["pregnancy"] = c.choice(patient.get("pregnancy"), "patient.pregnancy", PREGNANCY)
    out["patient"] = p_out

    diagnoses = root.get("diagnoses", [])
    out["diagnoses"] = []
    if not isinstance(diagnoses, list):
        c.error("diagnoses", "must be a list")
        diagnoses = []
    for i, item in enumerate(diagnoses):
        path = f"diagnoses[{i}]"
        dx = c.obj(item, path, ("icd10", "status", "severity", "note"))
        if dx is None:
            continue
        raw = c.text(dx.get("icd10"), f"{path}.icd10", required=True, max_len=8)
        code = normalize_icd10(raw) if raw else None
        if raw and code is None:
            c.error(
                f"{path}.icd10",
                f"{raw!r} is not an ICD-10-CM code (a letter, a digit, a digit or letter, then up to four "
                "more characters, optionally after a dot that is followed by at least one)",
            )
        if code is not None and code in {d["icd10"] for d in out["diagnoses"]}:
            c.error(f"{path}.icd10", f"{code} is listed twice")
        out["diagnoses"].append(
            {
                "icd10": code,
                "status": c.choice(dx.get("status"), f"{path}.status", DIAGNOSIS_STATUS, default="active"),
                "severity": c.choice(
                    dx.get("severity"), f"{path}.severity", DIAGNOSIS_SEVERITY, default="unspecified"
                ),
                "note": c.text(
                    dx.get("note"), f"{path}.note", required=False, max_len=TEXT_MAX["diagnosis_note"]
                )
                or "",
            }
        )

    th = c.obj(
        root.get("treatment_history"),
        "treatment_history",
        ("failed_antidepressant_trials", "psychotherapy_current"),
    )
    th_out: dict[str, Any] = {}
    if th is not None:
        th_out["failed_antidepressant_trials"] = c.bounded(
            th.get("failed_antidepressant_trials"),
            "treatment_history.failed_antidepressant_trials",
            NUMBERS["failed_antidepressant_trials"],
        )
        th_out["psychotherapy_current"] = c.choice(
            th.get("psychotherapy_current"), "treatment_history.psychotherapy_current", TRI
        )
    out["treatment_history"] = th_out

    for section in ("psychiatric", "cardiovascular", "other_medical", "support"):
        fields = SECTIONS[section]
        data = c.obj(root.get(section), section, tuple(fields))
        out[section] = (
            {}
            if data is None
            else {
                name: c.choice(data.get(name), f"{section}.{name}", choices)
                for name, choices in fields.items()
            }
        )

    meds = c.obj(root.get("medications"), "medications", ("reconciled", "items"))
    m_out: dict[str, Any] = {"reconciled": False, "items": []}
    if meds is not None:
        m_out["reconciled"] = c.boolean(meds.get("reconciled"), "medications.reconciled", default=False)
        items = meds.get("items", [])
        if not isinstance(items, list):
            c.error("medications.items", "must be a list")
            items = []
        for i, item in enumerate(items):
            path = f"medications.items[{i}]"
            med = c.obj(item, path, ("name", "dose_mg", "times_per_day", "as_needed", "max_doses_per_day"))
            if med is None:
                continue
            dose = c.bounded(med.get("dose_mg"), f"{path}.dose_mg", NUMBERS["dose_mg"])
            if dose is not None and abs(dose * 1000 - round(dose * 1000)) > 1e-6:
                c.error(f"{path}.dose_mg", f"{dose!r} has more than 3 decimal places (mg to the microgram)")
            m_out["items"].append(
                {
                    "name": c.text(
                        med.get("name"), f"{path}.name", required=True, max_len=TEXT_MAX["medication_name"]
                    ),
                    "dose_mg": dose,
                    "times_per_day": c.bounded(
                        med.get("times_per_day"), f"{path}.times_per_day", NUMBERS["times_per_day"]
                    ),
                    "as_needed": c.boolean(med.get("as_needed"), f"{path}.as_needed", default=False),
                    "max_doses_per_day": c.bounded(
                        med.get("max_doses_per_day"),
                        f"{path}.max_doses_per_day",
                        NUMBERS["max_doses_per_day"],
                    ),
                }
            )
    out["medications"] = m_out

    readings = root.get("blood_pressure", [])
    out["blood_pressure"] = []
    if not isinstance(readings, list):
        c.error("blood_pressure", "must be a list")
        readings = []
    for i, item in enumerate(readings):
        path = f"blood_pressure[{i}]"
        bp = c.obj(item, path, ("taken_at", "systolic", "diastolic", "heart_rate"))
        if bp is None:
            continue
        taken_at = c.moment(bp.get("taken_at"), f"{path}.taken_at")
        if taken_at and assessed_on and taken_at.date() > assessed_on:
            c.error(
                f"{path}.taken_at", f"{bp.get('taken_at')} is after assessed_on {assessed_on.isoformat()}"
            )
        systolic = c.bounded(bp.get("systolic"), f"{path}.systolic", NUMBERS["systolic"], required=True)
        diastolic = c.bounded(bp.get("diastolic"), f"{path}.diastolic", NUMBERS["diastolic"], required=True)
        if systolic is not None and diastolic is not None and systolic <= diastolic:
            c.error(f"{path}.diastolic", f"{diastolic} must be below the systolic {systolic}")
        out["blood_pressure"].append(
            {
                "taken_at": taken_at.isoformat() if taken_at else None,
                "systolic": systolic,
                "diastolic": diastolic,
                "heart_rate": c.bounded(bp.get("heart_rate"), f"{path}.heart_rate", NUMBERS["heart_rate"]),
            }
        )

    measures = _measures(c, root, root.get("measures"), assessed_on)
    if measures:  # an optional section: a document without measures keeps its exact form (and hash)
        out["measures"] = measures

    if c.problems:
        raise IntakeInvalid(c.problems)
    return out


def _answers_path(base: str, path: str) -> str:
    """A measure's answer path ("", "[3]", "intent") under its place in the document. (The instrument is
    known before its answers are checked: every path here is one of the answers.)"""
    if not path or path.startswith("["):
        return f"{base}.answers{path}"
    return f"{base}.answers.{path}"


def _measures(c: Checker, root: dict, measures: Any, assessed_on) -> list[dict[str, Any]]:
    """Baseline measures (PHQ-9, GAD-7, C-SSRS screener): each one's date and answers; scores are never
    part of a document, they are computed from the answers (screening/engine/measures.py)."""
    if measures is None:
        if "measures" in root:  # present but null: as other lists, not "no measures"
            c.error("measures", "must be a list")
        return []
    if not isinstance(measures, list):
        c.error("measures", "must be a list")
        return []
    out = []
    for i, item in enumerate(measures):
        path = f"measures[{i}]"
        measure = c.obj(item, path, ("instrument", "administered_on", "answers"))
        if measure is None:
            continue
        instrument = measure.get("instrument")
        if instrument is None:
            c.error(f"{path}.instrument", "required")
        elif not isinstance(instrument, str) or instrument not in INSTRUMENTS:
            c.error(f"{path}.instrument", f"{brief(instrument)} is not one of {', '.join(INSTRUMENTS)}")
            instrument = None
        day = c.day(measure.get("administered_on"), f"{path}.administered_on")
        if day and assessed_on and day > assessed_on:
            c.error(f"{path}.administered_on", f"{day.isoformat()} is after assessed_on")
        answers = measure.get("answers")
        if "answers" not in measure:
            c.error(f"{path}.answers", "required")
        elif instrument is not None:
            try:
                validate_answers(instrument, answers)
            except MeasureInvalid as exc:
                for where, message in exc.errors:
                    c.error(_answers_path(path, where), message)
            else:
                if instrument == "cssrs_screener":  # every question present, unasked ones as null
                    answers = {key: answers.get(key) for key in CSSRS_QUESTIONS}
                else:
                    answers = list(answers)
        out.append(
            {
                "instrument": instrument,
                "administered_on": day.isoformat() if day else None,
                "answers": answers,
            }
        )
    return out
