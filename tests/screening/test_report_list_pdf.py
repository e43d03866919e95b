"""The report list acts from the row (issue 17): a ready PDF downloads from it; an outdated, failed or
missing one links to the report's PDF panel, where it is made again."""

import json
from datetime import date

import pytest
from django.urls import reverse

from patients.services import intake_import
from screening.models import ReportPdf
from screening.review import screening_sign
from screening.services import pdf_render, pdf_request, screening_run
from screening.tasks import render_report_pdf_task
from tests.conftest import EXAMPLES
from tests.defaults_snapshot import load_defaults_for_test

pytestmark = pytest.mark.django_db


@pytest.fixture
def screening(clinician):
    load_defaults_for_test()
    patient, _ = intake_import(doc=json.loads((EXAMPLES / "eligible.json").read_text()))
    return screening_run(patient=patient, requested_by=clinician, as_of=date(2026, 11, 20))


def row_cell(client, screening) -> str:
    page = client.get(reverse("screening:report_list")).content.decode()
    start = page.index(f'href="{reverse("screening:detail", args=[screening.pk])}"')
    return page[start : page.index("</tr>", start)]


def test_each_pdf_state_acts_from_the_row(screening, report_staff, physician, client, monkeypatch):
    monkeypatch.setattr(render_report_pdf_task, "delay", lambda *a, **k: None)
    client.force_login(report_staff)
    panel = f"{reverse('screening:detail', args=[screening.pk])}#pdf-status"

    assert f'href="{panel}"' in row_cell(client, screening) and "Not exported" in row_cell(client, screening)

    pdf = pdf_request(screening=screening, user=report_staff)
    assert "Queued" in row_cell(client, screening)

    pdf_render(pdf_id=pdf.pk)
    cell = row_cell(client, screening)
    download = reverse("screening:pdf_download", args=[screening.pk])
    assert f'href="{download}"' in cell and f"Download the PDF of screening {screening.pk}" in cell
    response = client.get(download)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")

    screening_sign(screening=screening, user=physician, decision="cleared")  # the PDF no longer shows it
    cell = row_cell(client, screening)
    assert "Outdated" in cell and f'href="{panel}"' in cell and f'href="{download}"' not in cell

    ReportPdf.objects.filter(pk=pdf.pk).update(status=ReportPdf.Status.FAILED)
    cell = row_cell(client, screening)
    assert "Failed: retry from the report" in cell and f'href="{download}"' not in cell
