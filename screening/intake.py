"""`ketamine-intake/1`: validation of the whole document (every problem named by its path) and the
conversion of a valid document into engine facts. Pure Python: used by the CLI, import and the API.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from .engine.facts import BloodPressureReading, Diagnosis, Drug, Facts, Medication
from .engine.problems import Problem
from .engine.vocabulary import (  # noqa: F401 (re-exported: the record and the forms read them here)
    DIAGNOSIS_SEVERITY,
    DIAGNOSIS_STATUS,
    HEPATIC,
    PREGNANCY,
    SECTIONS,
    SEX_AT_BIRTH,
    SUBSTANCE_USE,
    SUICIDAL_IDEATION,
    TRI,
)

INTAKE_FORMAT = "ketamine-intake/1"
MRN = re.compile(r"^[A-Za-z0-9-]{1,32}$")
ICD10 = re.compile(r"^([A-Za-z][0-9]{2})\.?([A-Za-z0-9]{0,4})$")
ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Every date and time in a document: far from the limits of Python's and the database's calendars.
EARLIEST, LATEST = date(1900, 1, 1), date(2100, 12, 31)

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
)


class IntakeInvalid(ValueError):
    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s): " + "; ".join(self.errors))

    @property
    def errors(self) -> list[str]:
        """Each problem as one line, "path: message"."""
        return [str(problem) for problem in self.problems]


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def error(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def obj(self, value: Any, path: str, allowed: tuple[str, ...] | list[str]) -> dict | None:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(path, f"must be an object, got {type(value).__name__}")
            return None
        for key in value:
            if key not in allowed:
                shown = key if key.isprintable() and is_encodable(key) else ascii(key)
                self.error(f"{path}.{shown}" if path else shown, "unknown field")
        return value

    def text(self, value: Any, path: str, *, required: bool, max_len: int = 100) -> str | None:
        if value is None:
            if required:
                self.error(path, "required")
            return None
        if not isinstance(value, str):
            self.error(path, f"must be text, got {type(value).__name__}")
            return None
        problem = unstorable_text(value)
        if problem:
            self.error(path, problem)
            return None
        value = value.strip()
        if required and not value:
            self.error(path, "required")
            return None
        if len(value) > max_len:
            self.error(path, f"is longer than {max_len} characters")
            return None
        return value

    def choice(
        self, value: Any, path: str, choices: tuple[str, ...], default: str | None = "unknown"
    ) -> str | None:
        if value is None:
            if default is None:
                self.error(path, "required")
            return default
        if value not in choices:
            self.error(path, f"{value!r} is not one of {', '.join(choices)}")
            return None
        return value

    def number(
        self,
        value: Any,
        path: str,
        *,
        low: float,
        high: float,
        integer: bool,
        required: bool = False,
        exclusive_low: bool = False,
    ) -> float | int | None:
        if value is None:
            if required:
                self.error(path, "required")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(path, f"must be a number, got {value!r}")
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.error(path, f"{value!r} is not a finite number")
            return None
        if integer and value != int(value):
            self.error(path, f"{value!r} must be a whole number")
            return None
        if exclusive_low and value <= low:
            self.error(path, f"{value!r} must be greater than {low:g}")
            return None
        if not exclusive_low and value < low:
            self.error(path, f"{_show(value)} is below {low:g}")
            return None
        if value > high:
            self.error(path, f"{_show(value)} is above {high:g}")
            return None
        return int(value) if integer else float(value)

    def day(self, value: Any, path: str, *, required: bool = True) -> date | None:
        if value is None:
            if required:
                self.error(path, "required")
            return None
        try:
            if not isinstance(value, str) or not ISO_DAY.fullmatch(value):
                raise ValueError
            day = date.fromisoformat(value)
        except ValueError:
            self.error(path, f"{value!r} is not a date (YYYY-MM-DD)")
            return None
        return day if self.in_range(day, path) else None

    def in_range(self, value: date, path: str) -> bool:
        """Dates and times of a clinical record fall between EARLIEST and LATEST (both storable anywhere)."""
        if EARLIEST <= value <= LATEST:
            return True
        self.error(path, f"{value.isoformat()} is outside {EARLIEST.isoformat()} to {LATEST.isoformat()}")
        return False

    def moment(self, value: Any, path: str) -> datetime | None:
        if value is None:
            self.error(path, "required")
            return None
        try:
            if not isinstance(value, str):
                raise ValueError
            parsed = datetime.fromisoformat(value)
        except ValueError:
            self.error(path, f"{value!r} is not a date and time (ISO 8601 with UTC offset)")
            return None
        if parsed.tzinfo is None:
            self.error(path, f"{value!r} needs a UTC offset, e.g. 2026-11-20T09:10:00-07:00")
            return None
        return parsed if self.in_range(parsed.date(), path) else None

    def boolean(self, value: Any, path: str, default: bool) -> bool | None:
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(path, f"must be true or false, got {value!r}")
            return None
        return value


def is_encodable(text: str) -> bool:
    """False for text that cannot be stored or sent as UTF-8 (lone surrogates from a JSON "\\ud800")."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def unstorable_text(text: str) -> str | None:
    """Why no database could store this text (a NUL character, a lone surrogate), or None. Used by the
    document validation, the API's bodies and the services, so every entry point refuses the same."""
    if "\x00" in text:
        return "contains a NUL character"
    if not is_encodable(text):
        return "contains an invalid character (a lone UTF-16 surrogate)"
    return None


def _show(number: float | int) -> str:
    # ints as they are: "{:g}" would turn 1234567 into 1.23457e+06 and overflow on very long ones
    return str(number) if isinstance(number, int) else f"{number:g}"


