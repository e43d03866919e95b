"""Infusion operations (issue 18): a patient's infusion series, and each infusion's day written step by
step (check, measures, authorization, monitoring, discharge, signature) through the services the pages call.

A body is checked for its shape here (unknown fields, JSON types: 400 by path, nothing written); the values
themselves by the services, whose refusals keep their words: a field's problem is 400 at that field, the
record's state (not cleared, signed already, a hold, another step first) is 409."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Status

from core.audit import audit_record
from core.roles import DECIDE, EDIT_RECORDS
from infusions.checks import day_of_items, infusion_decision
from infusions.models import Infusion
from infusions.selectors import patient_infusions, patient_series
from infusions.services import (
    InfusionRefused,
    infusion_authorize,
    infusion_check,
    infusion_discharge,
    infusion_measure_add,
    infusion_monitor,
    infusion_sign,
    infusion_start,
)
from patients.models import Patient
from rules.selectors import engine_ruleset
from screening.engine.measures import INSTRUMENTS, MeasureInvalid
from screening.engine.measures import score as score_measure
from screening.intake.checker import Checker, brief, key_path

from .. import infusion_schemas as shapes
from ..auth import by_role, require_role
from ..infusion_schemas import BodyField, InfusionListOut, InfusionOut
from ..schemas import MEASURE_BODY, NOT_FOUND, ErrorOut, Id
from .common import Invalid, Refused, read_document

# the measure body is the measures operation's own: the same fields, checked and refused in the same words
from .measures import measure_body, measure_problems

router = Router()  # added to the API in api/urls.py
TAGS = ["infusions"]
WRITES = {200: InfusionOut, 409: ErrorOut, **NOT_FOUND}


# ------------------------------------------------------------------------------------------------ bodies


def _typed(c: Checker, path: str, spec: BodyField, value: Any) -> Any:
    """The value if its JSON type is the field's (null: not given); else a problem at its path."""
    if value is None:
        return None
    if spec.kind in (shapes.INTEGER, shapes.NUMBER):
        if isinstance(value, bool) or not isinstance(value, int | float):
            c.error(path, f"must be a number, got {brief(value)}")
            return None
        return value
    if spec.kind == shapes.MOMENT:
        return c.moment(value, path)
    if spec.kind == shapes.DAY:
        return c.day(value, path, required=False)
    if spec.choices:
        return c.choice(value, path, spec.choices, default=None)
    if not isinstance(value, str):
        c.error(path, f"must be text, got {type(value).__name__}")
        return None
    return value


def _body(request: HttpRequest, fields: dict[str, BodyField], not_asked=frozenset()) -> dict[str, Any]:
    """The body's values by field (an empty body: none); else 400 with every problem by its path."""
    doc = read_document(request) if request.body.strip() else {}
    if not isinstance(doc, dict):
        raise Invalid([{"path": "document", "message": "must be a JSON object"}])
    c, values = Checker(), {}
    for key, value in doc.items():
        if key in fields:
            values[key] = _typed(c, key, fields[key], value)
        else:
            c.error(key_path("", key), "not asked on this infusion" if key in not_asked else "unknown field")
    if c.problems:
        raise Invalid([problem.as_dict() for problem in c.problems])
    return values


@contextmanager
def _refusals() -> Iterator[None]:
    """A service's refusal: 400 when it names fields only, else 409 in its words (with any fields)."""
    try:
        yield
    except InfusionRefused as exc:
        state = [message for field, message in exc.errors if not field]
        fields = [{"path": field, "message": message} for field, message in exc.errors if field]
        if state:
            raise Refused(" ".join(state), fields) from exc
        raise Invalid(fields) from exc


# ------------------------------------------------------------------------------------------------ records


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


def _measure_out(measure: dict[str, Any]) -> dict[str, Any]:
    score = score_measure(measure["instrument"], measure["answers"])
    return {
        **measure,
        "instrument_name": INSTRUMENTS[measure["instrument"]].name,
        "score": {
            "total": score.total,
            "band": score.band,
            "item9": score.item9,
            "imminent": score.imminent,
            "summary": score.summary,
        },
    }


def _history(infusion: Infusion) -> list[dict[str, Any]]:
    steps = infusion.history.select_related("history_user").order_by("history_date", "history_id")
    return [
        {"at": step.history_date, "by": _username(step.history_user), "stage": step.instance.stage}
        for step in steps
    ]


