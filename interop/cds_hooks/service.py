"""The CDS Hooks service: its discovery document, a `patient-view` call answered with cards, and feedback.

    patient_view(call, base_url=...) -> Answer (cards, and the app's patient id when the MRN matches one)

A call screens the EHR's prefetched record exactly as the app screens an intake (the FHIR mapping of
interop.fhir.read, then screening.services.intake_evaluate) and stores nothing but its audit entry: no
patient, no screening, no PHI in the log. Entry points (the JSON API's operations and the top-level
/cds-services views) authenticate the caller (auth.py) and call `cds_service_call` / `cds_feedback_record`.
"""

from __future__ import annotations

import copy
import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.urls import reverse
from django.utils import timezone

from core.audit import audit_record
from interop.fhir import codes
from interop.fhir.read import FhirInvalid, Mapped, intake_from_resources
from patients.selectors import exact_mrn_patient_id
from rules.selectors import NoActiveRuleSet, active_ruleset, verified_engine_ruleset
from screening.intake import IntakeInvalid, validate_intake
from screening.services import intake_evaluate

from .auth import CdsClient, public_base
from .cards import OVERRIDE_REASONS, Frame, code, md, not_run_card, report_cards
from .prefetch import PREFETCH, WHAT, Prefetched, PrefetchMissing, prefetched
from .recency import data_dates, drop_stale_questionnaires
from .schemas import Feedback, HookCall

SERVICE_ID = "ketamine-screening"
NO_SUCH_SERVICE = "No such CDS service: see /cds-services."
SERVICES: dict[str, dict[str, Any]] = {
    SERVICE_ID: {
        "hook": "patient-view",
        "id": SERVICE_ID,
        "title": "Ketamine pre-infusion screening",
        "description": (
            "Screens the patient in context against the clinic's published ketamine pre-infusion rule set "
            "(contraindications, deferrals, missing information, precautions) and answers with the verdict "
            "and one card per finding. Reads the prefetch only; stores nothing."
        ),
        "prefetch": PREFETCH,
        "usageRequirements": (
            "Every call carries a JWT signed with an asymmetric key (ES384 or RS384 recommended) by an "
            "issuer the clinic trusts (CDS_HOOKS_ISSUERS). The yes/no "
            "answers come from the product's intake QuestionnaireResponse: without it they are unknown and "
            "the verdict is 'needs information'."
        ),
    }
}
# Identity the screening itself does not read: when the EHR sends none that the intake accepts, the
# screening runs under these (said on the card); never stored, never matched to a record.
PLACEHOLDERS = {"mrn": "CDS-HOOKS-NO-MRN", "given_name": "Unknown", "family_name": "Unknown"}
# The EHR user the audit trail names: a Practitioner or PractitionerRole reference, nothing else (never a
# patient, never free text); anything else is recorded as UNRECOGNISED.
EHR_USER = re.compile(r"(Practitioner|PractitionerRole)/[A-Za-z0-9\-.]{1,64}")
UNRECOGNISED = "unrecognised"


