"""Thin Celery tasks: they take ids and call services."""

import gc
import time

from celery import shared_task
from celery.signals import worker_init, worker_process_init
from django.utils import timezone

from core.metrics import observe_pdf_render

from .models import ReportPdf
from .pdf import PdfUnavailable, pdf_preload, pdf_warm_up


@worker_init.connect
def preload_pdf_renderer(**_) -> None:
    """The worker's main process imports WeasyPrint once, before its pool forks: each child (replaced every
    CELERY_WORKER_MAX_TASKS_PER_CHILD tasks) then inherits it, and its warm-up below stays well inside the
    4 s a new child has to report itself up."""
    pdf_preload()


@worker_process_init.connect
def warm_pdf_renderer(**_) -> None:
    """Each worker process (a prefork child, or the solo pool) makes its PDF renderer as it starts, so that
    the first PDF it renders costs what the others do. Never raises (see pdf_warm_up); a web process or an
    eager run (no broker) never receives these signals and warms up on its first render."""
    pdf_warm_up()
    # What the process has made by now (Django, WeasyPrint, the renderer) lives as long as it does: frozen,
    # the cyclic collector no longer scans it at each full collection (a 20-medication report renders
    # about 15% faster). Garbage made before is collected first.
    gc.collect()
    gc.freeze()


# The time limits are the worker's (CELERY_TASK_TIME_LIMIT, CELERY_TASK_SOFT_TIME_LIMIT): the broker's
# visibility timeout and PDF_STUCK_SECONDS are derived from them, so a render cannot outlive either.
@shared_task(
    bind=True,
    acks_late=True,
    max_retries=3,
    name="screening.render_report_pdf",
)
def render_report_pdf_task(self, pdf_id: int) -> str:
    from .services import pdf_mark_failed, pdf_render

    started, started_at = time.perf_counter(), timezone.now()
    try:
        pdf = pdf_render(pdf_id=pdf_id)
    except PdfUnavailable as exc:  # not transient: retrying will not help
        pdf_mark_failed(pdf_id=pdf_id, error=str(exc))
        return "failed"
    except Exception as exc:
        if self.request.retries >= self.max_retries:
            pdf_mark_failed(pdf_id=pdf_id, error=f"rendering failed ({type(exc).__name__}); use Retry")
            raise
        raise self.retry(exc=exc, countdown=2**self.request.retries) from exc
    # rendered by this call: a ready PDF left alone (a duplicate message) was saved before it began
    if pdf.status == ReportPdf.Status.READY and pdf.updated_at >= started_at:
        observe_pdf_render("report", time.perf_counter() - started)
    return pdf.status


@shared_task(name="screening.pdf_sweep", ignore_result=True)
def pdf_sweep_task() -> dict:
    """Run by celery beat every PDF_SWEEP_SECONDS: re-queues the PDFs whose render died with its worker."""
    from .services import pdf_sweep

    return pdf_sweep()


@shared_task(
    bind=True,
    acks_late=True,
    max_retries=2,
    soft_time_limit=300,
    time_limit=360,
    name="screening.impact_preview",
)
def impact_preview_task(self, preview_id: int) -> str:
    from .impact import impact_preview_fail, impact_preview_run

    try:
        return impact_preview_run(preview_id=preview_id).status
    except Exception as exc:
        if self.request.retries >= self.max_retries:
            impact_preview_fail(preview_id=preview_id, error=f"{type(exc).__name__}")
            raise
        raise self.retry(exc=exc, countdown=2**self.request.retries) from exc
