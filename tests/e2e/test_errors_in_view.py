"""A failed submit shows its error where the eye is (issue 17): the form that failed gets an error summary
that takes the focus (so the browser scrolls to it), links to each field, and every typed value is kept.
Every form of the patient page does it in place (an htmx swap of its own card): the address stays the
patient page's, so a refresh never posts the refused form again."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.patients.factories import (
    BloodPressureReadingFactory,
    DiagnosisFactory,
    MedicationEntryFactory,
    PatientFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def long_record(db):
    """A record long enough that the add forms sit far below the top of the page."""
    patient = PatientFactory()
    for i in range(12):
        MedicationEntryFactory(patient=patient, name=f"drug{i}", formulary_entry=None)
    for code in ("F33.2", "F41.1", "F43.10"):
        DiagnosisFactory(patient=patient, icd10=code)
    for i in range(8):
        BloodPressureReadingFactory(patient=patient, systolic=120 + i, diastolic=80)
    return patient


def summary_in_view(page, url=None):
    if url is not None:
        assert page.url == url, "a refused form must leave the page at its own address"
    summary = page.get_by_test_id("error-summary")
    expect(summary).to_have_count(1)
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    return summary


def test_a_reading_that_fails_shows_its_error_in_view_with_the_values_kept(
    live_server, page, clinician, long_record
):
    page.set_default_timeout(20_000)
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in(page, live_server, "clin")
    page.goto(f"{live_server.url}/patients/{long_record.pk}/")
    page.get_by_label("Systolic (mmHg)").fill("90")
    page.get_by_label("Diastolic (mmHg)").fill("150")
    page.get_by_role("button", name="Add reading").click()
    summary = summary_in_view(page, f"{live_server.url}/patients/{long_record.pk}/")
    expect(summary).to_contain_text("Diastolic 150 must be below systolic 90.")
    expect(page.get_by_label("Systolic (mmHg)")).to_have_value("90")
    expect(page.get_by_label("Diastolic (mmHg)")).to_have_value("150")
    expect(page.get_by_label("Diastolic (mmHg)")).to_have_attribute("aria-invalid", "true")
    summary.get_by_role("link", name="Diastolic (mmHg)").click()
    expect(page.get_by_label("Diastolic (mmHg)")).to_be_focused()


def test_a_diagnosis_that_fails_shows_its_error_in_view(live_server, page, clinician, long_record):
    page.set_default_timeout(20_000)
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in(page, live_server, "clin")
    page.goto(f"{live_server.url}/patients/{long_record.pk}/")
    page.get_by_label("ICD-10-CM").fill("Q99.ZZZZ")
    page.get_by_role("button", name="Add diagnosis").click()
    summary = summary_in_view(page, f"{live_server.url}/patients/{long_record.pk}/")
    expect(summary).to_contain_text("Q99.ZZZZ")
    expect(page.get_by_label("ICD-10-CM")).to_have_value("Q99.ZZZZ")


def test_a_medication_that_fails_shows_its_error_in_view_after_the_swap(
    live_server, page, clinician, long_record
):
    page.set_default_timeout(20_000)
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in(page, live_server, "clin")
    page.goto(f"{live_server.url}/patients/{long_record.pk}/")
    page.locator("#id_name").fill("sertraline")
    page.locator("#id_dose_mg").fill("-5")
    page.get_by_role("button", name="Add medication").click()
    summary = summary_in_view(page, f"{live_server.url}/patients/{long_record.pk}/")
    expect(summary).to_contain_text("greater than 0 mg")
    expect(page.locator("#id_name")).to_have_value("sertraline")
    expect(page.locator("#id_dose_mg")).to_have_value("-5")


def test_a_section_that_fails_shows_its_error_in_its_card(live_server, page, clinician, long_record):
    page.set_default_timeout(20_000)
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in(page, live_server, "clin")
    url = f"{live_server.url}/patients/{long_record.pk}/"
    page.goto(url)
    card = page.locator("#section-treatment_history")
    card.get_by_label("Failed antidepressant trials").fill("99")
    card.locator("input[name=psychotherapy_current][value=no]").check()
    card.get_by_role("button", name="Save treatment history").click()
    summary = summary_in_view(page, url)
    expect(card.get_by_test_id("error-summary")).to_contain_text("Failed antidepressant trials")
    expect(card.get_by_label("Failed antidepressant trials")).to_have_value("99")
    expect(card.get_by_label("Failed antidepressant trials")).to_have_attribute("aria-invalid", "true")
    expect(card.locator("input[name=psychotherapy_current][value=no]")).to_be_checked()
    summary.get_by_role("link", name="Failed antidepressant trials").click()
    expect(card.get_by_label("Failed antidepressant trials")).to_be_focused()