def _record_out(infusion: Infusion) -> dict[str, Any]:
    ruleset = engine_ruleset(infusion.screening.ruleset)
    items = day_of_items(infusion.screening, ruleset, infusion.infusion_on)
    answers = infusion.checklist or {}
    signed_with = infusion.decision if infusion.signed_at and infusion.decision else None
    steps = {  # as the step bodies name them; a choice not made is null
        name: (getattr(infusion, name) or None) if spec.choices else getattr(infusion, name)
        for fields in (shapes.CHECK_FIELDS, shapes.MONITOR_FIELDS, shapes.DISCHARGE_FIELDS)
        for name, spec in fields.items()
    }
    return {
        "id": infusion.pk,
        "patient_id": infusion.patient_id,
        "screening_id": infusion.screening_id,
        "infusion_on": infusion.infusion_on,
        "stage": infusion.stage,
        "created_by": _username(infusion.created_by),
        "created_at": infusion.created_at,
        "checklist": [{"key": i.key, "text": i.text, "answer": answers.get(i.key)} for i in items],
        "measures": [_measure_out(m) for m in infusion.measures or []],
        "checked_by": _username(infusion.checked_by),
        "checked_at": infusion.checked_at,
        "decision": signed_with or infusion_decision(infusion).as_dict(),
        "authorized_by": _username(infusion.authorized_by),
        "authorized_at": infusion.authorized_at,
        "recorded_decision": infusion.decision or None,
        "authorized_dose_mg": infusion.authorized_dose_mg,
        "go_reason": infusion.go_reason,
        "outcome": infusion.outcome or None,
        "hold_reason": infusion.hold_reason,
        "signed_by": _username(infusion.signed_by),
        "signer_name": infusion.signer_name,
        "signed_at": infusion.signed_at,
        "history": _history(infusion),
        **steps,
    }


def _summary_out(infusion: Infusion) -> dict[str, Any]:
    decision = infusion.decision or {}
    return {
        "id": infusion.pk,
        "infusion_on": infusion.infusion_on,
        "stage": infusion.stage,
        "outcome": infusion.outcome or None,
        "screening_id": infusion.screening_id,
        # only the one open record (a patient has at most one) is decided afresh
        "decision_status": decision.get("status") or infusion_decision(infusion).status,
        "authorized_dose_mg": infusion.authorized_dose_mg,
        "dose_given_mg": infusion.dose_given_mg,
        "signed_at": infusion.signed_at,
    }


def _infusion_or_404(infusion_id: int) -> Infusion:
    related = ("patient", "screening__ruleset", "created_by", "checked_by", "authorized_by", "signed_by")
    return get_object_or_404(Infusion.objects.select_related(*related), pk=infusion_id)


# ------------------------------------------------------------------------------------------------ series


@router.get(
    "/patients/{patient_id}/infusions",
    response={200: InfusionListOut, **NOT_FOUND},
    summary="The patient's infusion series: each infusion, most recent first, and the PHQ-9 response",
    tags=TAGS,
    auth=by_role(EDIT_RECORDS),
)
def infusion_list(request: HttpRequest, patient_id: Id):
    require_role(request, EDIT_RECORDS)
    patient = get_object_or_404(Patient.objects.only("pk"), pk=patient_id)
    infusions = list(patient_infusions(patient).select_related("screening__ruleset", "patient"))
    audit_record(action="view", request=request, obj=patient, detail="API infusions")
    return Status(
        200,
        {
            "count": len(infusions),
            "infusions": [_summary_out(i) for i in infusions],
            "series": asdict(patient_series(patient, infusions)),
        },
    )


@router.post(
    "/patients/{patient_id}/infusions",
    response={201: InfusionOut, 409: ErrorOut, **NOT_FOUND},
    openapi_extra=shapes.START_BODY,
    summary="Open the day-of record of an infusion (refused without a current screening signed cleared)",
    tags=TAGS,
    auth=by_role(EDIT_RECORDS),
)
def infusion_create(request: HttpRequest, patient_id: Id):
    user = require_role(request, EDIT_RECORDS)
    patient = get_object_or_404(Patient.objects.only("pk"), pk=patient_id)
    values = _body(request, shapes.START_FIELDS)
    with _refusals():
        try:
            infusion = infusion_start(patient=patient, user=user, infusion_on=values.get("infusion_on"))
        except Patient.DoesNotExist as exc:  # removed since it was looked up
            raise Http404 from exc
    return Status(201, _record_out(_infusion_or_404(infusion.pk)))


# ------------------------------------------------------------------------------------------------ one infusion


@router.get(
    "/infusions/{infusion_id}",
    response={200: InfusionOut, **NOT_FOUND},
    summary="An infusion record: every step, the day's measures, the checklist and the go/hold decision",
    tags=TAGS,
    auth=by_role(EDIT_RECORDS),
)
def infusion_read(request: HttpRequest, infusion_id: Id):
    require_role(request, EDIT_RECORDS)
    infusion = _infusion_or_404(infusion_id)
    audit_record(action="view", request=request, obj=infusion, detail="API infusion")
    return Status(200, _record_out(infusion))


