"""Screenings: run, read the report, override, co-sign, sign, and export the PDF."""

import io

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View
from django.views.generic import ListView

from core.audit import audit_record
from core.pagination import ScalablePagesMixin
from core.roles import EDIT_RECORDS, READ_REPORTS, RoleRequiredMixin, has_any_role, is_physician
from core.search import SessionSearchMixin
from patients.models import Patient
from patients.selectors import exact_first, exact_mrn_patient_id, patient_matches
from rules.selectors import NoActiveRuleSet

from .intake import IntakeInvalid
from .models import FindingOverride, Screening
from .presentation import report_context, verdict_display
from .review import (
    NOT_OVERRIDABLE,
    OVERRIDE_REASON_MAX,
    ScreeningRefused,
    finding_override,
    override_cosign,
    override_suggest,
    screening_rules,
    screening_sign,
)
from .selectors import (
    report_review_state,
    report_screening,
    review_states,
    screening_count,
    screening_history,
)
from .services import (
    pdf_for_download,
    pdf_outdated,
    pdf_request,
    pdf_state,
    screening_run,
    unscreenable_message,
)


class ClinicianOnly(RoleRequiredMixin, View):
    required_roles = EDIT_RECORDS


class ReportReaders(RoleRequiredMixin, View):
    required_roles = READ_REPORTS


class PatientScreeningsView(ClinicianOnly):
    """A patient's whole screening history, 25 a page, newest first (the patient page shows the latest)."""

    per_page = 25

    def get(self, request, pk):
        patient = get_object_or_404(Patient.objects.only("id", "mrn", "given_name", "family_name"), pk=pk)
        paginator = Paginator(range(screening_count(patient)), self.per_page)
        page = paginator.get_page(request.GET.get("page"))
        rows = screening_history(patient, offset=page.start_index() - 1 if page.object_list else 0,
                                 limit=self.per_page)  # fmt: skip
        audit_record(
            action="view", request=request, obj=patient, detail=f"screening history page {page.number}"
        )
        return render(
            request,
            "screening/patient_screenings.html",
            {"patient": patient, "screenings": rows, "page_obj": page, "paginator": paginator},
        )


class ScreenNowView(ClinicianOnly):
    def post(self, request, pk):
        patient = get_object_or_404(Patient, pk=pk)
        try:
            screening = screening_run(patient=patient, requested_by=request.user)
        except IntakeInvalid as exc:
            messages.error(request, unscreenable_message(exc))
            return redirect("patients:detail", pk=pk)
        except NoActiveRuleSet as exc:
            messages.error(request, str(exc))
            return redirect("patients:detail", pk=pk)
        return redirect("screening:detail", pk=screening.pk)


def _screening(pk):
    return get_object_or_404(Screening.objects.select_related("patient", "requested_by", "ruleset"), pk=pk)


def review_actions(user, state) -> dict:
    """What the page offers this user on this screening, and why anything is not offered (buttons tell
    the truth: the services refuse the same things)."""
    screening = state.screening
    signed = state.signoff is not None
    physician = is_physician(user) and user.has_usable_password()
    rules = screening_rules(screening)
    overridden = {o.rule for o in state.overrides}
    overridable, fixed = [], []
    for f in screening.report["findings"]:
        rule = rules.get(f["rule"])
        policy = rule.policy if rule is not None else "none"
        if f["rule"] in overridden:
            continue
        if policy == "none":
            fixed.append({**f, "why": NOT_OVERRIDABLE[f["severity"]]})
        else:
            reasons = rule.override_reasons
            overridable.append({**f, "policy": policy, "reasons": reasons})
    if signed:
        why_not_sign = "This screening is signed: the decision is recorded and never changes."
    elif not physician:
        why_not_sign = "Only a physician can sign."
    else:
        why_not_sign = ""
    return {
        "signed": signed,
        "is_physician": physician,
        "can_suggest": has_any_role(user, EDIT_RECORDS) and not signed,
        "overridable": overridable if not signed else [],
        "coded_reasons": any(f["reasons"] for f in overridable),
        "not_overridable": fixed,
        "clear_blockers": state.clear_blockers if not signed else [],
        "why_not_sign": why_not_sign,
        "pending": [
            {
                "override": o,
                "why_not": ""
                if physician and o.overridden_by_id != user.pk
                else (
                    "Only a physician can co-sign."
                    if not physician
                    else "You recorded this override: a second, different physician must co-sign."
                ),
            }
            for o in state.pending_cosign
        ],
        "reason_max": OVERRIDE_REASON_MAX,
    }


class ScreeningDetailView(ReportReaders):
    template_name = "screening/screening_detail.html"

    def get(self, request, pk):
        try:
            screening = report_screening(pk)
        except Screening.DoesNotExist as exc:
            raise Http404("No such screening") from exc
        audit_record(action="view", request=request, obj=screening, detail="report page")
        state = report_review_state(screening)
        pdf, pdf_status = pdf_state(screening.pk, screening=screening, state=state)
        context = report_context(report=screening.report, intake=screening.intake, review=state)
        context.update(
            {
                "screening": screening,
                "pdf": pdf,
                "pdf_status": pdf_status,
                "is_clinician": has_any_role(request.user, EDIT_RECORDS),
                "actions": review_actions(request.user, state),
                "typed": request.session.pop(_typed_key(screening.pk), None) or {},
            }
        )
        return render(request, self.template_name, context)


def _typed_key(pk) -> str:
    return f"report_typed_{int(pk)}"


