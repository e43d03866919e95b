"""Intake operations: store a document, read a record back, screen a document without storing it."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Status

from core.audit import audit_record
from core.roles import EDIT_RECORDS
from patients.models import Patient
from patients.selectors import patient_record
from patients.services import intake_export, intake_import
from screening.engine import report_to_dict
from screening.intake import IntakeInvalid
from screening.services import (
    intake_evaluate,
)

from ..auth import by_role, require_role
from ..schemas import (
    ERRORS,
    INTAKE_BODY,
    NOT_FOUND,
    AsOf,
    ErrorOut,
    Id,
    IntakeStoredOut,
)
from .common import Invalid, Refused, intake_problems, read_document, router


@router.post(
    "/intakes",
    response={201: IntakeStoredOut, 409: ErrorOut, **ERRORS},
    openapi_extra=INTAKE_BODY,
    summary="Create or update a patient from a ketamine-intake/1 document (all or nothing)",
    tags=["intake"],
    auth=by_role(EDIT_RECORDS),
)
def intake_store(request: HttpRequest):
    user = require_role(request, EDIT_RECORDS)
    doc = read_document(request)
    try:
        patient, created = intake_import(doc=doc, user=user)
    except IntakeInvalid as exc:
        raise Invalid(intake_problems(exc)) from exc
    except IntegrityError as exc:  # e.g. the same new MRN sent twice at once: nothing was stored
        raise Refused(
            "The database refused the record (another request changed it); nothing stored."
        ) from exc
    return Status(201, {"patient_id": patient.pk, "mrn": patient.mrn, "created": created})


@router.get(
    "/patients/{patient_id}/intake",
    response={200: dict[str, Any], **NOT_FOUND},
    summary="The patient's current record as a ketamine-intake/1 document",
    tags=["intake"],
    auth=by_role(EDIT_RECORDS),
)
def intake_read(request: HttpRequest, patient_id: Id, query: Query[AsOf]):
    require_role(request, EDIT_RECORDS)
    patient = get_object_or_404(Patient.objects.only("pk"), pk=patient_id)
    audit_record(action="export", request=request, obj=patient, detail="API intake document")
    return Status(
        200,
        intake_export(
            patient=patient_record(patient_id), assessed_on=query.assessed_on or timezone.localdate()
        ),
    )


@router.post(
    "/screen",
    response={200: dict[str, Any], 409: ErrorOut, **ERRORS},
    openapi_extra=INTAKE_BODY,
    summary="Screen an intake document and return the ketamine-screening/1 report; nothing is stored",
    tags=["screenings"],
    auth=by_role(EDIT_RECORDS),
)
def intake_screen(request: HttpRequest):
    require_role(request, EDIT_RECORDS)
    doc = read_document(request)
    audit_record(action="screen", request=request, object_type="intake_document", detail="API, not stored")
    try:
        return Status(200, report_to_dict(intake_evaluate(intake=doc)))
    except IntakeInvalid as exc:
        raise Invalid(intake_problems(exc)) from exc
