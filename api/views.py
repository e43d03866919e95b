"""The /api/v1/ operations. Each checks the caller's role with the tuples the pages use, then calls the same
service the page calls; a refusal reads as the page says it (409 {"error"}), bad input as 400 by path."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError
from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Status

from core.documents import DocumentUnreadable, parse_json
from core.roles import EDIT_RECORDS, READ_REPORTS
from patients.models import Patient
from patients.selectors import patient_record
from patients.services import intake_export, intake_import
from rules.selectors import NoActiveRuleSet
from screening.engine import report_to_dict
from screening.intake import IntakeInvalid
from screening.models import FindingOverride, Screening, SignOff
from screening.services import (
    ScreeningRefused,
    effective_verdict,
    finding_override,
    intake_evaluate,
    override_cosign,
    pdf_for_download,
    pdf_request,
    pdf_state,
    screening_run,
    screening_sign,
    unscreenable_message,
)

from .auth import require_role
from .schemas import (
    ERRORS,
    INTAKE_BODY,
    NOT_FOUND,
    AsOf,
    ErrorOut,
    Id,
    IntakeStoredOut,
    OverrideIn,
    OverrideOut,
    PdfOut,
    ScreeningOut,
    SignoffOut,
)

router = Router()


class Refused(Exception):
    """409: the record's state does not allow this; `problems` lists what is wrong with it, if anything."""

    def __init__(self, message: str, problems=()):
        super().__init__(message)
        self.problems = list(problems)


class Invalid(Exception):
    """400: the request itself is wrong; every problem by path."""

    def __init__(self, problems):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = list(problems)


def _document(request: HttpRequest) -> Any:
    try:
        return parse_json(request.body)
    except DocumentUnreadable as exc:
        raise Invalid([{"path": "document", "message": str(exc)}]) from exc


def _intake_problems(exc: IntakeInvalid) -> list[dict[str, str]]:
    return [problem.as_dict() for problem in exc.problems]


# ------------------------------------------------------------------------------------------------ intake


@router.post(
    "/intakes",
    response={201: IntakeStoredOut, 409: ErrorOut, **ERRORS},
    openapi_extra=INTAKE_BODY,
    summary="Create or update a patient from a ketamine-intake/1 document (all or nothing)",
    tags=["intake"],
)
def intake_store(request: HttpRequest):
    user = require_role(request, EDIT_RECORDS)
    doc = _document(request)
    try:
        patient, created = intake_import(doc=doc, user=user)
    except IntakeInvalid as exc:
        raise Invalid(_intake_problems(exc)) from exc
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
)
def intake_read(request: HttpRequest, patient_id: Id, query: Query[AsOf]):
    require_role(request, EDIT_RECORDS)
    get_object_or_404(Patient.objects.only("pk"), pk=patient_id)
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
)
def intake_screen(request: HttpRequest):
    require_role(request, EDIT_RECORDS)
    doc = _document(request)
    try:
        return Status(200, report_to_dict(intake_evaluate(intake=doc)))
    except IntakeInvalid as exc:
        raise Invalid(_intake_problems(exc)) from exc
    except NoActiveRuleSet as exc:
        raise Refused(str(exc)) from exc


# ------------------------------------------------------------------------------------------------ screenings


def _override_out(o: FindingOverride) -> dict[str, Any]:
    return {
        "id": o.pk,
        "rule": o.rule,
        "severity": o.severity,
        "reason": o.reason,
        "overridden_by": o.overridden_by_name,
        "created_at": o.created_at,
        "needs_cosign": o.needs_cosign,
        "cosigned_by": o.cosigned_by_name or None,
        "cosigned_at": o.cosigned_at,
        "in_force": o.in_force,
    }


def _signoff_out(s: SignOff | None) -> dict[str, Any] | None:
    return None if s is None else {"id": s.pk, "signed_by": s.signer_name, "signed_at": s.signed_at}


def _screening_out(screening: Screening) -> dict[str, Any]:
    overrides = list(screening.overrides.order_by("pk"))
    return {
        "id": screening.pk,
        "patient_id": screening.patient_id,
        "created_at": screening.created_at,
        "assessed_on": screening.assessed_on,
        "verdict": screening.verdict,
        "effective_verdict": effective_verdict(screening, overrides),
        "ruleset": {"version": screening.ruleset_version, "sha256": screening.ruleset_sha256},
        "engine_version": screening.engine_version,
        "report": screening.report,
        "overrides": [_override_out(o) for o in overrides],
        "signoff": _signoff_out(SignOff.objects.filter(screening=screening).first()),
    }


def _screening(screening_id: int) -> Screening:
    return get_object_or_404(Screening, pk=screening_id)


