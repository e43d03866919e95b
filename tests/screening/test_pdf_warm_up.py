"""A worker process warms its PDF renderer up as it starts (issue 16): the first consult PDF it renders costs
what the others do. The font configuration and the report's parsed stylesheet are made once per process, and
a report rendered with them is, pixel for pixel, the report the linked stylesheet gave."""

import gc
import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from celery.signals import worker_init, worker_process_init
from django.template.loader import render_to_string

from patients.services import intake_import
from screening import pdf
from screening.presentation import report_context
from screening.selectors import review_state
from screening.services import screening_pdf_bytes, screening_run
from screening.tasks import preload_pdf_renderer, warm_pdf_renderer
from tests.conftest import EXAMPLES, service_unavailable
from tests.defaults_snapshot import load_defaults_for_test


@pytest.fixture
def cold_process(monkeypatch):
    """The renderer as a new worker process has it: not made yet."""
    monkeypatch.setattr(pdf, "_renderer", None)


@pytest.fixture
def unfrozen():
    """The test process's objects back in the collector's care after a worker's start is played here."""
    yield
    gc.unfreeze()


@pytest.fixture
def fetched(monkeypatch):
    """Every URL the renderer fetches."""
    urls = []
    real = pdf._static_only_fetcher

    def recording(weasyprint):
        fetcher = real(weasyprint)
        original = fetcher.fetch

        def fetch(url, headers=None):
            urls.append(url)
            return original(url, headers)

        fetcher.fetch = fetch
        return fetcher

    monkeypatch.setattr(pdf, "_static_only_fetcher", recording)
    return urls


@pytest.fixture
def screening(db, clinician):
    load_defaults_for_test()
    doc = json.loads((EXAMPLES / "deferred-bp-and-benzodiazepine.json").read_text())
    patient, _ = intake_import(doc=doc)
    return screening_run(patient=patient, requested_by=clinician, as_of=date(2026, 11, 20))


def connected(signal, handler) -> bool:
    """Whether Celery calls `handler` on `signal` (sending the signal here would also run Celery's Django
    fixup, which drops the test's database connections)."""
    return handler in signal._live_receivers(sender=None)


def test_the_warm_up_handler_runs_when_a_worker_process_starts(cold_process, unfrozen, caplog):
    caplog.set_level("INFO", logger="screening.pdf")

    warm_pdf_renderer(signal=worker_process_init, sender="worker@test")

    assert connected(worker_process_init, warm_pdf_renderer)
    assert pdf._renderer is not None
    assert "PDF renderer warmed up" in caplog.text and "failed" not in caplog.text
    assert gc.get_freeze_count() > 0  # what the process made at start is left out of full collections


def test_the_main_process_imports_weasyprint_before_its_pool_forks(cold_process):
    preload_pdf_renderer(signal=worker_init, sender=None)

    assert connected(worker_init, preload_pdf_renderer)
    assert "weasyprint" in sys.modules
    assert pdf._renderer is None  # nothing holding fonts is made before the fork


def test_without_weasyprint_a_worker_still_starts_and_says_why(cold_process, unfrozen, monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import now fails, as on a machine without it

    warm_pdf_renderer()
    preload_pdf_renderer()

    assert pdf.pdf_warm_up() is None and pdf.pdf_preload() is False
    assert "PDF renderer not warmed up: PDF export needs WeasyPrint" in caplog.text


def test_a_warmed_process_fetches_and_parses_the_report_stylesheet_no_more(screening, cold_process, fetched):
    pdf.pdf_warm_up()
    renderer = pdf._renderer
    warm_up_fetches = list(fetched)

    for _ in range(2):
        assert screening_pdf_bytes(screening).startswith(b"%PDF")

    assert warm_up_fetches == [pdf.REPORT_STYLESHEET]
    assert fetched == warm_up_fetches
    assert pdf._renderer is renderer


def test_the_report_looks_as_it_did_with_the_linked_stylesheet(screening, tmp_path):
    """Applied once per process (a user stylesheet) rather than linked from each document (an author one):
    the report has no other stylesheet, so every page renders the same pixels."""
    if shutil.which("pdftoppm") is None:
        service_unavailable("pdftoppm (poppler-utils) is not installed")
    context = report_context(report=screening.report, intake=screening.intake, review=review_state(screening))
    context["screening"] = screening
    html = render_to_string("screening/report_pdf.html", context)
    linked = html.replace("</title>", f'</title><link rel="stylesheet" href="{pdf.REPORT_STYLESHEET}">', 1)
    weasyprint = pdf._weasyprint()
    before = weasyprint.HTML(
        string=linked, base_url="static:/", url_fetcher=pdf._static_only_fetcher(weasyprint)
    ).write_pdf()

    after = pdf.html_to_pdf(html, report_stylesheet=True)

    after_pages = pages(after, tmp_path / "after")
    assert pages(before, tmp_path / "before") == after_pages
    assert len(after_pages) == 2


def pages(content: bytes, prefix: Path) -> list[bytes]:
    """Each page rasterised at 60 dpi, as PNG bytes."""
    prefix.mkdir(exist_ok=True)
    (prefix / "report.pdf").write_bytes(content)
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", str(prefix / "report.pdf"), str(prefix / "page")], check=True
    )
    return [path.read_bytes() for path in sorted(prefix.glob("page*.png"))]
