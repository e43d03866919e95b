"""The printable day-of sheet: print (queue it), its status (polled while it renders) and its download.
Nothing renders in a request: the request queues a Celery task (infusions.sheet). Staff who read reports may
print and download (READ_REPORTS, as for the screening report's PDF); every download is audited."""

import io

from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views import View

from core.audit import audit_record
from core.roles import READ_REPORTS, RoleRequiredMixin

from .models import Infusion
from .sheet import SheetRefused, sheet_for_download, sheet_request, sheet_state


class SheetReaders(RoleRequiredMixin, View):
    required_roles = READ_REPORTS


def _infusion(pk: int) -> Infusion:
    return get_object_or_404(Infusion.objects.only("pk", "patient_id", "infusion_on"), pk=pk)


def _infusion_page(infusion: Infusion) -> str:
    """The infusion's page; the patient's page where that route is not there."""
    try:
        return reverse("infusions:detail", args=[infusion.pk])
    except NoReverseMatch:
        return reverse("patients:detail", args=[infusion.patient_id])


def _status_partial(request, infusion: Infusion):
    sheet_pdf, sheet_status = sheet_state(infusion.pk)
    return render(
        request,
        "infusions/includes/sheet.html",
        {"infusion": infusion, "sheet_pdf": sheet_pdf, "sheet_status": sheet_status},
    )


class SheetRequestView(SheetReaders):
    def post(self, request, pk):
        infusion = _infusion(pk)
        sheet_request(infusion=infusion, user=request.user)
        if request.htmx:
            return _status_partial(request, infusion)
        messages.success(
            request, "The day-of sheet is being prepared: its download appears when it is ready."
        )
        return redirect(_infusion_page(infusion))


class SheetStatusView(SheetReaders):
    """The sheet's status badge (no patient data), polled every 2 s while it renders."""

    def get(self, request, pk):
        return _status_partial(request, _infusion(pk))


class SheetDownloadView(SheetReaders):
    def get(self, request, pk):
        infusion = _infusion(pk)
        try:
            _sheet, content, filename = sheet_for_download(infusion.pk)
        except SheetRefused as exc:
            messages.error(request, str(exc))
            return redirect(_infusion_page(infusion))
        audit_record(action="download", request=request, obj=infusion, detail="day-of sheet PDF")
        return FileResponse(
            io.BytesIO(content), as_attachment=True, filename=filename, content_type="application/pdf"
        )
