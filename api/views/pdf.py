"""The consult PDF: request it, poll its status, download it."""

from __future__ import annotations

import io
from typing import Any

from django.http import FileResponse, HttpRequest
from ninja import Status

from core.audit import audit_record
from core.roles import READ_REPORTS
from screening.services import (
    pdf_for_download,
    pdf_request,
    pdf_state,
)

from ..auth import by_role, require_role
from ..schemas import (
    NOT_FOUND,
    ErrorOut,
    Id,
    PdfOut,
)
from .common import router
from .screenings import screening_or_404


def _pdf_out(screening_id: int) -> dict[str, Any]:
    pdf, status = pdf_state(screening_id)
    return {
        "screening_id": screening_id,
        "status": status,
        "error": pdf.error if pdf is not None and status == "failed" else "",
        "sha256": pdf.sha256 if pdf is not None and status == "ready" else "",
        "download": f"/api/v1/screenings/{screening_id}/pdf/download" if status == "ready" else None,
    }


@router.post(
    "/screenings/{screening_id}/pdf",
    response={202: PdfOut, **NOT_FOUND},
    summary="Queue the consult PDF (or a retry); poll GET .../pdf for its status",
    tags=["pdf"],
    auth=by_role(READ_REPORTS),
)
def pdf_create(request: HttpRequest, screening_id: Id):
    user = require_role(request, READ_REPORTS)
    pdf_request(screening=screening_or_404(screening_id), user=user)
    return Status(202, _pdf_out(screening_id))


@router.get(
    "/screenings/{screening_id}/pdf",
    response={200: PdfOut, **NOT_FOUND},
    summary="The PDF's status: none, queued, rendering, ready, failed or outdated",
    tags=["pdf"],
    auth=by_role(READ_REPORTS),
)
def pdf_read(request: HttpRequest, screening_id: Id):
    require_role(request, READ_REPORTS)
    screening_or_404(screening_id)
    return Status(200, _pdf_out(screening_id))


@router.get(
    "/screenings/{screening_id}/pdf/download",
    response={200: None, 409: ErrorOut, 503: ErrorOut, **NOT_FOUND},
    openapi_extra={
        "responses": {
            200: {"description": "the PDF", "content": {"application/pdf": {"schema": {"type": "string"}}}}
        }
    },
    summary="Download the ready PDF",
    tags=["pdf"],
    auth=by_role(READ_REPORTS),
)
def pdf_download(request: HttpRequest, screening_id: Id):
    require_role(request, READ_REPORTS)
    screening = screening_or_404(screening_id)
    _pdf, content, filename = pdf_for_download(screening_id)  # refused (409) when missing or altered
    audit_record(action="download", request=request, obj=screening, detail="API report PDF")
    return FileResponse(
        io.BytesIO(content), as_attachment=True, filename=filename, content_type="application/pdf"
    )
