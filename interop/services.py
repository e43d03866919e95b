"""FHIR onto the record: a Bundle read as an intake (interop.fhir.read), then stored by the same service as
POST /api/v1/intakes and `manage.py import_intake` (patients.services.intake_import), all or nothing.

The change is recorded as every intake import is: the record's history and the audit trail's create and
update events (core.audit_changes) credit the user; nothing else is written here.
"""

from __future__ import annotations

from typing import Any

from patients.models import Patient
from patients.services import intake_import
from screening.intake import IntakeInvalid, Problem

from .fhir.read import FhirInvalid, intake_from_bundle


def fhir_import(*, bundle: Any, user=None) -> tuple[Patient, bool, list[dict[str, str]]]:
    """Create or update the patient a FHIR R4 Bundle describes. Answers (patient, created, unmapped): what
    the Bundle held that the intake has no place for, by FHIR path.

    Raises FhirInvalid, every problem by its FHIR path, before anything is stored: a Bundle that cannot be
    read (interop.fhir.read) or an intake the record refuses (the intake's paths translated back to the
    FHIR path each value came from). IntegrityError passes through, as from intake_import."""
    mapped = intake_from_bundle(bundle)
    try:
        patient, created = intake_import(doc=mapped.intake, user=user)
    except IntakeInvalid as exc:
        raise FhirInvalid(fhir_problems(exc.problems, mapped.origins)) from exc
    return patient, created, mapped.unmapped


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