class CallInvalid(Exception):
    """400: the call cannot be answered as sent; `problems` by path."""

    def __init__(self, problems: list[dict[str, str]]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclass(frozen=True)
class Answer:
    cards: list[dict[str, Any]]
    patient_id: int | None  # the app's patient with the record's MRN, if there is one


def discovery() -> dict[str, Any]:
    return {"services": list(SERVICES.values())}


def service_known(service_id: str) -> bool:
    return service_id in SERVICES


def cds_service_call(*, request, service_id: str, call: HookCall, client: CdsClient) -> dict[str, Any]:
    """Answer one hook call with cards, and record it in the audit trail (caller, hook instance, the app's
    patient when one matches; never the data sent)."""
    hook = SERVICES[service_id]["hook"]
    if call.hook != hook:
        raise CallInvalid([{"path": "hook", "message": f"this service answers {hook}, not {call.hook}"}])
    answer = patient_view(call, base_url=public_base(request))  # PrefetchMissing: 412, nothing read
    user = call.context.userId if EHR_USER.fullmatch(call.context.userId) else UNRECOGNISED
    detail = (
        f"CDS Hooks {service_id}, nothing stored; EHR user {user}; summary card {answer.cards[0]['uuid']}"
    )
    audit_record(
        action="screen",
        request=request,
        object_type="cds_hook",
        object_id=_audited_id(call.hookInstance),
        patient_id=answer.patient_id,
        user_name=client.actor,
        detail=detail,
    )
    return {"cards": answer.cards}


def _audited_id(hook_instance: str) -> str:
    """The hook instance as the audit trail keeps it: itself when it is a UUID, as the specification asks;
    otherwise its sha256 (whatever a client puts there never reaches the trail as text)."""
    try:
        return str(uuid.UUID(hook_instance))
    except ValueError:
        return "sha256:" + hashlib.sha256(hook_instance.encode()).hexdigest()[:32]


def cds_feedback_record(*, request, service_id: str, feedback: Feedback, client: CdsClient) -> int:
    """One audit entry per feedback item: the card, the outcome and the override reason's code when it is
    one of the rule set's coded reasons (else UNRECOGNISED: the client's text is never recorded, nor the
    user's comment)."""
    known = _override_reason_codes()
    for item in feedback.feedback:
        reason = item.overrideReason.reason if item.overrideReason else None
        detail = f"CDS Hooks {service_id}: {item.outcome}"
        if reason is not None:
            recognised = reason.system == OVERRIDE_REASONS and reason.code in known
            detail += f", reason {reason.code if recognised else UNRECOGNISED}"
        audit_record(
            action="feedback",
            request=request,
            object_type="cds_card",
            object_id=str(item.card),
            user_name=client.actor,
            detail=detail,
        )
    return len(feedback.feedback)


def _override_reason_codes() -> set[str]:
    """The coded override reasons the active rule set's cards offer: those of the rules a physician may set
    aside (none without an active rule set)."""
    try:
        ruleset = verified_engine_ruleset(active_ruleset())
    except NoActiveRuleSet:
        return set()
    return {
        reason.code for rule in ruleset.rules if rule.policy != "none" for reason in rule.override_reasons
    }


def patient_view(call: HookCall, *, base_url: str, today: date | None = None) -> Answer:
    """The cards for the patient in context, from the prefetch alone. Raises PrefetchMissing (412) when a
    required prefetch key was not sent."""
    today = today or timezone.localdate()
    got = prefetched(call.prefetch, call.context.patientId, call.fhirServer)
    if got.missing:
        raise PrefetchMissing(got.missing)
    frame = _frame(call, base_url, "", None)
    if got.stops:
        return Answer([not_run_card(frame, got.stops, [])], None)
    try:
        ruleset = verified_engine_ruleset(active_ruleset())
    except NoActiveRuleSet:  # none published, or its rows fail their integrity check (logged there)
        return Answer([not_run_card(frame, ["the app has no active rule set it can screen with"], [])], None)
    assumed = [
        f"No {WHAT[key]} was sent (prefetch `{key}`): every answer it carries is unknown, so the "
        "screening cannot conclude on them (fail closed)."
        for key in got.absent
    ]
    assumed += drop_stale_questionnaires(got, today, ruleset.protocol.validity_days)
    try:
        mapped = _mapped(got, today, assumed)
    except FhirInvalid as exc:
        return Answer([not_run_card(frame, _lines(exc.problems), assumed)], None)
    intake, valid, refused = _screenable(mapped.intake, mapped.origins, assumed)
    frame = _frame(call, base_url, ruleset.version, None)
    if refused:
        return Answer([not_run_card(frame, refused, assumed)], None)
    mrn = valid["patient"]["mrn"]
    patient_id = None if mrn == PLACEHOLDERS["mrn"] else exact_mrn_patient_id(mrn)
    report = intake_evaluate(intake=intake, ruleset=ruleset)
    frame = _frame(call, base_url, ruleset.version, patient_id)
    unread = [*got.unread, *mapped.unmapped]
    dates = data_dates(got, intake, mapped.origins)
    return Answer(
        report_cards(frame, report, ruleset, unread=unread, assumed=assumed, dates=dates), patient_id
    )


def _frame(call: HookCall, base_url: str, version: str, patient_id: int | None) -> Frame:
    label = "Ketamine pre-infusion screening" + (f", rule set {version}" if version else "")
    if patient_id is None:
        link = {
            "label": "Add this patient in the screening app",
            "url": base_url + reverse("patients:create"),
            "type": "absolute",
        }
    else:
        link = {
            "label": "Open the patient's record in the screening app",
            "url": base_url + reverse("patients:detail", args=[patient_id]),
            "type": "absolute",
        }
    return Frame(hook_instance=call.hookInstance, label=label, app_url=base_url + "/", link=link)


def _mapped(got: Prefetched, today: date, assumed: list[str]) -> Mapped:
    """The FHIR mapping of the prefetch. A record without a usable MRN is mapped again with a placeholder
    MRN (the screening does not read it), and the card says so."""
    try:
        return intake_from_resources(got.resources, assessed_on=today, paths=got.paths)
    except FhirInvalid as exc:
        patients = {
            f"{path}.identifier"
            for resource, path in zip(got.resources, got.paths, strict=True)
            if resource.get("resourceType") == "Patient"
        }
        about_mrn = [p for p in exc.problems if p["path"] in patients]
        if not about_mrn or len(about_mrn) < len(exc.problems):
            raise
        resources = [_with_placeholder_mrn(r) for r in got.resources]
        mapped = intake_from_resources(resources, assessed_on=today, paths=got.paths)
        assumed.append(
            f"The EHR record has no usable MRN ({md(about_mrn[0]['message'])}): screened under a "
            "placeholder, not matched to a record in the app."
        )
        return mapped


def _with_placeholder_mrn(resource: dict[str, Any]) -> dict[str, Any]:
    if resource.get("resourceType") != "Patient":
        return resource
    patient = copy.deepcopy(resource)
    patient["identifier"] = [{"system": codes.MRN_SYSTEM, "value": PLACEHOLDERS["mrn"]}]
    return patient


def _screenable(
    intake: dict[str, Any], origins: dict[str, str], assumed: list[str]
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """The intake the engine can screen and its validated form, with identity it does not read replaced by
    placeholders when the EHR's is not accepted (said on the card); or, when something else is wrong,
    every problem (by the intake's path and the FHIR path it came from)."""
    try:
        return intake, validate_intake(intake), []
    except IntakeInvalid as exc:
        identity = {f"patient.{name}" for name in PLACEHOLDERS}
        if any(problem.path not in identity for problem in exc.problems):
            return intake, {}, [_problem_line(p.path, p.message, origins) for p in exc.problems]
        intake = copy.deepcopy(intake)
        for problem in exc.problems:
            name = problem.path.removeprefix("patient.")
            intake["patient"][name] = PLACEHOLDERS[name]
            why = "not matched to a record in the app" if name == "mrn" else "the rules do not read it"
            line = _problem_line(problem.path, problem.message, origins)
            assumed.append(f"{line}: screened under a placeholder ({why}).")
    try:
        return intake, validate_intake(intake), []
    except IntakeInvalid as exc:
        return intake, {}, [_problem_line(p.path, p.message, origins) for p in exc.problems]


def _problem_line(path: str, message: str, origins: dict[str, str]) -> str:
    source = origins.get(path)
    where = code(path) + (f" (from {code(source)})" if source else "")
    return f"{where}: {md(message)}"


def _lines(problems: list[dict[str, str]]) -> list[str]:
    return [f"{code(p['path'])}: {md(p['message'])}" for p in problems]
