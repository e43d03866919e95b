"""The consult PDF through the API: POST .../pdf queues it (202), GET .../pdf polls its status,
GET .../pdf/download returns it once ready (409 before)."""

import hashlib
import re

import pytest
from django.urls import reverse

from screening.models import ReportPdf
from screening.pdf import PdfUnavailable
from screening.review import screening_sign
from screening.tasks import render_report_pdf_task

pytestmark = pytest.mark.django_db

STATUSES = {"none", "queued", "rendering", "ready", "failed", "outdated"}


@pytest.fixture
def requested(django_capture_on_commit_callbacks, monkeypatch, weasyprint, deferred_screening):
    """request(api): POST .../pdf as that caller; the render it queues runs in place once the request
    commits (as eager Celery does, and whatever broker the environment names)."""
    monkeypatch.setattr(
        render_report_pdf_task, "delay", lambda pdf_id: render_report_pdf_task.apply(args=[pdf_id])
    )

    def request(api):
        with django_capture_on_commit_callbacks(execute=True):
            return api.post(f"/screenings/{deferred_screening.pk}/pdf")

    return request


def status_of(api, screening):
    return api.get(f"/screenings/{screening.pk}/pdf").json()


def download(api, screening):
    return api.get(f"/screenings/{screening.pk}/pdf/download")


@pytest.fixture(params=["clinician", "physician", "report_staff"])
def reader_api(request, api_as):
    """Each role that may export reports."""
    return api_as(request.getfixturevalue(request.param))


def test_before_any_request_the_status_is_none(reader_api, deferred_screening):
    response = reader_api.get(f"/screenings/{deferred_screening.pk}/pdf")
    assert response.status_code == 200
    assert response.json() == {
        "screening_id": deferred_screening.pk,
        "status": "none",
        "error": "",
        "sha256": "",
        "download": None,
    }


def test_downloading_before_any_request_is_409(reader_api, deferred_screening):
    response = download(reader_api, deferred_screening)
    assert response.status_code == 409
    assert "status: none" in response.json()["error"]


def test_requesting_the_pdf_is_202_with_its_status(reader_api, requested, deferred_screening):
    response = requested(reader_api)
    assert response.status_code == 202
    assert response.json()["screening_id"] == deferred_screening.pk
    assert response.json()["status"] in STATUSES - {"none"}


def test_a_requested_pdf_is_ready_once_rendered(reader_api, requested, deferred_screening):
    requested(reader_api)
    status = status_of(reader_api, deferred_screening)
    assert status["status"] == "ready", status["error"]
    assert re.fullmatch(r"[0-9a-f]{64}", status["sha256"])
    assert status["download"] == f"/api/v1/screenings/{deferred_screening.pk}/pdf/download"


def test_the_ready_pdf_downloads_as_a_pdf(reader_api, requested, deferred_screening):
    requested(reader_api)
    response = download(reader_api, deferred_screening)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_the_downloaded_file_has_the_published_digest(reader_api, requested, deferred_screening):
    requested(reader_api)
    content = b"".join(download(reader_api, deferred_screening).streaming_content)
    assert hashlib.sha256(content).hexdigest() == status_of(reader_api, deferred_screening)["sha256"]


def test_the_file_name_holds_ids_and_dates_only(staff_api, requested, deferred_screening):
    requested(staff_api)
    disposition = download(staff_api, deferred_screening)["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"screening-{deferred_screening.pk}-" in disposition
    assert "Romero" not in disposition and "KT-0002" not in disposition


def test_requesting_twice_keeps_one_pdf(staff_api, requested):
    requested(staff_api)
    requested(staff_api)
    assert ReportPdf.objects.count() == 1


def test_a_queued_pdf_is_not_downloadable(staff_api, deferred_screening):
    staff_api.post(f"/screenings/{deferred_screening.pk}/pdf")  # never committed here: stays queued
    response = download(staff_api, deferred_screening)
    assert response.status_code == 409
    assert "status: queued" in response.json()["error"]


def test_a_pdf_made_before_signing_is_outdated_after(staff_api, requested, physician, deferred_screening):
    requested(staff_api)
    screening_sign(screening=deferred_screening, user=physician, decision="not_cleared")
    assert status_of(staff_api, deferred_screening)["status"] == "outdated"


def test_an_outdated_pdf_is_not_downloadable(staff_api, requested, physician, deferred_screening):
    requested(staff_api)
    screening_sign(screening=deferred_screening, user=physician, decision="not_cleared")
    assert download(staff_api, deferred_screening).status_code == 409


def test_the_page_refuses_an_outdated_pdf_as_the_api_does(
    staff_api, requested, physician, report_staff, deferred_screening, client
):
    requested(staff_api)
    screening_sign(screening=deferred_screening, user=physician, decision="not_cleared")
    client.force_login(report_staff)

    response = client.get(reverse("screening:pdf_download", args=[deferred_screening.pk]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("screening:detail", args=[deferred_screening.pk])
    assert "The PDF is not ready (status: outdated)" in response.content.decode()
    assert (
        download(staff_api, deferred_screening)
        .json()["error"]
        .startswith("The PDF is not ready (status: outdated)")
    )


def test_an_outdated_pdf_is_made_again_on_request(staff_api, requested, physician, deferred_screening):
    requested(staff_api)
    screening_sign(screening=deferred_screening, user=physician, decision="not_cleared")
    requested(staff_api)
    assert status_of(staff_api, deferred_screening)["status"] == "ready"


@pytest.fixture
def broken_renderer(monkeypatch):
    def broken(_screening, **_):
        raise PdfUnavailable("PDF export needs WeasyPrint and its system libraries (Pango, HarfBuzz)")

    monkeypatch.setattr("screening.pdf.render_screening_pdf", broken)


def test_a_failed_render_reads_failed_with_its_error(
    staff_api, requested, broken_renderer, deferred_screening
):
    requested(staff_api)
    status = status_of(staff_api, deferred_screening)
    assert status["status"] == "failed"
    assert "Pango" in status["error"]
    assert status["download"] is None


def test_a_failed_pdf_is_queued_again_on_request(staff_api, requested, broken_renderer, deferred_screening):
    requested(staff_api)
    response = staff_api.post(f"/screenings/{deferred_screening.pk}/pdf")  # not committed: stays queued
    assert (response.status_code, response.json()["status"]) == (202, "queued")


def test_a_ready_pdf_whose_file_is_gone_is_409(staff_api, requested, deferred_screening):
    requested(staff_api)
    pdf = ReportPdf.objects.get()
    pdf.file.storage.delete(pdf.file.name)
    response = download(staff_api, deferred_screening)
    assert response.status_code == 409
    assert "missing" in response.json()["error"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/screenings/999999/pdf"),
        ("get", "/screenings/999999/pdf"),
        ("get", "/screenings/999999/pdf/download"),
    ],
)
def test_the_pdf_of_an_unknown_screening_is_404(staff_api, defaults, method, path):
    response = getattr(staff_api, method)(path)
    assert response.status_code == 404
    assert set(response.json()) == {"error"}


def test_requesting_the_pdf_of_an_unknown_screening_stores_nothing(staff_api, defaults):
    staff_api.post("/screenings/999999/pdf")
    assert ReportPdf.objects.count() == 0
