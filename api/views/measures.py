"""Measure operations (issue 18): a patient's PHQ-9, GAD-7 and C-SSRS screener administrations, read, recorded
and removed. Only the answers are kept; every response carries the score computed from them."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Status

from core.audit import audit_record
from core.roles import EDIT_RECORDS
from patients.models import Measure, Patient
from patients.services import measure_record, measure_remove
from screening.engine.measures import INSTRUMENTS, MeasureInvalid, validate_answers
from screening.intake.checker import Checker, brief, key_path

from ..auth import by_role, require_role
from ..schemas import MEASURE_BODY, NOT_FOUND, Id, MeasureListOut, MeasureOut, MeasurePage
from .common import Invalid, read_document, router

BODY_FIELDS = ("instrument", "administered_on", "answers")


def _measure_out(measure: Measure) -> dict[str, Any]:
    score = measure.score
    return {
        "id": measure.pk,
        "instrument": measure.instrument,
        "instrument_name": INSTRUMENTS[measure.instrument].name,
        "administered_on": measure.administered_on,
        "answers": measure.answers,
        "entered_by": measure.entered_by.get_username() if measure.entered_by else None,
        "created_at": measure.created_at,
        "score": {
            "total": score.total,
            "band": score.band,
            "item9": score.item9,
            "imminent": score.imminent,
            "summary": score.summary,
        },
    }


def _answers_path(instrument: str, path: str) -> str:
    """An answer's path ("", "[3]", "intent") as a path of the body ("answers", "answers[3]",
    "answers.intent"): an item's index on a summed measure, a question's key (escaped) on the C-SSRS."""
    if not path or INSTRUMENTS[instrument].summed:
        return f"answers{path}"
    return key_path("answers", path)


def _answer_errors(instrument: str, answers: Any) -> list[tuple[str, str]]:
    """The problems of the answers of a known instrument, by their paths in the answers."""
    try:
        validate_answers(instrument, answers)
    except MeasureInvalid as exc:
        return exc.errors
    return []


def measure_problems(exc: MeasureInvalid, instrument: str, answers: Any) -> list[dict[str, str]]:
    """The service's refusal by the body's paths: the answers' problems (those the pure check names) under
    `answers`, any other (the date: in the future, out of range) by the argument it names."""
    answer_errors = _answer_errors(instrument, answers)
    others = list(exc.errors)
    for error in answer_errors:
        if error in others:
            others.remove(error)
    return [{"path": path, "message": message} for path, message in others] + [
        {"path": _answers_path(instrument, path), "message": message} for path, message in answer_errors
    ]


def measure_body(request: HttpRequest) -> tuple[str, date, Any]:
    """The body's instrument, date and answers; else 400 with every problem of the body by its path."""
    doc = read_document(request)
    if not isinstance(doc, dict):
        raise Invalid([{"path": "document", "message": "must be a JSON object"}])
    c = Checker()
    c.obj(doc, "", BODY_FIELDS)  # an unknown field, by its name
    instrument = doc.get("instrument")
    if instrument is None:
        c.error("instrument", "required")
    elif not isinstance(instrument, str) or instrument not in INSTRUMENTS:  # in the intake document's words
        c.error("instrument", f"{brief(instrument)} is not one of {', '.join(INSTRUMENTS)}")
        instrument = None
    administered_on = c.day(doc.get("administered_on"), "administered_on")
    answers = doc.get("answers")
    if answers is None:
        c.error("answers", "required")
    if c.problems:  # the answers' problems too, so that one reply names every problem of the body
        answer_errors = _answer_errors(instrument, answers) if instrument and answers is not None else []
        raise Invalid(
            [problem.as_dict() for problem in c.problems]
            + [
                {"path": _answers_path(instrument, path), "message": message}
                for path, message in answer_errors
            ]
        )
    return instrument, administered_on, answers


@router.get(
    "/patients/{patient_id}/measures",
    response={200: MeasureListOut, **NOT_FOUND},
    summary="The patient's measures (PHQ-9, GAD-7, C-SSRS screener), each with its computed score",
    tags=["measures"],
    auth=by_role(EDIT_RECORDS),
)
def measure_list(request: HttpRequest, patient_id: Id, page: Query[MeasurePage]):
    require_role(request, EDIT_RECORDS)
    patient = get_object_or_404(Patient.objects.only("pk"), pk=patient_id)
    measures = patient.measures.select_related("entered_by").order_by("-administered_on", "-pk")
    audit_record(action="view", request=request, obj=patient, detail="API measures")
    return Status(
        200,
        {
            "count": measures.count(),
            "limit": page.limit,
            "offset": page.offset,
            "measures": [_measure_out(m) for m in measures[page.offset : page.offset + page.limit]],
        },
    )


@router.post(
    "/patients/{patient_id}/measures",
    response={201: MeasureOut, **NOT_FOUND},
    openapi_extra=MEASURE_BODY,
    summary="Record a measure the patient completed: its answers are checked and scored (all or nothing)",
    tags=["measures"],
    auth=by_role(EDIT_RECORDS),
)
def measure_create(request: HttpRequest, patient_id: Id):
    user = require_role(request, EDIT_RECORDS)
    patient = get_object_or_404(Patient.objects.only("pk"), pk=patient_id)
    instrument, administered_on, answers = measure_body(request)
    try:
        measure = measure_record(
            patient=patient,
            instrument=instrument,
            administered_on=administered_on,
            answers=answers,
            user=user,
        )
    except MeasureInvalid as exc:
        raise Invalid(measure_problems(exc, instrument, answers)) from exc
    except Patient.DoesNotExist as exc:  # removed since it was looked up
        raise Http404 from exc
    return Status(201, _measure_out(measure))


@router.delete(
    "/patients/{patient_id}/measures/{measure_id}",
    response={204: None, **NOT_FOUND},
    summary="Remove a measure entered in error (its history is kept)",
    tags=["measures"],
    auth=by_role(EDIT_RECORDS),
)
def measure_delete(request: HttpRequest, patient_id: Id, measure_id: Id):
    user = require_role(request, EDIT_RECORDS)
    measure = get_object_or_404(Measure, pk=measure_id, patient_id=patient_id)
    measure_remove(measure=measure, user=user)
    return Status(204, None)
