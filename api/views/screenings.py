"""Screening operations: run and read screenings, override, co-sign, sign."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Status

from core.audit import audit_record
from core.roles import DECIDE, EDIT_RECORDS, READ_REPORTS
from patients.models import Patient
from screening.intake import IntakeInvalid
from screening.models import FindingOverride, OverrideSuggestion, Screening, SignOff
from screening.review import (
    finding_override,
    override_cosign,
    override_suggest,
    screening_rules,
    screening_sign,
)
from screening.selectors import review_state
from screening.services import screening_run, unscreenable_message

from ..auth import by_role, require_role
from ..schemas import (
    NOT_FOUND,
    ErrorOut,
    Id,
    OverrideIn,
    OverrideOut,
    ScreeningOut,
    SignoffIn,
    SignoffOut,
    SuggestionIn,
    SuggestionOut,
)
from .common import Refused, intake_problems, router


def _override_out(o: FindingOverride) -> dict[str, Any]:
    return {
        "id": o.pk,
        "rule": o.rule,
        "severity": o.severity,
        "reason": o.reason,
        "reason_code": o.reason_code or None,
        "overridden_by": o.overridden_by_name,
        "created_at": o.created_at,
        "needs_cosign": o.needs_cosign,
        "cosigned_by": o.cosigned_by_name or None,
        "cosigned_at": o.cosigned_at,
        "in_force": o.in_force,
    }


def _suggestion_out(s: OverrideSuggestion) -> dict[str, Any]:
    return {
        "id": s.pk,
        "rule": s.rule,
        "note": s.note,
        "suggested_by": s.suggested_by_name,
        "created_at": s.created_at,
    }


def _signoff_out(s: SignOff | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {
        "id": s.pk,
        "signed_by": s.signer_name,
        "signed_at": s.signed_at,
        "decision": s.decision or None,
        "note": s.note,
        "effective_verdict": s.effective_verdict or None,
        "acknowledged": s.acknowledged,
        "checklist": s.checklist,
    }


def _screening_out(screening: Screening) -> dict[str, Any]:
    state = review_state(screening)
    rules = screening_rules(screening)
    return {
        "id": screening.pk,
        "patient_id": screening.patient_id,
        "created_at": screening.created_at,
        "assessed_on": screening.assessed_on,
        "verdict": screening.verdict,
        **state.as_api(),
        "override_policy": {
            f["rule"]: rules[f["rule"]].policy if f["rule"] in rules else "none"
            for f in screening.report["findings"]
        },
        "ruleset": {"version": screening.ruleset_version, "sha256": screening.ruleset_sha256},
        "engine_version": screening.engine_version,
        "report": screening.report,
        "overrides": [_override_out(o) for o in state.overrides],
        "suggestions": [_suggestion_out(s) for s in state.suggestions],
        "signoff": _signoff_out(state.signoff),
    }


def screening_or_404(screening_id: int) -> Screening:
    return get_object_or_404(Screening.objects.select_related("ruleset"), pk=screening_id)


@router.post(
    "/patients/{patient_id}/screenings",
    response={201: ScreeningOut, 409: ErrorOut, **NOT_FOUND},
    summary="Screen the patient's current record and store the result (an immutable screening)",
    tags=["screenings"],
    auth=by_role(EDIT_RECORDS),
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
    auth=by_role(READ_REPORTS),
)
def screening_read(request: HttpRequest, screening_id: Id):
    require_role(request, READ_REPORTS)
    screening = screening_or_404(screening_id)
    audit_record(action="view", request=request, obj=screening, detail="API screening")
    return Status(200, _screening_out(screening))


@router.post(
    "/screenings/{screening_id}/overrides",
    response={201: OverrideOut, 409: ErrorOut, **NOT_FOUND},
    summary="A physician sets a finding aside, as its rule allows (reason, or reason and co-signature)",
    tags=["review"],
    auth=by_role(DECIDE),
)
def override_create(request: HttpRequest, screening_id: Id, payload: OverrideIn):
    user = require_role(request, DECIDE)
    screening = screening_or_404(screening_id)
    override = finding_override(
        screening=screening,
        rule=payload.rule,
        reason=payload.reason,
        reason_code=payload.reason_code,
        user=user,
    )
    return Status(201, _override_out(override))


@router.post(
    "/screenings/{screening_id}/suggestions",
    response={201: SuggestionOut, 409: ErrorOut, **NOT_FOUND},
    summary="A clinician suggests an override to the physician (a note, never in force)",
    tags=["review"],
    auth=by_role(EDIT_RECORDS),
)
def suggestion_create(request: HttpRequest, screening_id: Id, payload: SuggestionIn):
    user = require_role(request, EDIT_RECORDS)
    screening = screening_or_404(screening_id)
    suggestion = override_suggest(screening=screening, rule=payload.rule, note=payload.note, user=user)
    return Status(201, _suggestion_out(suggestion))


@router.post(
    "/screenings/{screening_id}/overrides/{override_id}/cosign",
    response={201: OverrideOut, 409: ErrorOut, **NOT_FOUND},
    summary="A second, different physician co-signs an override",
    tags=["review"],
    auth=by_role(DECIDE),
)
def override_cosign_create(request: HttpRequest, screening_id: Id, override_id: Id):
    user = require_role(request, DECIDE)
    override = get_object_or_404(FindingOverride, pk=override_id, screening_id=screening_id)
    override = override_cosign(override=override, user=user)
    return Status(201, _override_out(override))


@router.post(
    "/screenings/{screening_id}/signoff",
    response={201: SignoffOut, 409: ErrorOut, **NOT_FOUND},
    summary="A physician signs the decision: cleared (eligible and current only) or not_cleared. Final.",
    tags=["review"],
    auth=by_role(DECIDE),
)
def signoff_create(request: HttpRequest, screening_id: Id, payload: SignoffIn):
    user = require_role(request, DECIDE)
    screening = screening_or_404(screening_id)
    signoff = screening_sign(
        screening=screening,
        user=user,
        decision=payload.decision,
        note=payload.note,
        checklist=payload.checklist,
    )
    return Status(201, _signoff_out(signoff))
