"""The printable day-of sheet (issue 18 item 4): a PDF rendered by the Celery worker, never in the request,
showing the record as it stands (patient, screening, dose, checklist, vitals, decision with its reasons in
words, discharge, signature lines); a sheet made before a later change is never served as current; only staff
who read reports download it, audited, and a file that no longer matches its checksum is refused."""

import time
from datetime import datetime

import pytest
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from core.roles import AUDITOR
from infusions.models import InfusionSheetPdf
from infusions.services import (
    infusion_authorize,
    infusion_check,
    infusion_discharge,
    infusion_monitor,
    infusion_sign,
    infusion_start,
)
from infusions.sheet import sheet_render, sheet_request, sheet_state
from infusions.sheet_views import SheetStatusView
from infusions.tasks import render_day_sheet_task
from screening.pdf import PdfUnavailable
from tests.infusions.conftest import CHECK, DAY, cleared_patient
from tests.screening.test_pdf import pdf_text

pytestmark = pytest.mark.django_db

ITEMS = {
    "fasting": "Fasting as the clinic's protocol requires.",
    "escort_present": "A responsible adult escort is here to take the patient home.",
    "consent_current": "Consent confirmed for today's infusion.",
    "pregnancy_test_negative": "Pregnancy test done today and negative.",
}


def at(hour, minute=0):
    return timezone.make_aware(datetime(DAY.year, DAY.month, DAY.day, hour, minute))


def rendered(infusion, user, tmp_path) -> str:
    """The text of the sheet the worker renders for the infusion as it stands. (A test's transaction never
    commits, so a request sends no task: each test runs the worker's part itself.)"""
    sheet = sheet_request(infusion=infusion, user=user)
    assert render_day_sheet_task.apply(args=[sheet.pk]).get() == "ready"
    sheet.refresh_from_db()
    return pdf_text(sheet.file.read(), tmp_path)


def answer_line(text: str, item: str) -> str:
    return next(line for line in text.splitlines() if item in line)


def held_and_signed(patient, clinician):
    infusion = infusion_start(patient=patient, user=clinician)
    values = {**CHECK, "checklist_fasting": "no", "pre2_systolic": "132", "pre2_diastolic": "86"}
    infusion = infusion_check(infusion=infusion, user=clinician, values=values)
    return infusion_sign(infusion=infusion, user=clinician)


def test_a_held_sheet_shows_the_patient_each_item_asked_the_vitals_the_reason_and_the_signatures(
    cleared, clinician, tmp_path
):
    infusion = held_and_signed(cleared, clinician)
    text = rendered(infusion, clinician, tmp_path)

    assert "Ana Silva" in text and "KT-0001" in text and "1984-03-02 (age 42)" in text and "Female" in text
    assert (
        f"#{infusion.screening_id} of 2026-11-20" in text
        and "2026.4" in text
        and "Cleared to proceed (doc1" in text
    )
    assert "74 kg" in text and "37–74 mg" in text
    assert "☒ No" in answer_line(text, ITEMS["fasting"])
    for key in ("escort_present", "consent_current", "pregnancy_test_negative"):
        assert "☑ Yes" in answer_line(text, ITEMS[key])
    assert answer_line(text, "Before dosing  ").split()[-4:-1] == ["128", "82", "72"]
    assert answer_line(text, "second reading").split()[-3:-1] == ["132", "86"]
    assert "Mean before dosing: 130/84 mmHg." in text
    assert "Hold: no infusion today" in text
    assert "Not confirmed: Fasting as the clinic's protocol requires." in text
    assert "Outcome: Held" in text
    for role in ("Checked by (clinician)", "Authorized by (physician)", "Record signed by"):
        assert role in text
    assert text.count("signed in the system") == 2  # checked and signed; the dose was never authorized


def test_a_bedside_sheet_before_the_check_has_boxes_and_lines_to_fill_by_hand(cleared, clinician, tmp_path):
    text = rendered(infusion_start(patient=cleared, user=clinician), clinician, tmp_path)

    for item in ITEMS.values():
        assert "☐ Yes ☐ No" in answer_line(text, item)
    assert "Not decided: the checks before dosing are incomplete" in text
    assert "Missing: today's weight" in text and "Missing: blood pressure before dosing" in text
    assert "signed in the system" not in text
    assert "Page 1 of 1" in text


