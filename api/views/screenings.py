"""Screening operations: run and read screenings, override, co-sign, sign."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Status

from core.roles import EDIT_RECORDS, READ_REPORTS
from patients.models import Patient
from screening.intake import IntakeInvalid
from screening.models import FindingOverride, Screening, SignOff
from screening.services import (
    effective_verdict,
    finding_override,
    override_cosign,
    screening_run,
    screening_sign,
    unscreenable_message,
)

from ..auth import require_role
from ..schemas import (
    NOT_FOUND,
    ErrorOut,
    Id,
    OverrideIn,
    OverrideOut,
    ScreeningOut,
    SignoffOut,
)
from .common import Refused, intake_problems, router


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


def screening_or_404(screening_id: int) -> Screening:
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
        raise Refused(unscreenable_message(exc), intake_problems(exc)) from exc
    return Status(201, _screening_out(screening))


@router.get(
    "/screenings/{screening_id}",
    response={200: ScreeningOut, **NOT_FOUND},
    summary="A stored screening: report, overrides and sign-off",
    tags=["screenings"],
)
def screening_read(request: HttpRequest, screening_id: Id):
    require_role(request, READ_REPORTS)
    return Status(200, _screening_out(screening_or_404(screening_id)))


@router.post(
    "/screenings/{screening_id}/overrides",
    response={201: OverrideOut, 409: ErrorOut, **NOT_FOUND},
    summary="Set a finding aside with a reason (a contraindication then needs a second clinician)",
    tags=["review"],
)
def override_create(request: HttpRequest, screening_id: Id, payload: OverrideIn):
    user = require_role(request, EDIT_RECORDS)
    screening = screening_or_404(screening_id)
    override = finding_override(screening=screening, rule=payload.rule, reason=payload.reason, user=user)
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
    override = override_cosign(override=override, user=user)
    return Status(201, _override_out(override))


@router.post(
    "/screenings/{screening_id}/signoff",
    response={201: SignoffOut, 409: ErrorOut, **NOT_FOUND},
    summary="Sign the screening (final: no override or co-signature after it)",
    tags=["review"],
)
def signoff_create(request: HttpRequest, screening_id: Id):
    user = require_role(request, EDIT_RECORDS)
    screening = screening_or_404(screening_id)
    signoff = screening_sign(screening=screening, user=user)
    return Status(201, _signoff_out(signoff))
