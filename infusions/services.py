"""Infusion workflows (issue 18): start a day-of check, record it, authorize the dose, monitor, discharge,
sign. The pages and the API call these; every refusal is an InfusionRefused with the field it
belongs to, and every step is in the audit trail (the model is tracked; reads are audited by the views).

Who does what: clinicians and physicians record (EDIT_RECORDS); only a physician authorizes a dose (a
superuser is not a physician). Nothing changes once the record is signed."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.roles import EDIT_RECORDS, has_any_role, is_physician
from patients.models import Patient
from rules.selectors import engine_ruleset
from screening.engine.measures import CSSRS_QUESTIONS, MeasureInvalid, validate_answers
from screening.engine.vocabulary import NUMBERS
from screening.review import display_name

from .checks import clearance_problems, day_of_items, infusion_decision, latest_screening
from .decision import GO, HOLD, INCOMPLETE, NO, PHYSICIAN, YES
from .models import DISSOCIATION_MAX, RASS_MAX, RASS_MIN, Infusion
from .values import TEXT_MAX, InfusionRefused, collect, number, reading, text, when, whole

PLAN_AHEAD_DAYS = 60


def _recorder(user) -> None:
    if not has_any_role(user, EDIT_RECORDS):
        raise InfusionRefused("Only clinicians and physicians record infusions.")


def _locked(infusion: Infusion, *stages: str) -> Infusion:
    row = Infusion.objects.select_for_update().select_related("screening", "patient").get(pk=infusion.pk)
    if row.signed_at is not None:
        raise InfusionRefused("This infusion record is signed: nothing on it changes.")
    if stages and row.stage not in stages:
        raise InfusionRefused(f"This step does not apply now: the infusion is at '{row.stage}'.")
    return row


def _save(row: Infusion, user, fields: list[str]) -> Infusion:
    row._history_user = user
    row.save(update_fields=fields)
    return row


# ------------------------------------------------------------------------------------------------- start


@transaction.atomic
def infusion_start(*, patient: Patient, user, infusion_on: date | None = None) -> Infusion:
    """Open the day-of record of a planned or today's infusion. Refused unless the patient's latest
    screening is signed cleared and current, or while another infusion of the patient is unsigned."""
    _recorder(user)
    today = timezone.localdate()
    infusion_on = infusion_on or today
    if infusion_on < today or infusion_on > today + timedelta(days=PLAN_AHEAD_DAYS):
        raise InfusionRefused([("infusion_on", f"Choose today or a day up to {PLAN_AHEAD_DAYS} days ahead.")])
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    screening = latest_screening(patient)
    problems = clearance_problems(screening, today)
    if problems:
        raise InfusionRefused(" ".join(problems))
    open_one = Infusion.objects.filter(patient=patient, signed_at__isnull=True).first()
    if open_one is not None:
        raise InfusionRefused(
            f"The infusion of {open_one.infusion_on:%Y-%m-%d} is not signed yet: sign it (given or held) first."
        )
    infusion = Infusion(patient=patient, screening=screening, infusion_on=infusion_on, created_by=user)
    infusion._history_user = user
    infusion.save()
    return infusion


# ------------------------------------------------------------------------------------------- before dosing


@transaction.atomic
def infusion_check(*, infusion: Infusion, user, values: dict[str, Any]) -> Infusion:
    """Record the checks before dosing: today's weight, one or two readings, the day-of checklist
    answers (`checklist_<key>`: yes or no, for the items the screening asks). Until the dose is authorized,
    a later check replaces an earlier one."""
    _recorder(user)
    row = _locked(infusion, "check")
    items = _asked_items(row)
    checked = collect(
        lambda: {
            "weight_kg": number(
                values.get("weight_kg"),
                "weight_kg",
                "Weight today",
                NUMBERS["weight_kg"].low,
                NUMBERS["weight_kg"].high,
                1,
            )
        },
        lambda: reading(values, "pre", "Before dosing"),
        lambda: reading(values, "pre2", "Second reading"),
        lambda: {"checklist": _answers(values, items)},
    )
    if checked["pre_systolic"] is None and checked["pre2_systolic"] is not None:
        raise InfusionRefused([("pre_systolic", "Enter the first reading before the second.")])
    for name, value in checked.items():
        setattr(row, name, value)
    row.checked_by, row.checked_at = user, timezone.now()
    return _save(row, user, [*checked, "checked_by", "checked_at"])


def _asked_items(row: Infusion):
    return day_of_items(row.screening, engine_ruleset(row.screening.ruleset), row.infusion_on)


def _answers(values: dict[str, Any], items) -> dict[str, str]:
    answers, errors = {}, []
    for item in items:
        answer = values.get(f"checklist_{item.key}", "")
        if answer in (YES, NO):
            answers[item.key] = answer
        elif answer not in ("", None):
            errors.append((f"checklist_{item.key}", f"{item.text}: answer yes or no."))
    if errors:
        raise InfusionRefused(errors)
    return answers


@transaction.atomic
def infusion_measure_add(
    *, infusion: Infusion, user, instrument: str, administered_on: date, answers: Any
) -> Infusion:
    """Add a measure taken on the infusion day (a PHQ-9 to follow the response, a C-SSRS screener before
    dosing). It lives on the infusion record, so the screening stays current; the measure rules re-read it."""
    _recorder(user)
    row = _locked(infusion, "check")
    problems = []
    try:
        validate_answers(instrument, answers)
    except MeasureInvalid as exc:
        problems = exc.errors
    if administered_on != row.infusion_on:
        problems = [
            *problems,
            ("administered_on", f"A day-of measure is taken on {row.infusion_on:%Y-%m-%d}."),
        ]
    if problems:
        raise MeasureInvalid(problems)
    if instrument == "cssrs_screener":
        answers = {key: answers.get(key) for key in CSSRS_QUESTIONS}
    row.measures = [
        *(row.measures or []),
        {"instrument": instrument, "administered_on": administered_on.isoformat(), "answers": answers},
    ]
    return _save(row, user, ["measures"])


# ------------------------------------------------------------------------------------------- authorization


@transaction.atomic
def infusion_authorize(*, infusion: Infusion, user, dose_mg: Any, reason: str = "") -> Infusion:
    """A physician authorizes today's dose. Refused while the decision holds or is incomplete; a decision
    that needs the physician's go takes a reason; the dose must lie within today's range (protocol mg/kg
    times today's weight)."""
    if not is_physician(user):
        raise InfusionRefused("Only a physician authorizes a dose.")
    row = _locked(infusion, "check")
    decision = infusion_decision(row)
    if decision.status in (HOLD, INCOMPLETE):
        raise InfusionRefused([("", f"{decision.text}. " + " ".join(decision.reasons))])
    reason = (reason or "").strip()
    errors = []
    if decision.status == PHYSICIAN and not reason:
        errors.append(("reason", "Give the reason for the go: " + " ".join(decision.cautions)))
    if len(reason) > TEXT_MAX:
        errors.append(("reason", f"Keep the reason under {TEXT_MAX} characters."))
    dose_range = decision.dose
    try:
        dose = number(dose_mg, "dose_mg", "Dose", Decimal("0.1"), Decimal("9999"), 1)
    except InfusionRefused as exc:
        errors += exc.errors
        dose = None
    if dose is None and not any(f == "dose_mg" for f, _ in errors):
        errors.append(("dose_mg", "Enter the dose to give, in mg."))
    elif dose is not None and not (
        Decimal(str(dose_range.low_mg)) <= dose <= Decimal(str(dose_range.high_mg))
    ):
        errors.append(
            (
                "dose_mg",
                f"Today's range is {dose_range.low_mg:g}–{dose_range.high_mg:g} mg "
                f"({dose_range.weight_kg:g} kg): enter a dose within it.",
            )
        )
    if errors:
        raise InfusionRefused(errors)
    row.authorized_by, row.authorized_at = user, timezone.now()
    row.authorized_dose_mg, row.go_reason = dose, reason
    row.decision = decision.as_dict()
    return _save(row, user, ["authorized_by", "authorized_at", "authorized_dose_mg", "go_reason", "decision"])


# ------------------------------------------------------------------------------------ during and discharge


@transaction.atomic
def infusion_monitor(*, infusion: Infusion, user, values: dict[str, Any]) -> Infusion:
    """Record the dose given (at most the authorized dose), when it started, the reading at about 40
    minutes, sedation (RASS -5 to +4), dissociation (the clinic's scale) and adverse events."""
    _recorder(user)
    row = _locked(infusion, "authorized", "given")
    scale = values.get("dissociation_scale") or Infusion.Scale.RATING
    checked = collect(
        lambda: {
            "dose_given_mg": number(
                values.get("dose_given_mg"),
                "dose_given_mg",
                "Dose given",
                Decimal("0.1"),
                row.authorized_dose_mg,
                1,
            )
        },
        lambda: {"started_at": when(values.get("started_at"), "started_at", "Started", row.infusion_on)},
        lambda: reading(values, "at40", "At about 40 minutes"),
        lambda: {"rass": whole(values.get("rass"), "rass", "Sedation (RASS)", RASS_MIN, RASS_MAX)},
        lambda: _dissociation(values, scale),
        lambda: {"adverse_events": text(values.get("adverse_events"), "adverse_events", "Adverse events")},
    )
    errors = []
    if checked["dose_given_mg"] is None:
        errors.append(("dose_given_mg", f"Enter the dose given (authorized: {row.authorized_dose_mg} mg)."))
    if checked["started_at"] is None:
        errors.append(("started_at", "Enter when the infusion started."))
    if errors:
        raise InfusionRefused(errors)
    for name, value in checked.items():
        setattr(row, name, value)
    return _save(row, user, list(checked))


def _dissociation(values, scale) -> dict[str, Any]:
    if scale not in DISSOCIATION_MAX:
        raise InfusionRefused([("dissociation_scale", "Choose the clinician rating (0-10) or CADSS.")])
    rating = whole(values.get("dissociation"), "dissociation", "Dissociation", 0, DISSOCIATION_MAX[scale])
    return {"dissociation_scale": scale if rating is not None else "", "dissociation": rating}


@transaction.atomic
def infusion_discharge(*, infusion: Infusion, user, values: dict[str, Any]) -> Infusion:
    """Record the discharge: the reading at discharge, the time, and the escort who takes the patient home
    (required: no discharge without one). The monitoring must be recorded first."""
    _recorder(user)
    row = _locked(infusion, "given", "discharged")
    checked = collect(
        lambda: reading(values, "discharge", "At discharge"),
        lambda: {
            "discharged_at": when(values.get("discharged_at"), "discharged_at", "Discharged", row.infusion_on)
        },
        lambda: {"escort_name": text(values.get("escort_name"), "escort_name", "Escort's name", 200)},
    )
    errors = []
    if checked["discharge_systolic"] is None:
        errors.append(("discharge_systolic", "Enter the blood pressure at discharge."))
    if checked["discharged_at"] is None:
        errors.append(("discharged_at", "Enter the time of discharge."))
    elif row.started_at and checked["discharged_at"] < row.started_at:
        errors.append(("discharged_at", "Discharge comes after the start of the infusion."))
    if not checked["escort_name"]:
        errors.append(("escort_name", "Enter the escort's name: no discharge without an escort."))
    if errors:
        raise InfusionRefused(errors)
    for name, value in checked.items():
        setattr(row, name, value)
    return _save(row, user, list(checked))


# ----------------------------------------------------------------------------------------------- signature


@transaction.atomic
def infusion_sign(*, infusion: Infusion, user, hold_reason: str = "") -> Infusion:
    """Close the record, once. Given: the patient was discharged. Held: no dose was given; the reason is
    the one written, or else the decision's own reasons (a record held with no reason at all is refused)."""
    _recorder(user)
    row = _locked(infusion)
    hold_reason = text(hold_reason, "hold_reason", "Reason for the hold")
    if row.dose_given_mg is not None:
        if row.discharged_at is None:
            raise InfusionRefused("Record the discharge before signing.")
        row.outcome = Infusion.Outcome.GIVEN
    else:
        decision = infusion_decision(row)
        if not hold_reason:
            if decision.status == GO or (row.authorized_at and decision.status == PHYSICIAN):
                raise InfusionRefused(
                    [("hold_reason", "Nothing holds this infusion: say why it was not given.")]
                )
            hold_reason = " ".join(decision.reasons)
        row.outcome = Infusion.Outcome.HELD
        row.hold_reason = hold_reason
        if not row.decision:
            row.decision = decision.as_dict()
    row.signed_by, row.signer_name, row.signed_at = user, display_name(user), timezone.now()
    return _save(row, user, ["outcome", "hold_reason", "decision", "signed_by", "signer_name", "signed_at"])
