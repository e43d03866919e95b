"""Reads that feed the pages and the screening: one round of queries, whatever the record's size."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Case, Q, QuerySet, Value, When
from django.db.models.functions import Lower
from django.utils import timezone

from core.nested_read import Child, Joined, NestedRead
from core.search import search_term
from formulary.lookup import Formulary
from screening.engine import Facts
from screening.engine.vocabulary import MRN_PATTERN
from screening.intake import INTAKE_FORMAT, facts_from_intake, validate_intake

from .models import ANSWER_SECTIONS, Patient

SECTION_LABELS = {
    "treatment_history": "treatment history",
    "psychiatric": "psychiatric",
    "cardiovascular": "cardiovascular",
    "other_medical": "other medical",
    "support": "support",
}


LIST_COLUMNS = ("id", "mrn", "given_name", "family_name", "date_of_birth", "sex_at_birth", "record_version")
_MRN = re.compile(MRN_PATTERN)


def patient_matches(query: str, prefix: str = "") -> Q:
    """The search's meaning: the whole query inside the MRN, or every word inside the given or the family
    name ("Ana Silva" must match both names, not either). `prefix` reaches a patient through a relation
    ("patient__"). Written with icontains on purpose: PostgreSQL runs it as `UPPER("col"::text) LIKE
    UPPER(%s)`, the very expression the trigram indexes of patients 0010 index."""
    names = Q()
    for word in query.split():
        names &= Q(**{f"{prefix}given_name__icontains": word}) | Q(
            **{f"{prefix}family_name__icontains": word}
        )
    return Q(**{f"{prefix}mrn__icontains": query}) | names


def exact_mrn_patient_id(query: str) -> int | None:
    """The patient whose MRN is the query, ignoring case, through the unique index on LOWER(mrn)."""
    if not _MRN.fullmatch(query):  # only an MRN-shaped (ASCII) query can be one, so lower() agrees with SQL
        return None
    return (
        Patient.objects.alias(mrn_lower=Lower("mrn"))
        .filter(mrn_lower=query.lower())
        .values_list("pk", flat=True)
        .first()
    )


def exact_first(patient_field: str, patient_id: int | None) -> list:
    """An ordering that puts the exactly matching patient's rows first (nothing when there is none, so the
    list keeps an ordering an index can walk)."""
    if patient_id is None:
        return []
    return [Case(When(**{patient_field: patient_id}, then=Value(0)), default=Value(1))]


def patient_search(query: str = "") -> QuerySet[Patient]:
    """The patient list, searched: an exact MRN first, then every other match in the list's order."""
    patients = Patient.objects.only(*LIST_COLUMNS)
    query = search_term(query)
    if not query:
        return patients
    matches = patients.filter(patient_matches(query))
    first = exact_first("pk", exact_mrn_patient_id(query))
    return matches.order_by(*first, *Patient._meta.ordering) if first else matches


def _record_read() -> NestedRead:
    """The record the patient page and the screening read: the patient, who reconciled the medications, and
    its four lists in one query (core.nested_read); of a medication's formulary entry, the generic name and
    ATC codes only, of the reconciling user the names only."""
    return NestedRead(
        Patient,
        joined=(Joined("medications_reconciled_by", ("username", "first_name", "last_name")),),
        children=(
            Child("diagnoses"),
            Child("medications", joined=(Joined("formulary_entry", ("generic", "atc")),)),
            Child("bp_readings"),
            Child("measures"),
        ),
    )


RECORD = _record_read()
# the patient page's: the record and what the other apps' panels on the page read with it, registered by
# those apps (AppConfig.ready: the infusions, the latest screenings, the active rule set)
PAGE_RECORD = _record_read()


def patient_record(pk: int, read: NestedRead = RECORD) -> Patient:
    """A patient with everything the patient page and the screening read, in one query whatever the record's
    size. Raises Patient.DoesNotExist."""
    record = read.by_ids([pk]).get(int(pk))
    if record is None:
        raise Patient.DoesNotExist(f"no patient {pk}")
    return record


def patient_page_record(pk: int) -> Patient:
    """The record with what the patient page's panels show (PAGE_RECORD), in one query."""
    return patient_record(pk, PAGE_RECORD)


# the list's first page, unsearched: its rows with what the other apps show of each (the latest screening,
# registered from ScreeningConfig.ready), in one query
LIST_FIRST_PAGE = NestedRead(Patient, fields=LIST_COLUMNS)


def patient_list_first(count: int) -> list[Patient]:
    """The first `count` patients in the list's order, as patient_search("") reads them, with what
    LIST_FIRST_PAGE's registered parts read (`patient.nested`)."""
    return LIST_FIRST_PAGE.first(count)


def patient_records(pks) -> dict[int, Patient]:
    """Several patients' records by id, in one query."""
    return RECORD.by_ids(pks)


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
    measures = [
        {"instrument": m.instrument, "administered_on": m.administered_on.isoformat(), "answers": m.answers}
        for m in patient.measures.all()
    ]
    if measures:  # optional: a record without measures exports (and hashes) as before
        doc["measures"] = measures
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


def medication_fingerprint(medication) -> str:
    """One listed medication as the edit form showed it (its name never changes there)."""
    return fingerprint(
        medication.pk,
        medication.name,
        str(medication.dose_mg),
        medication.times_per_day,
        medication.as_needed,
        medication.max_doses_per_day,
    )


def diagnosis_fingerprint(diagnosis) -> str:
    return fingerprint(diagnosis.icd10, diagnosis.status, diagnosis.severity, diagnosis.note)
