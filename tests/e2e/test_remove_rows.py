"""The patient page's Remove buttons share one form per table, each posting to its own row's URL (issue 16):
in the browser, a medication goes through htmx and a diagnosis and a reading through a plain post, and
only the row whose button was pressed goes. Each asks first (issue 17): cancelled, nothing is removed. The
patient page and the whole screening history have no axe violation."""

from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from patients.models import BloodPressureReading, Diagnosis, MedicationEntry
from tests.e2e.conftest import sign_in
from tests.patients.factories import (
    BloodPressureReadingFactory,
    DiagnosisFactory,
    MedicationEntryFactory,
    PatientFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Axe()


def no_axe_violations(page):
    results = AXE.run(page)
    assert results.violations_count == 0, results.generate_report()


def test_each_remove_button_removes_its_own_row_only(live_server, page, clinician):
    page.set_default_timeout(20_000)
    patient = PatientFactory()
    for name in ("sertraline", "lamotrigine", "lithium"):
        MedicationEntryFactory(patient=patient, name=name, formulary_entry=None)
    for code in ("F33.2", "F41.1"):
        DiagnosisFactory(patient=patient, icd10=code)
    now = timezone.now()
    BloodPressureReadingFactory(
        patient=patient, systolic=121, diastolic=81, taken_at=now - timedelta(hours=1)
    )
    BloodPressureReadingFactory(
        patient=patient, systolic=132, diastolic=82, taken_at=now - timedelta(hours=2)
    )
    sign_in(page, live_server, "clin")
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    no_axe_violations(page)

    asked: list[str] = []
    accept = {"now": False}

    def answer(dialog):
        asked.append(dialog.message)
        dialog.accept() if accept["now"] else dialog.dismiss()

    page.on("dialog", answer)

    # cancelled: every row stays, on the page and in the database
    for name in ("Remove lamotrigine", "Remove diagnosis F41.1", "Remove reading 132/82"):
        page.get_by_role("button", name=name).click()
    page.wait_for_timeout(500)
    assert asked == [
        "Remove lamotrigine from the medication list?",
        "Remove diagnosis F41.1 from this record?",
        asked[2],
    ]
    assert asked[2].startswith("Remove the reading 132/82 of ")
    for name in ("Remove lamotrigine", "Remove diagnosis F41.1", "Remove reading 132/82"):
        expect(page.get_by_role("button", name=name)).to_be_visible()
    assert MedicationEntry.objects.filter(patient=patient).count() == 3
    assert Diagnosis.objects.filter(patient=patient).count() == 2
    assert BloodPressureReading.objects.filter(patient=patient).count() == 2

    accept["now"] = True
    page.get_by_role("button", name="Remove lamotrigine").click()  # htmx: the section is replaced
    expect(page.get_by_role("button", name="Remove lamotrigine")).to_have_count(0)
    expect(page.get_by_role("button", name="Remove lithium")).to_be_visible()
    assert sorted(MedicationEntry.objects.filter(patient=patient).values_list("name", flat=True)) == [
        "lithium",
        "sertraline",
    ]

    page.get_by_role("button", name="Remove diagnosis F41.1").click()
    expect(page.get_by_text("Diagnosis F41.1 removed.")).to_be_visible()
    assert list(Diagnosis.objects.filter(patient=patient).values_list("icd10", flat=True)) == ["F33.2"]

    page.get_by_role("button", name="Remove reading 132/82").click()
    expect(page.get_by_role("button", name="Remove reading 132/82")).to_have_count(0)
    assert list(BloodPressureReading.objects.filter(patient=patient).values_list("systolic", flat=True)) == [
        121
    ]


def test_the_whole_screening_history_page_has_no_axe_violation(live_server, page, clinician):
    page.set_default_timeout(20_000)
    patient = PatientFactory()
    sign_in(page, live_server, "clin")
    page.goto(f"{live_server.url}/screening/patients/{patient.pk}/screenings/")
    expect(page.get_by_role("heading", name="Screenings")).to_be_visible()
    no_axe_violations(page)