def _step(request: HttpRequest, infusion_id: int, roles, fields, act):
    """Check the body (`fields`, or `fields(infusion)` -> fields and those not asked), then let the service
    record it: the record as it now stands."""
    user = require_role(request, roles)
    infusion = _infusion_or_404(infusion_id)
    fields, not_asked = fields(infusion) if callable(fields) else (fields, frozenset())
    values = _body(request, fields, not_asked)
    with _refusals():
        act(infusion=infusion, user=user, values=values)
    return Status(200, _record_out(_infusion_or_404(infusion_id)))


def _check_fields(infusion: Infusion) -> tuple[dict[str, BodyField], frozenset[str]]:
    """The check's fields: the readings, and an answer to each day-of item this infusion asks (an item of
    the rule set it does not ask is named as such)."""
    ruleset = engine_ruleset(infusion.screening.ruleset)
    asked = {item.key for item in day_of_items(infusion.screening, ruleset, infusion.infusion_on)}
    answer = BodyField(shapes.TEXT, "yes or no", shapes.ANSWERS)
    checklist = {
        f"{shapes.CHECKLIST_PREFIX}{item.key}": item.key in asked
        for item in ruleset.protocol.day_of_checklist
    }
    fields = {**shapes.CHECK_FIELDS, **{name: answer for name, is_asked in checklist.items() if is_asked}}
    return fields, frozenset(name for name, is_asked in checklist.items() if not is_asked)


@router.post(
    "/infusions/{infusion_id}/check",
    response=WRITES,
    openapi_extra=shapes.CHECK_BODY,
    summary="Record the checks before dosing: weight, blood pressure, the day-of checklist",
    tags=TAGS,
    auth=by_role(EDIT_RECORDS),
)
def infusion_check_create(request: HttpRequest, infusion_id: Id):
    return _step(request, infusion_id, EDIT_RECORDS, _check_fields, infusion_check)


@router.post(
    "/infusions/{infusion_id}/measures",
    response=WRITES,
    openapi_extra=MEASURE_BODY,
    summary="Add a measure taken on the infusion day (PHQ-9, GAD-7, C-SSRS screener), checked and scored",
    tags=TAGS,
    auth=by_role(EDIT_RECORDS),
)
def infusion_measure_create(request: HttpRequest, infusion_id: Id):
    user = require_role(request, EDIT_RECORDS)
    infusion = _infusion_or_404(infusion_id)
    instrument, administered_on, answers = measure_body(request)
    with _refusals():
        try:
            infusion_measure_add(
                infusion=infusion,
                user=user,
                instrument=instrument,
                administered_on=administered_on,
                answers=answers,
            )
        except MeasureInvalid as exc:
            raise Invalid(measure_problems(exc, instrument, answers)) from exc
    return Status(200, _record_out(_infusion_or_404(infusion_id)))


@router.post(
    "/infusions/{infusion_id}/authorize",
    response=WRITES,
    openapi_extra=shapes.AUTHORIZE_BODY,
    summary="A physician authorizes today's dose (refused while the decision holds or is incomplete)",
    tags=TAGS,
    auth=by_role(DECIDE),
)
def infusion_authorize_create(request: HttpRequest, infusion_id: Id):
    def act(*, infusion, user, values):
        infusion_authorize(
            infusion=infusion, user=user, dose_mg=values.get("dose_mg"), reason=values.get("reason") or ""
        )

    return _step(request, infusion_id, DECIDE, shapes.AUTHORIZE_FIELDS, act)


@router.post(
    "/infusions/{infusion_id}/monitor",
    response=WRITES,
    openapi_extra=shapes.MONITOR_BODY,
    summary="Record the dose given, its start, the reading at about 40 minutes, sedation, dissociation",
    tags=TAGS,
    auth=by_role(EDIT_RECORDS),
)
def infusion_monitor_create(request: HttpRequest, infusion_id: Id):
    return _step(request, infusion_id, EDIT_RECORDS, shapes.MONITOR_FIELDS, infusion_monitor)


@router.post(
    "/infusions/{infusion_id}/discharge",
    response=WRITES,
    openapi_extra=shapes.DISCHARGE_BODY,
    summary="Record the discharge: the reading, the time and the escort",
    tags=TAGS,
    auth=by_role(EDIT_RECORDS),
)
def infusion_discharge_create(request: HttpRequest, infusion_id: Id):
    return _step(request, infusion_id, EDIT_RECORDS, shapes.DISCHARGE_FIELDS, infusion_discharge)


@router.post(
    "/infusions/{infusion_id}/sign",
    response=WRITES,
    openapi_extra=shapes.SIGN_BODY,
    summary="Sign the record, once: given (once discharged) or held (with the reason). Final.",
    tags=TAGS,
    auth=by_role(EDIT_RECORDS),
)
def infusion_sign_create(request: HttpRequest, infusion_id: Id):
    def act(*, infusion, user, values):
        infusion_sign(infusion=infusion, user=user, hold_reason=values.get("hold_reason") or "")

    return _step(request, infusion_id, EDIT_RECORDS, shapes.SIGN_FIELDS, act)
