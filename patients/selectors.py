"""Reads that feed the pages and the screening: one round of queries, whatever the record's size."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from formulary.lookup import Formulary
from screening.engine import Facts
from screening.intake import INTAKE_FORMAT, facts_from_intake, validate_intake

from .models import ANSWER_SECTIONS, BloodPressureReading, MedicationEntry, Patient

SECTION_LABELS = {
    "treatment_history": "treatment history",
    "psychiatric": "psychiatric",
    "cardiovascular": "cardiovascular",
    "other_medical": "other medical",
    "support": "support",
}


def patient_search(query: str = "") -> QuerySet[Patient]:
    patients = Patient.objects.only("id", "mrn", "given_name", "family_name", "date_of_birth", "sex_at_birth")
    query = query.strip()
    if not query:
        return patients
    condition = Q(mrn__icontains=query)
    for word in query.split():
        condition |= Q(given_name__icontains=word) | Q(family_name__icontains=word)
    words = query.split()
    if len(words) > 1:  # "Ana Silva" must match both names, not either
        both = Q()
        for word in words:
            both &= Q(given_name__icontains=word) | Q(family_name__icontains=word)
        condition = Q(mrn__icontains=query) | both
    return patients.filter(condition)


def _records() -> QuerySet[Patient]:
    return Patient.objects.select_related("medications_reconciled_by").prefetch_related(
        "diagnoses",
        Prefetch("medications", queryset=MedicationEntry.objects.select_related("formulary_entry")),
        Prefetch("bp_readings", queryset=BloodPressureReading.objects.order_by("-taken_at", "-pk")),
    )


def patient_record(pk: int) -> Patient:
    """A patient with everything the patient page and the screening read, in a fixed number of queries."""
    return _records().get(pk=pk)


def patient_records(pks) -> dict[int, Patient]:
    """Several patients' records by id, in the same fixed number of queries as one."""
    return {patient.pk: patient for patient in _records().filter(pk__in=pks)}


@dataclass(frozen=True)
class SectionCompleteness:
    section: str
    label: str
    unknown: int
    total: int

    @property
    def complete(self) -> bool:
        return self.unknown == 0

    @property
    def text(self) -> str:
        if self.unknown == 0:
            return f"all {self.total} {self.label} answers recorded"
        return f"{self.unknown} of {self.total} {self.label} answers unknown"


def section_completeness(patient: Patient) -> dict[str, SectionCompleteness]:
    result = {}
    for section, fields in ANSWER_SECTIONS.items():
        unknown = sum(1 for f in fields if getattr(patient, f) in (None, "unknown"))
        result[section] = SectionCompleteness(section, SECTION_LABELS[section], unknown, len(fields))
    return result


def _number(value) -> float | int | None:
    if value is None:
        return None
    as_float = float(value)
    return int(as_float) if as_float == int(as_float) else as_float


def intake_document(patient: Patient, assessed_on: date) -> dict[str, Any]:
    """The patient as a `ketamine-intake/1` document (uses prefetched relations when present)."""
    doc: dict[str, Any] = {
        "format": INTAKE_FORMAT,
        "assessed_on": assessed_on.isoformat(),
        "patient": {
            "mrn": patient.mrn,
            "given_name": patient.given_name,
            "family_name": patient.family_name,
            "date_of_birth": patient.date_of_birth.isoformat(),
            "sex_at_birth": patient.sex_at_birth,
            "weight_kg": _number(patient.weight_kg),
            "height_cm": _number(patient.height_cm),
            "pregnancy": patient.pregnancy,
        },
        "diagnoses": [
            {
                "icd10": d.icd10,
                "status": d.status,
                "severity": d.severity,
                "note": d.note,  # always present, as validation writes it, so both hash alike
            }
            for d in patient.diagnoses.all()
        ],
        "treatment_history": {
            "failed_antidepressant_trials": patient.failed_antidepressant_trials,
            "psychotherapy_current": patient.psychotherapy_current,
        },
        "medications": {
            "reconciled": patient.medications_reconciled,
            "items": [
                {
                    "name": m.name,
                    "dose_mg": _number(m.dose_mg),
                    "times_per_day": m.times_per_day,
                    "as_needed": m.as_needed,
                    "max_doses_per_day": m.max_doses_per_day,
                }
                for m in patient.medications.all()
            ],
        },
        "blood_pressure": [
            {
                "taken_at": timezone.localtime(r.taken_at).isoformat(),
                "systolic": r.systolic,
                "diastolic": r.diastolic,
                "heart_rate": r.heart_rate,
            }
            for r in sorted(patient.bp_readings.all(), key=lambda r: (r.taken_at, r.pk))
        ],
    }
    for section in ("psychiatric", "cardiovascular", "other_medical", "support"):
        doc[section] = {name: getattr(patient, name) for name in ANSWER_SECTIONS[section]}
    return doc


def patient_facts(patient: Patient, assessed_on: date, formulary: Formulary) -> tuple[dict[str, Any], Facts]:
    """The validated intake snapshot and the engine facts for a stored patient. Raises IntakeInvalid."""
    valid = validate_intake(intake_document(patient, assessed_on))
    return valid, facts_from_intake(valid, formulary.resolve, formulary.is_ambiguous)


def fingerprint(*values: Any) -> str:
    """A short digest of what a form showed, to refuse a save when someone changed it in between."""
    return hashlib.sha256(repr(values).encode()).hexdigest()[:16]


def medication_list_fingerprint(medications) -> str:
    return fingerprint(
        *[
            (m.pk, m.name, str(m.dose_mg), m.times_per_day, m.as_needed, m.max_doses_per_day)
            for m in sorted(medications, key=lambda m: m.pk)
        ]
    )


def diagnosis_fingerprint(diagnosis) -> str:
    return fingerprint(diagnosis.icd10, diagnosis.status, diagnosis.severity, diagnosis.note)
