import json
import re
import shutil
import subprocess
import time
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from patients.services import intake_import
from screening import pdf as pdf_module
from screening.models import ReportPdf
from screening.pdf import PdfUnavailable, html_to_pdf
from screening.review import finding_override, override_cosign, screening_sign
from screening.services import (
    pdf_render,
    pdf_request,
    screening_pdf_bytes,
    screening_run,
)
from screening.tasks import render_report_pdf_task
from tests.conftest import EXAMPLES, service_unavailable
from tests.defaults_snapshot import load_defaults_for_test


def pdf_text(content: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        service_unavailable("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def screening(db, clinician):
    load_defaults_for_test()
    doc = json.loads((EXAMPLES / "deferred-bp-and-benzodiazepine.json").read_text())
    patient, _ = intake_import(doc=doc)
    return screening_run(patient=patient, requested_by=clinician, as_of=date(2026, 11, 20))


def test_pdf_text_has_verdict_mrn_every_finding_code_and_the_rule_set_hash(screening, physician, tmp_path):
    screening_sign(screening=screening, user=physician, decision="not_cleared", note="Recheck BP first")
    text = pdf_text(screening_pdf_bytes(screening), tmp_path)
    assert "VERDICT: DEFERRED" in text
    assert "NOT CLEARED" in text
    assert "KT-0002" in text
    for code in screening.rule_codes:
        assert code in text
    assert screening.ruleset_sha256 in text.replace("\n", "").replace(" ", "")
    assert "doc1" in text and "Recheck BP first" in text
    assert "not a substitute for clinical judgment" in text


def test_pdf_fetcher_refuses_everything_but_the_apps_static_files(tmp_path):
    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }")
    fetcher = pdf_module._static_only_fetcher(pdf_module._weasyprint())
    for url in (
        f"file://{secret}",
        "http://127.0.0.1:9/x.png",
        "https://example.org/a.css",
        "static:../../etc/passwd",
    ):
        with pytest.raises(ValueError, match="refused"):
            fetcher.fetch(url)
    assert b"@page" in fetcher.fetch("static:css/report-print.css").read()


def test_every_resource_in_content_goes_through_the_refusing_fetcher(monkeypatch, tmp_path):
    asked = []
    real = pdf_module._static_only_fetcher

    def recording(weasyprint):
        fetcher = real(weasyprint)
        original = fetcher.fetch

        def fetch(url, headers=None):
            asked.append(url)
            return original(url, headers)

        fetcher.fetch = fetch
        return fetcher

    monkeypatch.setattr(pdf_module, "_static_only_fetcher", recording)
    content = html_to_pdf(
        f'<img src="file://{tmp_path}/x.png"><link rel="stylesheet" href="http://127.0.0.1:9/a.css">'
    )
    assert content.startswith(b"%PDF")
    assert f"file://{tmp_path}/x.png" in asked
    assert "http://127.0.0.1:9/a.css" in asked


def test_pdf_export_request_queues_after_commit_with_the_id_only(
    screening, clinician, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(render_report_pdf_task, "delay", lambda *args, **kwargs: sent.append((args, kwargs)))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        pdf = pdf_request(screening=screening, user=clinician)
    assert sent == []  # nothing is sent before the transaction commits
    for callback in callbacks:
        callback()
    assert sent == [((pdf.pk,), {})]
    assert pdf.status == ReportPdf.Status.QUEUED


def test_render_is_idempotent(screening, clinician, monkeypatch):
    monkeypatch.setattr(render_report_pdf_task, "delay", lambda *a, **k: None)
    pdf = pdf_request(screening=screening, user=clinician)
    first = pdf_render(pdf_id=pdf.pk)
    assert first.status == ReportPdf.Status.READY
    assert len(first.sha256) == 64
    calls = []
    monkeypatch.setattr("screening.pdf.render_screening_pdf", lambda s, **_: calls.append(s) or b"")
    second = pdf_render(pdf_id=pdf.pk)
    assert calls == []
    assert second.sha256 == first.sha256
    assert second.attempts == 1


def test_a_failing_render_ends_failed_and_retry_queues_again(screening, clinician, monkeypatch, client):
    def broken(_screening, **_):
        raise PdfUnavailable("PDF export needs WeasyPrint and its system libraries (Pango, HarfBuzz)")

    monkeypatch.setattr("screening.pdf.render_screening_pdf", broken)
    monkeypatch.setattr(render_report_pdf_task, "delay", lambda *a, **k: None)
    pdf = pdf_request(screening=screening, user=clinician)
    assert render_report_pdf_task.apply(args=[pdf.pk]).get() == "failed"
    pdf.refresh_from_db()
    assert pdf.status == ReportPdf.Status.FAILED
    assert "Pango" in pdf.error
    client.force_login(clinician)
    status = client.get(reverse("screening:pdf_status", args=[screening.pk])).content.decode()
    assert "PDF export failed" in status and "Retry" in status
    pdf_request(screening=screening, user=clinician)
    pdf.refresh_from_db()
    assert pdf.status == ReportPdf.Status.QUEUED


def test_an_unexpected_error_is_retried_then_marked_failed(screening, clinician, monkeypatch):
    monkeypatch.setattr("screening.pdf.render_screening_pdf", lambda s, **_: 1 / 0)
    monkeypatch.setattr(render_report_pdf_task, "delay", lambda *a, **k: None)
    pdf = pdf_request(screening=screening, user=clinician)
    result = render_report_pdf_task.apply(
        args=[pdf.pk], retries=render_report_pdf_task.max_retries, throw=False
    )
    assert result.failed()
    pdf.refresh_from_db()
    assert pdf.status == ReportPdf.Status.FAILED
    assert "ZeroDivisionError" in pdf.error


def test_a_render_stuck_in_rendering_is_not_offered_for_retry_but_a_request_queues_it(
    screening, clinician, client, monkeypatch, settings
):
    monkeypatch.setattr(render_report_pdf_task, "delay", lambda *a, **k: None)
    pdf = pdf_request(screening=screening, user=clinician)
    long_ago = timezone.now() - timezone.timedelta(seconds=settings.PDF_STUCK_SECONDS + 5)
    ReportPdf.objects.filter(pk=pdf.pk).update(status=ReportPdf.Status.RENDERING, updated_at=long_ago)
    client.force_login(clinician)
    status = client.get(reverse("screening:pdf_status", args=[screening.pk])).content.decode()
    assert 'data-status="rendering"' in status and "Retry" not in status  # pdf_sweep re-queues it
    pdf_request(screening=screening, user=clinician)
    pdf.refresh_from_db()
    assert pdf.status == ReportPdf.Status.QUEUED


def test_status_polls_while_queued_and_stops_when_ready(screening, clinician, client, monkeypatch):
    monkeypatch.setattr(render_report_pdf_task, "delay", lambda *a, **k: None)
    pdf = pdf_request(screening=screening, user=clinician)
    client.force_login(clinician)
    queued = client.get(reverse("screening:pdf_status", args=[screening.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in queued
    pdf_render(pdf_id=pdf.pk)
    ready = client.get(reverse("screening:pdf_status", args=[screening.pk])).content.decode()
    assert "hx-trigger" not in ready
    assert reverse("screening:pdf_download", args=[screening.pk]) in ready


def test_download_is_a_pdf_with_a_safe_file_name(screening, report_staff, client, monkeypatch):
    monkeypatch.setattr(render_report_pdf_task, "delay", lambda *a, **k: None)
    pdf = pdf_request(screening=screening, user=report_staff)
    pdf_render(pdf_id=pdf.pk)
    client.force_login(report_staff)
    response = client.get(reverse("screening:pdf_download", args=[screening.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"screening-{screening.pk}-" in disposition
    assert "Romero" not in disposition and "KT-0002" not in disposition
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_screen_command_writes_the_same_pdf_synchronously(db, tmp_path):
    call_command("load_defaults", stdout=open("/dev/null", "w"))  # noqa: SIM115
    out = tmp_path / "out.pdf"
    call_command(
        "screen",
        str(EXAMPLES / "contraindicated-avm.json"),
        "--pdf",
        str(out),
        stdout=StringIO(),
        stderr=StringIO(),
    )
    text = pdf_text(out.read_bytes(), tmp_path)
    assert "VERDICT: CONTRAINDICATED" in text
    assert "CV-AVM" in text


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_renders_the_pdf_and_it_downloads(celery_worker_process, clinician, client, tmp_path):
    call_command("load_defaults", stdout=open("/dev/null", "w"))  # noqa: SIM115
    doc = json.loads((EXAMPLES / "contraindicated-avm.json").read_text())
    patient, _ = intake_import(doc=doc)
    screening = screening_run(patient=patient, requested_by=clinician, as_of=date(2026, 11, 20))
    client.force_login(clinician)
    response = client.post(reverse("screening:pdf_request", args=[screening.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    deadline = time.monotonic() + 60
    pdf = ReportPdf.objects.get(screening=screening)
    while pdf.status not in (ReportPdf.Status.READY, ReportPdf.Status.FAILED) and time.monotonic() < deadline:
        time.sleep(0.25)
        pdf.refresh_from_db()
    assert pdf.status == ReportPdf.Status.READY, pdf.error
    download = client.get(reverse("screening:pdf_download", args=[screening.pk]))
    content = b"".join(download.streaming_content)
    text = pdf_text(content, tmp_path)
    assert "CV-AVM" in text and "KT-0003" in text


def test_without_weasyprint_pdf_export_says_what_is_missing(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import now fails, as on a machine without it
    with pytest.raises(PdfUnavailable, match="WeasyPrint and its system libraries"):
        html_to_pdf("<p>x</p>")


def test_a_pdf_made_before_signing_is_made_again_after_signing(
    screening, clinician, physician, client, monkeypatch, tmp_path
):
    monkeypatch.setattr(render_report_pdf_task, "delay", lambda *a, **k: None)
    pdf = pdf_request(screening=screening, user=clinician)
    unsigned = pdf_render(pdf_id=pdf.pk)
    assert "Not signed" in pdf_text(unsigned.file.read(), tmp_path)
    screening_sign(screening=screening, user=physician, decision="not_cleared")
    client.force_login(clinician)
    status = client.get(reverse("screening:pdf_status", args=[screening.pk])).content.decode()
    assert 'data-status="outdated"' in status and "Export PDF" in status
    assert pdf_request(screening=screening, user=clinician).status == ReportPdf.Status.QUEUED
    signed = pdf_render(pdf_id=pdf.pk)
    assert signed.sha256 != unsigned.sha256
    assert "Not cleared" in pdf_text(signed.file.read(), tmp_path)


def test_the_pdf_shows_the_effective_verdict_the_decision_and_the_signature_block(
    db, clinician, physician, physician2, tmp_path, on_assessment_day
):
    """After a contraindication is set aside by two physicians and the screening cleared, the PDF leads with
    what is true now: eligible, cleared, with the dose range, the override and who signed."""
    call_command("load_defaults", stdout=open("/dev/null", "w"))  # noqa: SIM115
    patient, _ = intake_import(doc=json.loads((EXAMPLES / "contraindicated-avm.json").read_text()))
    screening = screening_run(patient=patient, requested_by=clinician, as_of=date(2026, 11, 20))
    override = finding_override(
        screening=screening, rule="CV-AVM", reason="Angiography 2025: no AVM", user=physician
    )
    override_cosign(override=override, user=physician2)
    screening_sign(screening=screening, user=physician, decision="cleared", note="First infusion Monday")

    text = " ".join(pdf_text(screening_pdf_bytes(screening), tmp_path).split())

    assert "VERDICT: ELIGIBLE" in text
    assert "CONTRAINDICATED: DO NOT INFUSE" not in text
    assert "CLEARED TO PROCEED" in text
    assert "the engine's verdict was Contraindicated: do not infuse" in text
    assert "Angiography 2025: no AVM" in text
    assert "Co-signed doc2" in text
    assert "Signed by doc1" in text and "First infusion Monday" in text
    assert "Effective verdict at signing Eligible" in text
    assert "mg ketamine IV over" in text  # the dose range of the effective verdict


def test_the_report_page_reads_its_pdf_and_currency_with_the_screening(
    screening, clinician, physician, client, monkeypatch, tmp_path
):
    """The report page reads the screening with its sign-off, its PDF and the patient's latest screening
    and record version in one query: none, ready and outdated read the same, in as many queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(render_report_pdf_task, "delay", lambda *a, **k: None)
    client.force_login(clinician)
    page = reverse("screening:detail", args=[screening.pk])

    def status() -> tuple[str, int]:
        with CaptureQueriesContext(connection) as queries:
            html = client.get(page).content.decode()
        return re.search(r'id="pdf-status" aria-live="polite" data-status="(\w+)"', html)[1], len(queries)

    none = status()
    pdf_render(pdf_id=pdf_request(screening=screening, user=clinician).pk)
    ready = status()
    screening_sign(screening=screening, user=physician, decision="not_cleared")
    outdated = status()
    assert (none[0], ready[0], outdated[0]) == ("none", "ready", "outdated")
    assert none[1] == ready[1] == outdated[1]


def test_the_report_pdf_is_tagged_for_screen_readers_in_english(screening, tmp_path):
    if shutil.which("pdfinfo") is None:
        service_unavailable("pdfinfo (poppler-utils) is not installed")
    path = tmp_path / "report.pdf"
    path.write_bytes(screening_pdf_bytes(screening))
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.MULTILINE)
    assert f"Pre-infusion screening report #{screening.pk}" in info  # the title, not the file name
    structure = subprocess.run(
        ["pdfinfo", "-struct", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert "H1" in structure and "Table" in structure
