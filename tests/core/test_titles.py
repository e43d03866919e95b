"""A page title ends up in browser history, tab lists, bookmarks and screen-sharing: no page puts a patient's
MRN or name in it (ids are fine)."""

import json
import re
from datetime import date

import pytest
from django.template.loader import render_to_string

from patients.selectors import SECTION_LABELS
from patients.services import intake_import
from screening.presentation import report_context
from screening.services import screening_run
from tests.conftest import EXAMPLES
from tests.defaults_snapshot import load_defaults_for_test

pytestmark = pytest.mark.django_db

MRN = "ZQX-TITLE-9917"
GIVEN, FAMILY = "Quillonia", "Vandermeerschaert"
TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL | re.IGNORECASE)


def titles(html: str) -> list[str]:
    return TITLE.findall(html)


@pytest.fixture
def screening(clinician):
    load_defaults_for_test()
    doc = json.loads((EXAMPLES / "deferred-bp-and-benzodiazepine.json").read_text())
    doc["patient"].update(mrn=MRN, given_name=GIVEN, family_name=FAMILY)
    patient, _ = intake_import(doc=doc)
    return screening_run(patient=patient, requested_by=clinician, as_of=date(2026, 11, 20))


@pytest.fixture
def pages(clinician_client, screening):
    patient = screening.patient
    urls = [
        f"/patients/{patient.pk}/",
        f"/patients/{patient.pk}/edit/",
        f"/patients/{patient.pk}/history/",
        f"/patients/{patient.pk}/export.json",
        f"/patients/{patient.pk}/diagnoses/{patient.diagnoses.first().pk}/",
        *(f"/patients/{patient.pk}/sections/{section}/" for section in SECTION_LABELS),
        f"/screening/{screening.pk}/",
        "/screening/reports/",
        "/patients/",
        "/",
    ]
    return {url: clinician_client.get(url) for url in urls}


def test_the_pages_open_and_show_the_patient(pages):
    assert {url: response.status_code for url, response in pages.items()} == dict.fromkeys(pages, 200)
    assert MRN in pages["/screening/reports/"].content.decode()


def test_no_page_title_names_the_patient(pages):
    html = {url: r for url, r in pages.items() if r["Content-Type"].startswith("text/html")}
    shown = {url: titles(response.content.decode()) for url, response in html.items()}
    assert {url: len(found) for url, found in shown.items()} == dict.fromkeys(html, 1)
    assert [
        (url, found[0])
        for url, found in shown.items()
        if any(part in found[0] for part in (MRN, GIVEN, FAMILY))
    ] == []


def test_the_report_title_is_its_screening_number(pages, screening):
    assert titles(pages[f"/screening/{screening.pk}/"].content.decode()) == [
        f"Screening report #{screening.pk} · Ketamine pre-infusion"
    ]


def test_the_pdf_title_names_only_the_screening(screening):
    """WeasyPrint copies <title> into the PDF's metadata, which file managers and viewers show."""
    context = {**report_context(report=screening.report, intake=screening.intake), "screening": screening}
    html = render_to_string("screening/report_pdf.html", context)
    assert titles(html) == [f"Pre-infusion screening report #{screening.pk}"]