def test_a_given_day_shows_the_dose_its_physician_monitoring_discharge_and_escort(
    cleared, clinician, physician, tmp_path
):
    infusion = infusion_check(
        infusion=infusion_start(patient=cleared, user=clinician), user=clinician, values=CHECK
    )
    infusion = infusion_authorize(infusion=infusion, user=physician, dose_mg="50")
    infusion = infusion_monitor(
        infusion=infusion,
        user=clinician,
        values={
            "dose_given_mg": "50",
            "started_at": at(9),
            "at40_systolic": "138",
            "at40_diastolic": "88",
            "at40_heart_rate": "80",
            "rass": "-1",
            "dissociation_scale": "rating",
            "dissociation": "4",
            "adverse_events": "Mild nausea",
        },
    )
    values = {"discharge_systolic": "124", "discharge_diastolic": "80", "discharged_at": at(10, 30)}
    infusion = infusion_discharge(
        infusion=infusion, user=clinician, values={**values, "escort_name": "J. Silva"}
    )
    text = rendered(infusion_sign(infusion=infusion, user=clinician), clinician, tmp_path)

    assert "Go: the checks before dosing are met" in text and "Outcome: Given" in text
    assert "doc1" in answer_line(text, "Authorized dose") and "50 mg" in answer_line(text, "Authorized dose")
    assert answer_line(text, "About 40 minutes").split()[-4:] == ["138", "88", "80", "~09:40"]
    assert answer_line(text, "At discharge").split()[-3:] == ["124", "80", "10:30"]
    assert "-1 (drowsy)" in text and "4 (Clinician rating (0-10))" in text and "Mild nausea" in text
    assert "10:30" in answer_line(text, "Discharged at") and "J. Silva" in answer_line(text, "Discharged at")
    assert text.count("signed in the system") == 3


def test_print_queues_after_commit_with_the_sheet_id_only_and_renders_nothing_in_the_request(
    cleared, clinician, client, django_capture_on_commit_callbacks, monkeypatch
):
    infusion = infusion_start(patient=cleared, user=clinician)
    sent = []
    monkeypatch.setattr(render_day_sheet_task, "delay", lambda *args, **kwargs: sent.append((args, kwargs)))
    client.force_login(clinician)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("infusions:sheet_request", args=[infusion.pk]))
    sheet = InfusionSheetPdf.objects.get(infusion=infusion)
    assert (sheet.status, sheet.file.name, sent) == ("queued", "", [])  # nothing rendered, nothing sent yet
    assert (response.status_code, response.url) == (302, reverse("infusions:detail", args=[infusion.pk]))
    for callback in callbacks:
        callback()
    assert sent == [((sheet.pk,), {})]
    assert AuditEvent.objects.filter(
        action="export", object_type="infusion", object_id=str(infusion.pk)
    ).exists()


def test_a_second_print_of_an_unchanged_record_queues_nothing_new(cleared, clinician):
    infusion = infusion_start(patient=cleared, user=clinician)
    first = sheet_request(infusion=infusion, user=clinician)
    sheet_render(sheet_id=first.pk)
    assert sheet_request(infusion=infusion, user=clinician).pk == first.pk
    again = sheet_render(sheet_id=first.pk)  # a late duplicate of the message
    assert (again.attempts, InfusionSheetPdf.objects.count()) == (1, 1)


