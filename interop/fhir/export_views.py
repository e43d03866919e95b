"""The report page's "FHIR" download: the screening's Bundle as a file, for the roles that read the report
(READ_REPORTS, as the report page and its PDF). Audited as an export of the screening."""

from __future__ import annotations

import json

from django.http import Http404, HttpResponse
from django.views import View

from core.audit import audit_record
from core.roles import READ_REPORTS, RoleRequiredMixin
from screening.models import Screening

from .export import bundle_filename, screening_bundle, screening_for_export

FHIR_JSON = "application/fhir+json"


class ScreeningFhirDownloadView(RoleRequiredMixin, View):
    required_roles = READ_REPORTS

    def get(self, request, pk):
        try:
            screening = screening_for_export(pk)
        except Screening.DoesNotExist as exc:
            raise Http404("No such screening") from exc
        body = json.dumps(screening_bundle(screening), ensure_ascii=False, indent=1)
        audit_record(action="export", request=request, obj=screening, detail="FHIR Bundle")
        response = HttpResponse(body, content_type=FHIR_JSON)
        response["Content-Disposition"] = f'attachment; filename="{bundle_filename(screening)}"'
        return response
