"""A render whose worker died is re-queued by the sweep, never left for a human Retry (issue 15)."""

import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from patients.services import intake_import
from screening.models import ReportPdf
from screening.services import pdf_render, pdf_request, pdf_sweep, screening_run
from screening.tasks import pdf_sweep_task, render_report_pdf_task
from tests.conftest import EXAMPLES
from tests.defaults_snapshot import load_defaults_for_test


@pytest.fixture
def sent(monkeypatch):
    """The pdf ids sent to the worker (after commit), instead of rendering them."""
    ids = []
    monkeypatch.setattr(render_report_pdf_task, "delay", lambda pdf_id: ids.append(pdf_id))
    return ids


@pytest.fixture
def pdf(db, clinician, sent, django_capture_on_commit_callbacks):
    load_defaults_for_test()
    doc = json.loads((EXAMPLES / "deferred-bp-and-benzodiazepine.json").read_text())
    patient, _ = intake_import(doc=doc)
    screening = screening_run(patient=patient, requested_by=clinician, as_of=date(2026, 11, 20))
    with django_capture_on_commit_callbacks(execute=True):
        requested = pdf_request(screening=screening, user=clinician)
    sent.clear()
    return requested


def stuck(pdf, *, status=ReportPdf.Status.RENDERING, attempts=1, seconds=None):
    """The row as a killed worker leaves it: not touched for longer than a render may last."""
    age = timedelta(seconds=(seconds or settings.PDF_STUCK_SECONDS) + 5)
    ReportPdf.objects.filter(pk=pdf.pk).update(
        status=status, attempts=attempts, updated_at=timezone.now() - age
    )


def test_a_render_stuck_in_rendering_is_queued_again_and_sent_after_commit(
    pdf, sent, django_capture_on_commit_callbacks
):
    stuck(pdf)
    with django_capture_on_commit_callbacks(execute=True):
        assert pdf_sweep() == {"requeued": 1, "failed": 0}
    pdf.refresh_from_db()
    assert pdf.status == ReportPdf.Status.QUEUED
    assert sent == [pdf.pk]


def test_a_queued_pdf_whose_message_was_lost_is_sent_again(pdf, sent, django_capture_on_commit_callbacks):
    stuck(pdf, status=ReportPdf.Status.QUEUED, attempts=0)
    with django_capture_on_commit_callbacks(execute=True):
        assert pdf_sweep() == {"requeued": 1, "failed": 0}
    assert sent == [pdf.pk]


def test_a_render_in_progress_is_left_alone(pdf, sent, django_capture_on_commit_callbacks):
    ReportPdf.objects.filter(pk=pdf.pk).update(status=ReportPdf.Status.RENDERING, attempts=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert pdf_sweep() == {"requeued": 0, "failed": 0}
    assert sent == []


def test_the_sweep_is_idempotent(pdf, sent, django_capture_on_commit_callbacks):
    stuck(pdf)
    with django_capture_on_commit_callbacks(execute=True):
        pdf_sweep()
        assert pdf_sweep() == {"requeued": 0, "failed": 0}
    assert sent == [pdf.pk]


def test_ready_and_failed_pdfs_are_left_alone(pdf, sent, django_capture_on_commit_callbacks):
    stuck(pdf, status=ReportPdf.Status.FAILED)
    with django_capture_on_commit_callbacks(execute=True):
        assert pdf_sweep() == {"requeued": 0, "failed": 0}
    pdf_render(pdf_id=pdf.pk)  # a late duplicate of a failed PDF's message renders nothing
    pdf.refresh_from_db()
    assert pdf.status == ReportPdf.Status.FAILED
    ReportPdf.objects.filter(pk=pdf.pk).update(status=ReportPdf.Status.QUEUED)
    pdf_render(pdf_id=pdf.pk)
    stuck(pdf, status=ReportPdf.Status.READY)
    with django_capture_on_commit_callbacks(execute=True):
        assert pdf_sweep() == {"requeued": 0, "failed": 0}
    assert sent == []


def test_after_the_last_attempt_the_sweep_gives_up_and_retry_is_offered(pdf, sent, client, clinician):
    stuck(pdf, attempts=settings.PDF_MAX_ATTEMPTS)
    assert pdf_sweep() == {"requeued": 0, "failed": 1}
    pdf.refresh_from_db()
    assert pdf.status == ReportPdf.Status.FAILED
    assert f"after {settings.PDF_MAX_ATTEMPTS} attempts" in pdf.error
    client.force_login(clinician)
    status = client.get(reverse("screening:pdf_status", args=[pdf.screening_id])).content.decode()
    assert 'data-status="failed"' in status and "Retry" in status


def test_a_stuck_render_is_shown_rendering_not_failed_and_then_re_queued(pdf, client, clinician):
    stuck(pdf)
    client.force_login(clinician)
    before = client.get(reverse("screening:pdf_status", args=[pdf.screening_id])).content.decode()
    assert 'data-status="rendering"' in before and "Retry" not in before
    pdf_sweep()
    after = client.get(reverse("screening:pdf_status", args=[pdf.screening_id])).content.decode()
    assert 'data-status="queued"' in after and "Retry" not in after
    assert "re-queued automatically" in after


def test_a_retry_after_failure_counts_attempts_afresh(pdf, clinician, django_capture_on_commit_callbacks):
    stuck(pdf, attempts=settings.PDF_MAX_ATTEMPTS)
    pdf_sweep()
    with django_capture_on_commit_callbacks(execute=True):
        pdf_request(screening=pdf.screening, user=clinician)
    pdf.refresh_from_db()
    assert (pdf.status, pdf.attempts, pdf.error) == (ReportPdf.Status.QUEUED, 0, "")


def test_the_command_and_the_beat_task_run_the_same_sweep(pdf, sent, django_capture_on_commit_callbacks):
    stuck(pdf)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("pdf_sweep", stdout=out)
    assert out.getvalue().startswith("re-queued 1, failed 0")
    stuck(pdf)
    with django_capture_on_commit_callbacks(execute=True):
        assert pdf_sweep_task.apply().get() == {"requeued": 1, "failed": 0}
    assert sent == [pdf.pk, pdf.pk]


def test_beat_runs_the_sweep_well_within_the_stuck_time():
    entry = settings.CELERY_BEAT_SCHEDULE["pdf-sweep"]
    assert entry["task"] == pdf_sweep_task.name
    assert entry["schedule"] < settings.PDF_STUCK_SECONDS
    assert settings.PDF_STUCK_SECONDS > settings.CELERY_TASK_TIME_LIMIT
