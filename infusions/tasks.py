"""Thin Celery tasks: they take ids and call services (the day-of sheet's, infusions.sheet)."""

import time

from celery import shared_task
from django.utils import timezone

from core.metrics import observe_pdf_render
from screening.pdf import PdfUnavailable

from .models import InfusionSheetPdf


# The time limits are the worker's (CELERY_TASK_TIME_LIMIT, CELERY_TASK_SOFT_TIME_LIMIT), as for the report
# PDF: a sheet stuck past PDF_STUCK_SECONDS is queued again by its next request.
@shared_task(bind=True, acks_late=True, max_retries=3, name="infusions.render_day_sheet")
def render_day_sheet_task(self, sheet_id: int) -> str:
    from .sheet import sheet_mark_failed, sheet_render

    started, started_at = time.perf_counter(), timezone.now()
    try:
        sheet = sheet_render(sheet_id=sheet_id)
    except PdfUnavailable as exc:  # not transient: retrying will not help
        sheet_mark_failed(sheet_id=sheet_id, error=str(exc))
        return "failed"
    except Exception as exc:
        if self.request.retries >= self.max_retries:
            sheet_mark_failed(
                sheet_id=sheet_id, error=f"rendering failed ({type(exc).__name__}); print again"
            )
            raise
        raise self.retry(exc=exc, countdown=2**self.request.retries) from exc
    # rendered by this call: a ready sheet left alone (a duplicate message) was saved before it began
    if sheet.status == InfusionSheetPdf.Status.READY and sheet.updated_at >= started_at:
        observe_pdf_render("day_sheet", time.perf_counter() - started)
    return sheet.status