@router.post(
    "/patients/{patient_id}/screenings",
    response={201: ScreeningOut, 409: ErrorOut, **NOT_FOUND},
    summary="Screen the patient's current record and store the result (an immutable screening)",
    tags=["screenings"],
)
def screening_create(request: HttpRequest, patient_id: Id):
    user = require_role(request, EDIT_RECORDS)
    patient = get_object_or_404(Patient, pk=patient_id)
    try:
        screening = screening_run(patient=patient, requested_by=user)
    except IntakeInvalid as exc:
        raise Refused(unscreenable_message(exc), _intake_problems(exc)) from exc
    except NoActiveRuleSet as exc:
        raise Refused(str(exc)) from exc
    return Status(201, _screening_out(screening))


@router.get(
    "/screenings/{screening_id}",
    response={200: ScreeningOut, **NOT_FOUND},
    summary="A stored screening: report, overrides and sign-off",
    tags=["screenings"],
)
def screening_read(request: HttpRequest, screening_id: Id):
    require_role(request, READ_REPORTS)
    return Status(200, _screening_out(_screening(screening_id)))


@router.post(
    "/screenings/{screening_id}/overrides",
    response={201: OverrideOut, 409: ErrorOut, **NOT_FOUND},
    summary="Set a finding aside with a reason (a contraindication then needs a second clinician)",
    tags=["review"],
)
def override_create(request: HttpRequest, screening_id: Id, payload: OverrideIn):
    user = require_role(request, EDIT_RECORDS)
    screening = _screening(screening_id)
    try:
        override = finding_override(screening=screening, rule=payload.rule, reason=payload.reason, user=user)
    except ScreeningRefused as exc:
        raise Refused(str(exc)) from exc
    return Status(201, _override_out(override))


@router.post(
    "/screenings/{screening_id}/overrides/{override_id}/cosign",
    response={201: OverrideOut, 409: ErrorOut, **NOT_FOUND},
    summary="Co-sign another clinician's override",
    tags=["review"],
)
def override_cosign_create(request: HttpRequest, screening_id: Id, override_id: Id):
    user = require_role(request, EDIT_RECORDS)
    override = get_object_or_404(FindingOverride, pk=override_id, screening_id=screening_id)
    try:
        override = override_cosign(override=override, user=user)
    except ScreeningRefused as exc:
        raise Refused(str(exc)) from exc
    return Status(201, _override_out(override))


@router.post(
    "/screenings/{screening_id}/signoff",
    response={201: SignoffOut, 409: ErrorOut, **NOT_FOUND},
    summary="Sign the screening (final: no override or co-signature after it)",
    tags=["review"],
)
def signoff_create(request: HttpRequest, screening_id: Id):
    user = require_role(request, EDIT_RECORDS)
    screening = _screening(screening_id)
    try:
        signoff = screening_sign(screening=screening, user=user)
    except ScreeningRefused as exc:
        raise Refused(str(exc)) from exc
    return Status(201, _signoff_out(signoff))


# ------------------------------------------------------------------------------------------------ PDF


def _pdf_out(screening_id: int) -> dict[str, Any]:
    pdf, status = pdf_state(screening_id)
    return {
        "screening_id": screening_id,
        "status": status,
        "error": pdf.error if pdf is not None and status == "failed" else "",
        "sha256": pdf.sha256 if pdf is not None and status == "ready" else "",
        "download": f"/api/v1/screenings/{screening_id}/pdf/download" if status == "ready" else None,
    }


@router.post(
    "/screenings/{screening_id}/pdf",
    response={202: PdfOut, **NOT_FOUND},
    summary="Queue the consult PDF (or a retry); poll GET .../pdf for its status",
    tags=["pdf"],
)
def pdf_create(request: HttpRequest, screening_id: Id):
    user = require_role(request, READ_REPORTS)
    pdf_request(screening=_screening(screening_id), user=user)
    return Status(202, _pdf_out(screening_id))


@router.get(
    "/screenings/{screening_id}/pdf",
    response={200: PdfOut, **NOT_FOUND},
    summary="The PDF's status: none, queued, rendering, ready, failed or outdated",
    tags=["pdf"],
)
def pdf_read(request: HttpRequest, screening_id: Id):
    require_role(request, READ_REPORTS)
    _screening(screening_id)
    return Status(200, _pdf_out(screening_id))


@router.get(
    "/screenings/{screening_id}/pdf/download",
    response={200: None, 409: ErrorOut, **NOT_FOUND},
    openapi_extra={
        "responses": {
            200: {"description": "the PDF", "content": {"application/pdf": {"schema": {"type": "string"}}}}
        }
    },
    summary="Download the ready PDF",
    tags=["pdf"],
)
def pdf_download(request: HttpRequest, screening_id: Id):
    require_role(request, READ_REPORTS)
    _screening(screening_id)
    try:
        pdf, filename = pdf_for_download(screening_id)
    except ScreeningRefused as exc:
        raise Refused(str(exc)) from exc
    return FileResponse(
        pdf.file.open("rb"), as_attachment=True, filename=filename, content_type="application/pdf"
    )
