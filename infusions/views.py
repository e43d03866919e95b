"""The day-of-infusion pages (issue 18): start a day-of check for a patient; the infusion's page, with the
go/hold decision at the top and one card per step (before dosing, the physician's authorization, during the
infusion, discharge, signature); a measure taken on the day. Each step posts to its own URL and calls its
service; a refusal shows the whole page again (400) with the values as typed and each message on its field.

Clinicians and physicians only (EDIT_RECORDS); the authorization is a physician's act, refused by its
service to anyone else. Every page that shows the patient is a read in the audit trail."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from core.audit import audit_record
from core.roles import EDIT_RECORDS, RoleRequiredMixin, is_physician
from patients.measure_forms import MeasureForm
from patients.models import Patient
from rules.selectors import engine_ruleset
from screening.engine.facts import age_in_years
from screening.engine.measures import INSTRUMENTS, MeasureInvalid
from screening.engine.measures import score as score_measure
from screening.review import display_name

from .checks import day_of_items, infusion_decision
from .decision import GO, HOLD, INCOMPLETE, NO, PHYSICIAN, YES, mean_text, status_text
from .forms import AuthorizeForm, CheckForm, DischargeForm, MonitorForm, SignForm, StartForm, add_refusal
from .models import Infusion
from .selectors import patient_series
from .services import (
    InfusionRefused,
    infusion_authorize,
    infusion_check,
    infusion_discharge,
    infusion_measure_add,
    infusion_monitor,
    infusion_sign,
    infusion_start,
)

DETAIL_TEMPLATE = "infusions/infusion_detail.html"
STATUS_CSS = {GO: "sev-info", PHYSICIAN: "sev-review", HOLD: "sev-contraindicated", INCOMPLETE: "sev-missing"}
ANSWER_WORDS = {YES: "Yes", NO: "No"}


def when_text(moment, pattern: str = "%Y-%m-%d %H:%M") -> str:
    return timezone.localtime(moment).strftime(pattern) if moment else ""


def _per_kg(value: float) -> str:
    return f"{value:.1f}" if round(value, 1) == value else f"{value:g}"


def dose_text(low: float, high: float, weight: float, protocol) -> str:
    """37–74 mg (0.5–1.0 mg/kg × 74 kg)"""
    per_kg = f"{_per_kg(protocol.dose_mg_per_kg_low)}–{_per_kg(protocol.dose_mg_per_kg_high)} mg/kg"
    return f"{low:g}–{high:g} mg ({per_kg} × {weight:g} kg)"


def decision_panel(infusion: Infusion, protocol) -> dict:
    """The decision as the page shows it: worked out now until a physician authorizes the dose or the record
    is signed; from then on, the decision as it stood at that moment (stored on the record), never re-run."""
    if infusion.authorized_at is None and infusion.signed_at is None:
        decision = infusion_decision(infusion)
        status, text = decision.status, decision.text
        holds, missing, cautions = decision.holds, decision.missing, decision.cautions
        dose = decision.dose
        dose = (dose.low_mg, dose.high_mg, dose.weight_kg) if dose else None
        mean = mean_text(decision.mean) if decision.mean else ""
    else:
        stored = infusion.decision or {}
        status = stored.get("status", "")
        text = status_text(status, authorized=infusion.authorized_at is not None)
        holds, missing = tuple(stored.get("holds", ())), tuple(stored.get("missing", ()))
        cautions = tuple(stored.get("needs_physician", ()))
        low_high = stored.get("dose_range_mg")
        weight = infusion.weight_kg
        dose = (*low_high, float(weight)) if low_high and weight is not None else None
        mean = stored.get("mean_bp") or ""
    return {
        "status": status,
        "text": text,
        "css": STATUS_CSS.get(status, "sev-missing"),
        "holds": holds,
        "others": (*(f"Missing: {m}" for m in missing), *cautions),
        "cautions": cautions,
        "dose": dose_text(*dose, protocol) if dose else "",
        "mean": mean,
        "live": infusion.authorized_at is None and infusion.signed_at is None,
    }


def measure_rows(infusion: Infusion) -> list[dict]:
    rows = []
    for measure in infusion.measures or []:
        score = score_measure(measure["instrument"], measure["answers"])
        name = INSTRUMENTS[measure["instrument"]].name
        rows.append(
            {"name": name, "on": measure["administered_on"], "summary": score.summary, "flag": score.flag}
        )
    return rows


class PageState:
    """What the infusion page shows one user now: the decision, which steps take input, and what the others
    wait for. Built once per request; a refused step leaves the record as it was, so the page built before
    the step is the page shown again."""

    def __init__(self, infusion: Infusion, user):
        self.infusion = infusion
        ruleset = engine_ruleset(infusion.screening.ruleset)
        self.protocol = ruleset.protocol
        self.items = day_of_items(infusion.screening, ruleset, infusion.infusion_on)
        self.decision = decision_panel(infusion, self.protocol)
        self.physician = is_physician(user)
        stage = infusion.stage
        decides = self.decision["status"] in (GO, PHYSICIAN)
        self.active = {
            "check": stage == "check",
            "authorize": stage == "check" and self.physician and decides,
            "monitor": stage in ("authorized", "given"),
            "discharge": stage in ("given", "discharged"),
            "sign": stage in ("check", "authorized", "discharged"),
        }

    def form(self, step: str, data=None):
        infusion, day = self.infusion, self.infusion.infusion_on
        if step == "check":
            return CheckForm(self.items, data, initial=CheckForm.initial_for(infusion))
        if step == "authorize":
            needs_reason = self.decision["status"] == PHYSICIAN
            return AuthorizeForm(data, dose_text=self.decision["dose"], needs_reason=needs_reason)
        if step == "monitor":
            initial = MonitorForm.initial_for(infusion)
            return MonitorForm(day, data, initial=initial, authorized_mg=infusion.authorized_dose_mg)
        if step == "discharge":
            return DischargeForm(day, data, initial=DischargeForm.initial_for(infusion))
        # what infusion_sign records when no reason is written: the decision's reasons, unless it was a go
        held_by_decision = self.decision["status"] != GO and infusion.authorized_at is None
        return SignForm(data, reasons_recorded=held_by_decision)

    def waits(self) -> dict[str, str]:
        """What each step that takes no input now is waiting for (nothing once the record is signed)."""
        infusion = self.infusion
        if infusion.signed_at is not None:
            return {}
        waits = {}
        if infusion.stage == "check" and not self.active["authorize"]:
            if not self.physician:
                waits["authorize"] = "A physician authorizes the dose once the checks before dosing allow it."
            else:
                waits["authorize"] = f"Not open to authorization. {self.decision['text']}:"
        if infusion.stage == "check":
            waits["monitor"] = "Waits for the physician's authorization of the dose."
        if infusion.stage in ("check", "authorized"):
            waits["discharge"] = "Waits for the dose given and the time it started."
        if infusion.stage == "given":
            waits["sign"] = "Waits for the discharge: record it, then sign."
        return waits

    def context(self, posted=None) -> dict:
        """posted: (step, its bound form) after a refusal. A step that takes no input now (a signed record, a
        clinician's authorization) shows its refusal at the top of the page instead."""
        infusion = self.infusion
        forms = {step: self.form(step) for step, active in self.active.items() if active}
        page_errors = []
        if posted is not None:
            step, form = posted
            if self.active[step]:
                forms[step] = form
            else:
                page_errors = [message for errors in form.errors.values() for message in errors]
        answers = infusion.checklist or {}
        return {
            "infusion": infusion,
            "patient": infusion.patient,
            "age": age_in_years(infusion.patient.date_of_birth, infusion.infusion_on),
            "screening": infusion.screening,
            "decision": self.decision,
            "series": patient_series(infusion.patient),
            "forms": forms,
            "waits": self.waits(),
            "page_errors": page_errors,
            "checklist": [
                {"item": item, "answer": ANSWER_WORDS.get(answers.get(item.key), "Not answered")}
                for item in self.items
            ],
            "measures": measure_rows(infusion),
            "measure_kinds": [
                {"name": m.name, "url": reverse("infusions:measure_add", args=[infusion.pk, key])}
                for key, m in INSTRUMENTS.items()
            ],
            "checked": {"by": display_name(infusion.checked_by), "at": when_text(infusion.checked_at)}
            if infusion.checked_by
            else None,
            "authorized": {
                "by": display_name(infusion.authorized_by),
                "at": when_text(infusion.authorized_at),
            }
            if infusion.authorized_by
            else None,
            "started": when_text(infusion.started_at, "%H:%M"),
            "discharged": when_text(infusion.discharged_at, "%H:%M"),
            "signed_at": when_text(infusion.signed_at),
        }


class InfusionView(RoleRequiredMixin, View):
    required_roles = EDIT_RECORDS

    @staticmethod
    def infusion(pk) -> Infusion:  # after the role check (the mixin's dispatch): a 404 tells nothing first
        related = ("patient", "screening", "screening__ruleset", "checked_by", "authorized_by")
        return get_object_or_404(Infusion.objects.select_related(*related), pk=pk)


def _detail(pk: int, step: str = "") -> str:
    return reverse("infusions:detail", args=[pk]) + (f"#step-{step}" if step else "")


class InfusionStartView(InfusionView):
    template_name = "infusions/infusion_start.html"

    def _render(self, request, patient, form, status=200):
        context = {
            "patient": patient,
            "age": age_in_years(patient.date_of_birth, timezone.localdate()),
            "form": form,
            "open_infusion": Infusion.objects.filter(patient=patient, signed_at__isnull=True).first(),
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request, pk):
        patient = get_object_or_404(Patient, pk=pk)
        audit_record(action="view", request=request, obj=patient, detail="infusion start")
        return self._render(request, patient, StartForm())

    def post(self, request, pk):
        patient = get_object_or_404(Patient, pk=pk)
        form = StartForm(request.POST)
        if form.is_valid():
            try:
                infusion = infusion_start(
                    patient=patient, user=request.user, infusion_on=form.cleaned_data["infusion_on"]
                )
            except InfusionRefused as exc:
                add_refusal(form, exc.errors)
            else:
                messages.success(request, f"Day-of check opened for {infusion.infusion_on:%Y-%m-%d}.")
                return redirect(_detail(infusion.pk))
        return self._render(request, patient, form, status=400)


class InfusionDetailView(InfusionView):
    def get(self, request, pk):
        infusion = self.infusion(pk)
        audit_record(action="view", request=request, obj=infusion.patient, detail=f"infusion {infusion.pk}")
        return render(request, DETAIL_TEMPLATE, PageState(infusion, request.user).context())


class StepView(InfusionView):
    """One step of the record, posted from its card on the infusion page."""

    http_method_names = ["post"]
    step = ""

    def save(self, infusion: Infusion, form, user) -> str:
        """Call the step's service; return what the page says once it is recorded."""
        raise NotImplementedError

    def post(self, request, pk):
        infusion = self.infusion(pk)
        state = PageState(infusion, request.user)
        form = state.form(self.step, request.POST)
        if form.is_valid():
            try:
                done = self.save(infusion, form, request.user)
            except InfusionRefused as exc:
                add_refusal(form, exc.errors)
            else:
                messages.success(request, done)
                return redirect(_detail(pk, self.step))
        return render(request, DETAIL_TEMPLATE, state.context(posted=(self.step, form)), status=400)


class CheckView(StepView):
    step = "check"

    def save(self, infusion, form, user):
        infusion_check(infusion=infusion, user=user, values=form.cleaned_data)
        return "Checks before dosing recorded."


class AuthorizeView(StepView):
    step = "authorize"

    def save(self, infusion, form, user):
        data = form.cleaned_data
        row = infusion_authorize(infusion=infusion, user=user, dose_mg=data["dose_mg"], reason=data["reason"])
        return f"Dose of {row.authorized_dose_mg.normalize():f} mg authorized."


class MonitorView(StepView):
    step = "monitor"

    def save(self, infusion, form, user):
        infusion_monitor(infusion=infusion, user=user, values=form.values())
        return "Infusion monitoring recorded."


class DischargeView(StepView):
    step = "discharge"

    def save(self, infusion, form, user):
        infusion_discharge(infusion=infusion, user=user, values=form.values())
        return "Discharge recorded."


class SignView(StepView):
    step = "sign"

    def save(self, infusion, form, user):
        row = infusion_sign(infusion=infusion, user=user, hold_reason=form.cleaned_data["hold_reason"])
        return f"Record signed: {row.get_outcome_display().lower()}."


class InfusionMeasureAddView(InfusionView):
    """A measure taken on the infusion day (a PHQ-9 to follow the response, a C-SSRS screener before
    dosing), with the patient page's measure form."""

    template_name = "infusions/infusion_measure_form.html"

    def _infusion(self, pk, instrument) -> Infusion:
        if instrument not in INSTRUMENTS:
            raise Http404("No such measure")
        return self.infusion(pk)

    def _render(self, request, infusion, form, status=200):
        context = {
            "infusion": infusion,
            "patient": infusion.patient,
            "form": form,
            "measure": INSTRUMENTS[form.instrument],
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request, pk, instrument):
        infusion = self._infusion(pk, instrument)
        audit_record(
            action="view", request=request, obj=infusion.patient, detail=f"infusion {pk}: add {instrument}"
        )
        form = MeasureForm(instrument, initial={"administered_on": infusion.infusion_on})
        return self._render(request, infusion, form)

    def post(self, request, pk, instrument):
        infusion = self._infusion(pk, instrument)
        form = MeasureForm(instrument, request.POST)
        if form.is_valid():
            try:
                infusion_measure_add(
                    infusion=infusion,
                    user=request.user,
                    instrument=instrument,
                    administered_on=form.cleaned_data["administered_on"],
                    answers=form.answers(),
                )
            except MeasureInvalid as exc:  # the day, or the answers as the scorer reads them
                form.add_measure_errors(exc)
            except InfusionRefused as exc:  # signed, or past the checks before dosing
                add_refusal(form, exc.errors)
            else:
                score = score_measure(instrument, form.answers())
                messages.success(request, f"Recorded: {score.summary}.")
                return redirect(_detail(pk, "check"))
        return self._render(request, infusion, form, status=400)
