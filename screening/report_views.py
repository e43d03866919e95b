"""Screenings: run, read the report, override, co-sign, sign, and export the PDF."""

from django.contrib import messages
from django.db.models import Q
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View
from django.views.generic import ListView

from core.roles import EDIT_RECORDS, READ_REPORTS, RoleRequiredMixin, has_any_role
from core.search import SessionSearchMixin
from patients.models import Patient
from rules.selectors import NoActiveRuleSet

from .intake import IntakeInvalid
from .models import FindingOverride, Screening, SignOff
from .presentation import report_context, verdict_display
from .services import (
    OVERRIDE_REASON_MAX,
    ScreeningRefused,
    effective_verdict,
    finding_override,
    override_cosign,
    pdf_for_download,
    pdf_request,
    pdf_state,
    screening_run,
    screening_sign,
    unscreenable_message,
)


class ClinicianOnly(RoleRequiredMixin, View):
    required_roles = EDIT_RECORDS


class ReportReaders(RoleRequiredMixin, View):
    required_roles = READ_REPORTS


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
    return get_object_or_404(Screening.objects.select_related("patient", "requested_by"), pk=pk)


class ScreeningDetailView(ReportReaders):
    template_name = "screening/screening_detail.html"

    def get(self, request, pk):
        screening = _screening(pk)
        overrides = list(screening.overrides.all())
        signoff = SignOff.objects.filter(screening=screening).first()
        pdf, pdf_status = pdf_state(screening.pk)
        context = report_context(
            report=screening.report, intake=screening.intake, overrides=overrides, signoff=signoff
        )
        effective = effective_verdict(screening, overrides)
        context.update(
            {
                "screening": screening,
                "pdf": pdf,
                "pdf_status": pdf_status,
                "effective_verdict": verdict_display(effective) if effective != screening.verdict else None,
                "can_edit": has_any_role(request.user, EDIT_RECORDS) and signoff is None,
                "is_clinician": has_any_role(request.user, EDIT_RECORDS),
                "reason_max": OVERRIDE_REASON_MAX,
                "overridable": [
                    f
                    for f in screening.report["findings"]
                    if f["severity"] != "info" and f["rule"] not in {o.rule for o in overrides}
                ],
            }
        )
        return render(request, self.template_name, context)


class OverrideView(ClinicianOnly):
    def post(self, request, pk):
        screening = _screening(pk)
        try:
            override = finding_override(
                screening=screening,
                rule=request.POST.get("rule", ""),
                reason=request.POST.get("reason", ""),
                user=request.user,
            )
        except ScreeningRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                f"{override.rule} overridden"
                + (": a second clinician must co-sign." if override.needs_cosign else "."),
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
            messages.success(request, f"Override of {override.rule} co-signed.")
        return redirect("screening:detail", pk=pk)


class SignView(ClinicianOnly):
    def post(self, request, pk):
        screening = _screening(pk)
        try:
            screening_sign(screening=screening, user=request.user)
        except ScreeningRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Screening signed.")
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
            pdf, filename = pdf_for_download(pk)
        except ScreeningRefused as exc:
            messages.error(request, str(exc))
            return redirect("screening:detail", pk=pk)
        return FileResponse(
            pdf.file.open("rb"), as_attachment=True, filename=filename, content_type="application/pdf"
        )


class ReportListView(RoleRequiredMixin, SessionSearchMixin, ListView):
    """Recent screenings, for the staff who export reports (and clinicians)."""

    required_roles = READ_REPORTS
    search_key = "report_search"
    template_name = "screening/report_list.html"
    paginate_by = 25
    context_object_name = "screenings"

    def get_queryset(self):
        query = self.query
        screenings = Screening.objects.select_related("patient", "pdf", "signoff").only(
            "id",
            "created_at",
            "verdict",
            "assessed_on",
            "patient__mrn",
            "patient__given_name",
            "patient__family_name",
            "pdf__status",
            "signoff__signed_at",
            "signoff__signer_name",
        )
        if query:
            screenings = screenings.filter(
                Q(patient__mrn__icontains=query) | Q(patient__family_name__icontains=query)
            )
        return screenings

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["rows"] = [(s, verdict_display(s.verdict)) for s in context["screenings"]]
        return context