def test_a_role_without_access_is_refused_and_report_staff_download_audited(
    cleared, clinician, report_staff, rules_admin, make_user, client
):
    infusion = infusion_start(patient=cleared, user=clinician)
    sheet_render(sheet_id=sheet_request(infusion=infusion, user=clinician).pk)
    for user in (rules_admin, make_user("aud1", AUDITOR)):
        client.force_login(user)
        assert client.post(reverse("infusions:sheet_request", args=[infusion.pk])).status_code == 403
        assert client.get(reverse("infusions:sheet_download", args=[infusion.pk])).status_code == 403
    assert not AuditEvent.objects.filter(action="download").exists()
    client.force_login(report_staff)
    response = client.get(reverse("infusions:sheet_download", args=[infusion.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    disposition = response["Content-Disposition"]
    assert f"infusion-{infusion.pk}-20261120-sheet.pdf" in disposition
    assert "Silva" not in disposition and "KT-0001" not in disposition
    event = AuditEvent.objects.get(action="download")
    assert (event.object_type, event.object_id, event.patient_id) == (
        "infusion",
        str(infusion.pk),
        cleared.pk,
    )


def test_a_sheet_made_before_a_change_is_outdated_never_served_and_printed_anew(
    cleared, clinician, client, tmp_path
):
    infusion = infusion_start(patient=cleared, user=clinician)
    blank = sheet_render(sheet_id=sheet_request(infusion=infusion, user=clinician).pk)
    infusion_check(infusion=infusion, user=clinician, values=CHECK)
    assert sheet_state(infusion.pk)[1] == "outdated"
    client.force_login(clinician)
    refused = client.get(reverse("infusions:sheet_download", args=[infusion.pk]))
    assert refused.status_code == 302  # back to the page, saying why
    new = sheet_request(infusion=infusion, user=clinician)
    assert new.pk != blank.pk and new.status == "queued"
    assert sheet_state(infusion.pk)[1] == "queued"
    text = pdf_text(sheet_render(sheet_id=new.pk).file.read(), tmp_path)
    assert "Go: the checks before dosing are met" in text
    blank.refresh_from_db()
    assert blank.status == "ready" and blank.file  # what was printed before stays as it was


def test_a_file_that_no_longer_matches_its_checksum_is_refused_and_printed_again(cleared, clinician, client):
    infusion = infusion_start(patient=cleared, user=clinician)
    sheet = sheet_render(sheet_id=sheet_request(infusion=infusion, user=clinician).pk)
    sheet.file.storage.delete(sheet.file.name)
    sheet.file.storage.save(sheet.file.name, ContentFile(b"%PDF-1.7 altered"))
    client.force_login(clinician)
    assert client.get(reverse("infusions:sheet_download", args=[infusion.pk])).status_code == 302
    sheet.refresh_from_db()
    assert sheet.status == "failed" and "checksum" in sheet.error
    assert sheet_request(infusion=infusion, user=clinician).status == "queued"


def test_a_render_that_cannot_run_ends_failed_and_a_retry_queues_it_again(cleared, clinician, monkeypatch):
    def unavailable(*args, **kwargs):
        raise PdfUnavailable("PDF export needs WeasyPrint and its system libraries (Pango, HarfBuzz)")

    monkeypatch.setattr("infusions.sheet.html_to_pdf", unavailable)
    infusion = infusion_start(patient=cleared, user=clinician)
    sheet = sheet_request(infusion=infusion, user=clinician)
    assert render_day_sheet_task.apply(args=[sheet.pk]).get() == "failed"
    sheet.refresh_from_db()
    assert sheet.status == "failed" and "Pango" in sheet.error
    assert sheet_request(infusion=infusion, user=clinician).status == "queued"


def test_a_sheet_whose_worker_died_offers_a_retry_that_queues_it_again(cleared, clinician, settings):
    infusion = infusion_start(patient=cleared, user=clinician)
    sheet = sheet_request(infusion=infusion, user=clinician)
    long_ago = timezone.now() - timezone.timedelta(seconds=settings.PDF_STUCK_SECONDS + 5)
    InfusionSheetPdf.objects.filter(pk=sheet.pk).update(status="rendering", updated_at=long_ago)
    request = RequestFactory().get("/")
    request.user = clinician
    status = SheetStatusView.as_view()(request, pk=infusion.pk).content.decode()
    assert 'data-status="stalled"' in status and "Retry" in status
    assert sheet_request(infusion=infusion, user=clinician).status == "queued"


def test_the_status_polls_while_queued_and_offers_the_download_when_ready(cleared, clinician):
    infusion = infusion_start(patient=cleared, user=clinician)
    sheet = sheet_request(infusion=infusion, user=clinician)
    request = RequestFactory().get("/")
    request.user = clinician
    queued = SheetStatusView.as_view()(request, pk=infusion.pk).content.decode()
    assert 'data-status="queued"' in queued and 'hx-trigger="every 2s"' in queued
    sheet_render(sheet_id=sheet.pk)
    ready = SheetStatusView.as_view()(request, pk=infusion.pk).content.decode()
    assert "hx-trigger" not in ready
    assert reverse("infusions:sheet_download", args=[infusion.pk]) in ready


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_renders_the_sheet_and_it_downloads(
    celery_worker_process, clinician, physician, on_assessment_day, client, tmp_path
):
    patient = cleared_patient(clinician, physician)
    infusion = held_and_signed(patient, clinician)  # signed: what it shows no longer depends on today
    client.force_login(clinician)
    assert client.post(reverse("infusions:sheet_request", args=[infusion.pk])).status_code == 302
    deadline = time.monotonic() + 60
    sheet = InfusionSheetPdf.objects.get(infusion=infusion)
    while sheet.status not in ("ready", "failed") and time.monotonic() < deadline:
        time.sleep(0.25)
        sheet.refresh_from_db()
    assert sheet.status == "ready", sheet.error
    download = client.get(reverse("infusions:sheet_download", args=[infusion.pk]))
    text = pdf_text(b"".join(download.streaming_content), tmp_path)
    assert "KT-0001" in text and "Not confirmed: Fasting as the clinic's protocol requires." in text


def test_a_page_that_passes_only_the_infusion_loads_the_sheets_status_and_can_print(cleared, clinician):
    infusion = infusion_start(patient=cleared, user=clinician)
    html = render_to_string("infusions/includes/sheet.html", {"infusion": infusion})
    assert f'hx-get="{reverse("infusions:sheet_status", args=[infusion.pk])}" hx-trigger="load"' in html
    assert reverse("infusions:sheet_request", args=[infusion.pk]) in html and "Print day-of sheet" in html