def _refused(request, pk, exc: ScreeningRefused, form: str, *names: str, lists: tuple[str, ...] = ()):
    """A refused override, suggestion or sign-off: back to the report (its own address, so a refresh posts
    nothing again) with the refusal and what was typed in the refused form, kept in the session for the
    report's next showing (nothing lost; never in the address)."""
    messages.error(request, str(exc))
    # bounded: a hand-made request cannot fill the session (the fields themselves allow at most 2,000)
    typed = {"form": form} | {n: str(request.POST.get(n, ""))[:5000] for n in names}
    typed |= {n: [str(v)[:20] for v in request.POST.getlist(n)[:100]] for n in lists}
    request.session[_typed_key(pk)] = typed
    return redirect("screening:detail", pk=pk)


class OverrideView(ClinicianOnly):
    def post(self, request, pk):
        screening = _screening(pk)
        try:
            override = finding_override(
                screening=screening,
                rule=request.POST.get("rule", ""),
                reason=request.POST.get("reason", ""),
                reason_code=request.POST.get("reason_code", ""),
                user=request.user,
            )
        except ScreeningRefused as exc:
            return _refused(request, pk, exc, "override", "rule", "reason", "reason_code")
        else:
            messages.success(
                request,
                f"{override.rule} overridden"
                + (
                    ": a second physician must co-sign before it is in force."
                    if override.needs_cosign
                    else "."
                ),
            )
        return redirect("screening:detail", pk=pk)


class SuggestView(ClinicianOnly):
    def post(self, request, pk):
        screening = _screening(pk)
        try:
            suggestion = override_suggest(
                screening=screening,
                rule=request.POST.get("rule", ""),
                note=request.POST.get("note", ""),
                user=request.user,
            )
        except ScreeningRefused as exc:
            return _refused(request, pk, exc, "suggest", "rule", "note")
        else:
            messages.success(
                request, f"Suggestion on {suggestion.rule} noted for the physician (not in force)."
            )
        return redirect("screening:detail", pk=pk)


class CosignView(ClinicianOnly):
    def post(self, request, pk, override_id):
        override = get_object_or_404(FindingOverride, pk=override_id, screening_id=pk)
        try:
            override_cosign(override=override, user=request.user)
        except ScreeningRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Override of {override.rule} co-signed: it is now in force.")
        return redirect("screening:detail", pk=pk)


class SignView(ClinicianOnly):
    def post(self, request, pk):
        screening = _screening(pk)
        try:
            signoff = screening_sign(
                screening=screening,
                user=request.user,
                decision=request.POST.get("decision", ""),
                note=request.POST.get("note", ""),
                checklist=request.POST.getlist("checklist"),
            )
        except ScreeningRefused as exc:
            return _refused(request, pk, exc, "sign", "decision", "note", lists=("checklist",))
        else:
            messages.success(request, f"Decision recorded: {signoff.get_decision_display().lower()}.")
        return redirect("screening:detail", pk=pk)


class PdfRequestView(ReportReaders):
    def post(self, request, pk):
        screening = _screening(pk)
        pdf_request(screening=screening, user=request.user)
        if request.htmx:
            return _pdf_status_partial(request, screening)
        return redirect("screening:detail", pk=pk)


def _pdf_status_partial(request, screening):
    pdf, status = pdf_state(screening.pk)
    return render(
        request,
        "screening/includes/pdf_status.html",
        {"screening": screening, "pdf": pdf, "pdf_status": status},
    )


class PdfStatusView(ReportReaders):
    def get(self, request, pk):
        return _pdf_status_partial(request, _screening(pk))


class PdfDownloadView(ReportReaders):
    def get(self, request, pk):
        _screening(pk)
        try:
            pdf, content, filename = pdf_for_download(pk)
        except ScreeningRefused as exc:
            messages.error(request, str(exc))
            return redirect("screening:detail", pk=pk)
        audit_record(action="download", request=request, obj=pdf.screening, detail="report PDF")
        return FileResponse(
            io.BytesIO(content), as_attachment=True, filename=filename, content_type="application/pdf"
        )


class ReportListView(RoleRequiredMixin, SessionSearchMixin, ScalablePagesMixin, ListView):
    """Recent screenings, for the staff who export reports (and clinicians)."""

    required_roles = READ_REPORTS
    search_key = "report_search"
    template_name = "screening/report_list.html"
    paginate_by = 25
    context_object_name = "screenings"

    def get_queryset(self):
        """Searched as the patient list is (patients.selectors.patient_matches, served by the trigram
        indexes): the patient whose MRN is the query first, then every match, newest first."""
        query = self.query
        screenings = Screening.objects.select_related("patient", "pdf").prefetch_related("ruleset")
        if not query:
            return screenings
        first = exact_first("patient_id", exact_mrn_patient_id(query))
        screenings = screenings.filter(patient_matches(query, prefix="patient__"))
        return screenings.order_by(*first, *Screening._meta.ordering) if first else screenings

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = list(context["screenings"])
        audit_record(
            action="view",
            request=self.request,
            object_type="report_list",
            detail=f"page {context['page_obj'].number}, {len(page)} rows{', searched' if self.query else ''}",
        )
        states = review_states(page)
        context["rows"] = [
            {
                "screening": s,
                "state": states[s.pk],
                "verdict": verdict_display(states[s.pk].effective),
                "original": verdict_display(s.verdict) if states[s.pk].changed_by_overrides else None,
                "pdf_outdated": pdf_outdated(getattr(s, "pdf", None), states[s.pk]),
            }
            for s in page
        ]
        return context
