"""POST /api/v1/fhir/Bundle: a FHIR R4 Bundle onto a patient record, as POST /api/v1/intakes stores a
ketamine-intake/1 document (docs/fhir.md, "Import notes")."""

from __future__ import annotations

from django.db import IntegrityError
from django.http import HttpRequest
from ninja import Schema, Status
from pydantic import Field

from core.roles import EDIT_RECORDS
from interop.fhir import codes
from interop.fhir.read import BUNDLE_TYPES, FhirInvalid
from interop.services import fhir_import

from ..auth import by_role, require_role
from ..schemas import ERRORS, ErrorOut, ProblemOut
from .common import Invalid, Refused, read_document, router


class FhirImportedOut(Schema):
    patient_id: int
    mrn: str
    created: bool = Field(description="true when a new patient was created, false when one was updated")
    unmapped: list[ProblemOut] = Field(
        description="what the Bundle holds that the intake has no place for, by FHIR path, with the reason"
    )
    notes: list[ProblemOut] = Field(
        description="on a patient already recorded: what the import replaced by unknown because the Bundle "
        "does not carry it (a section's answers, a patient value, the reconciliation), by intake path; "
        "empty for a new patient"
    )


EXAMPLE_BUNDLE = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {
            "fullUrl": "urn:uuid:0b9c1a4e-2f51-4c39-9d7e-3a1f00000001",
            "resource": {
                "resourceType": "Patient",
                "identifier": [{"system": codes.MRN_SYSTEM, "value": "KT-0101"}],
                "name": [{"use": "official", "given": ["Rui"], "family": "Moreno"}],
                "birthDate": "1988-07-09",
            },
        },
        {
            "fullUrl": "urn:uuid:0b9c1a4e-2f51-4c39-9d7e-3a1f00000002",
            "resource": {
                "resourceType": "Condition",
                "subject": {"reference": "urn:uuid:0b9c1a4e-2f51-4c39-9d7e-3a1f00000001"},
                "code": {"coding": [{"system": codes.ICD10CM, "code": "F33.1"}]},
                "clinicalStatus": {"coding": [{"system": codes.CONDITION_CLINICAL, "code": "active"}]},
            },
        },
    ],
}
BUNDLE_BODY = {
    "requestBody": {
        "required": True,
        "description": "A FHIR R4 Bundle (JSON; application/fhir+json is read the same).",
        "content": {
            "application/json": {
                "schema": {
                    "title": "FHIR R4 Bundle",
                    "type": "object",
                    "required": ["resourceType", "type"],
                    "properties": {
                        "resourceType": {"type": "string", "enum": ["Bundle"]},
                        "type": {"type": "string", "enum": list(BUNDLE_TYPES)},
                        "entry": {"type": "array", "items": {"type": "object"}},
                    },
                },
                "example": EXAMPLE_BUNDLE,
            }
        },
    }
}


@router.post(
    "/fhir/Bundle",
    response={201: FhirImportedOut, 409: ErrorOut, **ERRORS},
    openapi_extra=BUNDLE_BODY,
    summary="Create or update a patient from a FHIR R4 Bundle (all or nothing; what is not mapped is listed)",
    tags=["fhir"],
    auth=by_role(EDIT_RECORDS),
)
def fhir_bundle_import(request: HttpRequest):
    user = require_role(request, EDIT_RECORDS)
    bundle = read_document(request)
    try:
        imported = fhir_import(bundle=bundle, user=user)
    except FhirInvalid as exc:
        raise Invalid(exc.problems) from exc
    except IntegrityError as exc:  # e.g. the same new MRN sent twice at once: nothing was stored
        raise Refused(
            "The database refused the record (another request changed it); nothing stored."
        ) from exc
    return Status(
        201,
        {
            "patient_id": imported.patient.pk,
            "mrn": imported.patient.mrn,
            "created": imported.created,
            "unmapped": imported.unmapped,
            "notes": imported.notes,
        },
    )
