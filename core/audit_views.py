"""The auditor's page: the trail filtered by user, patient, action and dates, paginated, and as CSV."""

import csv

from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from .audit import audit_record
from .audit_query import CSV_COLUMNS, AuditFilterForm, csv_row, filtered
from .roles import READ_AUDIT, RoleRequiredMixin


class _Echo:
    def write(self, value):
        return value


class AuditListView(RoleRequiredMixin, View):
    required_roles = READ_AUDIT
    template_name = "core/audit_list.html"
    per_page = 50

    def get(self, request):
        form = AuditFilterForm(request.GET or None)
        if request.GET and not form.is_valid():
            return render(request, self.template_name, {"form": form, "page_obj": None}, status=400)
        events = filtered(form) if form.is_bound else filtered(_empty())
        if request.GET.get("format") == "csv":
            audit_record(action="export", request=request, object_type="audit_trail", detail="CSV")
            writer = csv.writer(_Echo())
            rows = (writer.writerow(row) for row in _rows(events))
            response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
            stamp = timezone.now().strftime("%Y%m%d-%H%M")
            response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
            return response
        page = Paginator(events, self.per_page).get_page(request.GET.get("page"))
        page.object_list = list(page.object_list)  # read before this view is itself recorded
        audit_record(action="view", request=request, object_type="audit_trail", detail=f"page {page.number}")
        return render(request, self.template_name, {"form": form, "page_obj": page})


def _rows(events):
    yield list(CSV_COLUMNS)
    for event in events.iterator(chunk_size=2000):
        yield csv_row(event)


def _empty() -> AuditFilterForm:
    form = AuditFilterForm({})
    form.is_valid()
    return form
