"""FHIR onto the record: a Bundle read as an intake (interop.fhir.read), then stored by the same service as
POST /api/v1/intakes and `manage.py import_intake` (patients.services.intake_import), all or nothing.

The change is recorded as every intake import is: the record's history and the audit trail's create and
update events (core.audit_changes) credit the user; nothing else is written here.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from patients.models import Patient
from patients.selectors import intake_document
from patients.services import intake_import
from screening.engine.vocabulary import SECTIONS, UNKNOWN
from screening.intake import IntakeInvalid, Problem, validate_intake

from .fhir.read import FhirInvalid, Mapped, intake_from_bundle

# The intake's answers only the product's intake questionnaire carries, by section (docs/fhir.md)
ANSWERED_SECTIONS = {
    section: ("failed_antidepressant_trials", *fields) if section == "treatment_history" else tuple(fields)
    for section, fields in SECTIONS.items()
}
# The patient's values an EHR Bundle may or may not carry (Observations, extensions)
PATIENT_VALUES = ("sex_at_birth", "weight_kg", "height_cm", "pregnancy")


@dataclass(frozen=True)
class FhirImported:
    patient: Patient
    created: bool
    unmapped: list[dict[str, str]]  # what the Bundle held that was not mapped, by FHIR path, with the reason
    # On a known patient: what the import replaced by unknown without the Bundle saying so, by intake path
    # (a section's answers, a patient value, the reconciliation). Empty for a new patient.
    notes: list[dict[str, str]]


@transaction.atomic
def fhir_import(*, bundle: Any, user=None) -> FhirImported:
    """Create or update the patient a FHIR R4 Bundle describes.

    Raises FhirInvalid, every problem by its FHIR path, before anything is stored: a Bundle that cannot be
    read (interop.fhir.read), one whose MRN is known but whose birth date or family name are not the
    recorded patient's (another patient under the same number?), or an intake the record refuses (the
    intake's paths translated back to the FHIR path each value came from). IntegrityError passes through,
    as from intake_import."""
    mapped = intake_from_bundle(bundle)
    try:  # the MRN as intake_import will read it (trimmed), so both find the same patient
        mrn = validate_intake(mapped.intake)["patient"]["mrn"]
    except IntakeInvalid as exc:
        raise FhirInvalid(fhir_problems(exc.problems, mapped.origins)) from exc
    known = _known_patient(mrn)
    notes: list[dict[str, str]] = []
    if known is not None:
        problems = identity_problems(known, mapped)
        if problems:
            raise FhirInvalid(problems)
        notes = reset_notes(intake_document(known, timezone.localdate()), mapped.intake)
    try:
        patient, created = intake_import(doc=mapped.intake, user=user)
    except IntakeInvalid as exc:
        raise FhirInvalid(fhir_problems(exc.problems, mapped.origins)) from exc
    return FhirImported(patient, created, mapped.unmapped, notes)


def _known_patient(mrn: Any) -> Patient | None:
    """The recorded patient with this MRN (ignoring case, as intake_import finds it), locked until the
    import ends."""
    if not isinstance(mrn, str):
        return None  # the intake validation refuses it
    return Patient.objects.select_for_update().filter(mrn__iexact=mrn).first()


def _name_key(name: str) -> str:
    """A family name as compared: one Unicode form, case and runs of spaces ignored."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def identity_problems(known: Patient, mapped: Mapped) -> list[dict[str, str]]:
    """The Bundle's birth date or family name (ignoring case) differing from the recorded patient's: the
    same MRN for another patient (a number reused or mistyped) must not overwrite a record. Values the
    intake validation refuses anyway (a partial date, no name) are left to it. The recorded values are
    never shown."""
    patient = mapped.intake["patient"]
    found = []
    born = patient.get("date_of_birth")
    if isinstance(born, str) and _is_date(born) and born != known.date_of_birth.isoformat():
        found.append(("date_of_birth", "date of birth"))
    family = patient.get("family_name")
    if isinstance(family, str) and family.strip() and _name_key(family) != _name_key(known.family_name):
        found.append(("family_name", "family name"))
    return [
        {
            "path": mapped.origins.get(f"patient.{name}", "document"),
            "message": f"differs from the {label} of the patient recorded with this MRN: is this another "
            "patient? Nothing stored",
        }
        for name, label in found
    ]


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def reset_notes(recorded: dict[str, Any], intake: dict[str, Any]) -> list[dict[str, str]]:
    """What the import replaces by unknown on a known record because the Bundle does not carry it (an EHR
    Bundle without the intake questionnaire, a weight too old to be read): the answers of each section, the
    patient's values, the reconciliation. Fail closed, but said."""
    notes = []
    for section, names in ANSWERED_SECTIONS.items():
        carried = intake.get(section) or {}
        reset = [
            name
            for name in names
            if name not in carried and recorded[section].get(name) not in (None, UNKNOWN)
        ]
        if reset:
            notes.append(
                {
                    "path": section,
                    "message": f"{', '.join(reset)}: the record's answers are now unknown (the Bundle does "
                    "not carry them)",
                }
            )
    for name in PATIENT_VALUES:
        if name not in intake["patient"] and recorded["patient"].get(name) not in (None, UNKNOWN):
            notes.append(
                {
                    "path": f"patient.{name}",
                    "message": "the record's value is now unknown (the Bundle carries none that is read)",
                }
            )
    if recorded["medications"]["reconciled"] and not intake["medications"].get("reconciled"):
        notes.append(
            {
                "path": "medications.reconciled",
                "message": "the record's medication list was reconciled; the list imported is not reconciled",
            }
        )
    return notes


def fhir_problems(problems: list[Problem], origins: dict[str, str]) -> list[dict[str, str]]:
    """The intake validation's problems on the FHIR paths their values came from. A path with no origin of
    its own is shown on its nearest origin (a diagnosis's status on its Condition), its intake path kept in
    the message; with no origin at all, on the document."""
    return [_on_fhir_path(problem, origins) for problem in problems]


def _on_fhir_path(problem: Problem, origins: dict[str, str]) -> dict[str, str]:
    path = problem.path
    if path in origins:
        return {"path": origins[path], "message": problem.message}
    for end in range(len(path) - 1, 0, -1):
        if path[end] in ".[" and path[:end] in origins:
            return {"path": origins[path[:end]], "message": f"{path}: {problem.message}"}
    return {"path": "document", "message": f"{path}: {problem.message}"}