def normalize_icd10(code: str) -> str | None:
    match = ICD10.match(code.strip())
    if not match:
        return None
    head, tail = match.group(1).upper(), match.group(2).upper()
    return f"{head}.{tail}" if tail else head


def validate_intake(doc: Any) -> dict[str, Any]:
    """Check the whole document. Returns it normalized (absent answers filled in as "unknown").

    Raises IntakeInvalid listing every problem by its JSON path; nothing partial is ever returned.
    """
    if not isinstance(doc, dict):
        raise IntakeInvalid([Problem("document", "must be a JSON object")])
    c = _Checker()
    root = c.obj(doc, "", TOP_LEVEL)
    out: dict[str, Any] = {"format": INTAKE_FORMAT}
    if root.get("format") != INTAKE_FORMAT:
        c.error("format", f"{root.get('format')!r} is not {INTAKE_FORMAT}")
    assessed_on = c.day(root.get("assessed_on"), "assessed_on")
    out["assessed_on"] = assessed_on.isoformat() if assessed_on else None

    patient_fields = (
        "mrn",
        "given_name",
        "family_name",
        "date_of_birth",
        "sex_at_birth",
        "weight_kg",
        "height_cm",
        "pregnancy",
    )
    patient = c.obj(root.get("patient"), "patient", patient_fields) if "patient" in root else None
    if "patient" not in root:
        c.error("patient", "required")
    p_out: dict[str, Any] = {}
    if patient is not None:
        mrn = c.text(patient.get("mrn"), "patient.mrn", required=True, max_len=32)
        if mrn is not None and not MRN.match(mrn):
            c.error("patient.mrn", f"{mrn!r} may hold only letters, digits and '-' (1-32 characters)")
        p_out["mrn"] = mrn
        p_out["given_name"] = c.text(patient.get("given_name"), "patient.given_name", required=True)
        p_out["family_name"] = c.text(patient.get("family_name"), "patient.family_name", required=True)
        dob = c.day(patient.get("date_of_birth"), "patient.date_of_birth")
        if dob and assessed_on:
            if dob > assessed_on:
                c.error("patient.date_of_birth", f"{dob.isoformat()} is after assessed_on")
            elif (assessed_on.year - dob.year) > 120:
                c.error("patient.date_of_birth", f"{dob.isoformat()} gives an age above 120")
        p_out["date_of_birth"] = dob.isoformat() if dob else None
        p_out["sex_at_birth"] = c.choice(patient.get("sex_at_birth"), "patient.sex_at_birth", SEX_AT_BIRTH)
        p_out["weight_kg"] = c.number(
            patient.get("weight_kg"), "patient.weight_kg", low=25, high=350, integer=False
        )
        p_out["height_cm"] = c.number(
            patient.get("height_cm"), "patient.height_cm", low=100, high=250, integer=False
        )
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
                f"{raw!r} is not an ICD-10-CM code (letter, two digits, optional dot "
                "and up to four more characters)",
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
                "note": c.text(dx.get("note"), f"{path}.note", required=False, max_len=500) or "",
            }
        )

    th = c.obj(
        root.get("treatment_history"),
        "treatment_history",
        ("failed_antidepressant_trials", "psychotherapy_current"),
    )
    th_out: dict[str, Any] = {}
    if th is not None:
        th_out["failed_antidepressant_trials"] = c.number(
            th.get("failed_antidepressant_trials"),
            "treatment_history.failed_antidepressant_trials",
            low=0,
            high=50,
            integer=True,
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
            dose = c.number(
                med.get("dose_mg"), f"{path}.dose_mg", low=0, high=100000, integer=False, exclusive_low=True
            )
            if dose is not None and abs(dose * 1000 - round(dose * 1000)) > 1e-6:
                c.error(f"{path}.dose_mg", f"{dose!r} has more than 3 decimal places (mg to the microgram)")
            m_out["items"].append(
                {
                    "name": c.text(med.get("name"), f"{path}.name", required=True),
                    "dose_mg": dose,
                    "times_per_day": c.number(
                        med.get("times_per_day"), f"{path}.times_per_day", low=1, high=12, integer=True
                    ),
                    "as_needed": c.boolean(med.get("as_needed"), f"{path}.as_needed", default=False),
                    "max_doses_per_day": c.number(
                        med.get("max_doses_per_day"),
                        f"{path}.max_doses_per_day",
                        low=1,
                        high=24,
                        integer=True,
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
        systolic = c.number(
            bp.get("systolic"), f"{path}.systolic", low=60, high=300, integer=True, required=True
        )
        diastolic = c.number(
            bp.get("diastolic"), f"{path}.diastolic", low=30, high=200, integer=True, required=True
        )
        if systolic is not None and diastolic is not None and systolic <= diastolic:
            c.error(f"{path}.diastolic", f"{diastolic} must be below the systolic {systolic}")
        out["blood_pressure"].append(
            {
                "taken_at": taken_at.isoformat() if taken_at else None,
                "systolic": systolic,
                "diastolic": diastolic,
                "heart_rate": c.number(
                    bp.get("heart_rate"), f"{path}.heart_rate", low=20, high=250, integer=True
                ),
            }
        )

    if c.problems:
        raise IntakeInvalid(c.problems)
    return out


def facts_from_intake(intake: dict[str, Any], resolve: Callable[[str], Drug | None]) -> Facts:
    """Build engine facts from a *validated* intake. `resolve` maps a typed medication name to a Drug."""
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
            )
            for m in intake["medications"]["items"]
        ),
        blood_pressure=tuple(
            BloodPressureReading(
                datetime.fromisoformat(r["taken_at"]), r["systolic"], r["diastolic"], r["heart_rate"]
            )
            for r in intake["blood_pressure"]
        ),
        answers=answers,
    )
