"""A medication's dose is changed in place on the patient page (issue 17): Edit turns the row into a form with
the focus on the dose, Enter saves, and the row shows the new dose with the focus on it; a refused value
comes back in the row with its message; Cancel puts the row back and the focus on its Edit button. The
page in each state has no WCAG 2.1 AA violation."""

from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from patients.models import MedicationEntry
from tests.e2e.conftest import sign_in
from tests.patients.factories import MedicationEntryFactory, PatientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Axe()
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def no_axe_violations(page):
    results = AXE.run(page, options=WCAG_21_AA)
    assert results.violations_count == 0, results.generate_report()


@pytest.fixture
def patient_page(live_server, page, clinician):
    page.set_default_timeout(20_000)
    patient = PatientFactory()
    for name, dose in (("sertraline", "100"), ("lithium", "400")):
        MedicationEntryFactory(patient=patient, name=name, dose_mg=Decimal(dose), times_per_day=1)
    sign_in(page, live_server, "clin")
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    return page, patient


def test_a_dose_is_changed_in_the_row_and_saved_with_enter(patient_page):
    page, patient = patient_page
    card = page.locator("#medications")
    url = page.url

    card.get_by_role("link", name="Edit sertraline").click()

    row = page.get_by_test_id("medication-edit-row")
    dose = row.get_by_label("Dose (mg)")
    expect(dose).to_be_focused()
    expect(dose).to_have_value("100")
    expect(card.get_by_role("link", name="Edit lithium")).to_be_visible()  # the other rows stay
    no_axe_violations(page)

    dose.fill("0")  # refused: the row comes back with the message, the typed value and the focus on it
    dose.press("Enter")
    expect(row.get_by_test_id("error-summary")).to_be_focused()
    expect(row.get_by_text("The dose must be greater than 0 mg")).to_have_count(2)  # summary and field
    expect(row.get_by_label("Dose (mg)")).to_have_value("0")
    expect(row.get_by_label("Dose (mg)")).to_have_attribute("aria-invalid", "true")
    no_axe_violations(page)

    row.get_by_label("Dose (mg)").fill("150")
    row.get_by_label("Times per day").fill("2")
    row.get_by_label("Times per day").press("Enter")

    expect(page.get_by_test_id("medication-edit-row")).to_have_count(0)
    saved = card.locator("tr", has_text="sertraline")
    expect(saved).to_contain_text("150 mg")
    expect(saved).to_contain_text("2× per day")
    expect(saved).to_be_focused()
    entry = MedicationEntry.objects.get(patient=patient, name="sertraline")
    assert (entry.dose_mg, entry.times_per_day) == (Decimal("150"), 2)
    assert MedicationEntry.objects.get(patient=patient, name="lithium").dose_mg == Decimal("400")
    assert page.url == url  # the patient page all along, never left or reloaded


def test_cancel_puts_the_row_back_with_the_focus_on_its_edit_link(patient_page):
    page, patient = patient_page
    card = page.locator("#medications")
    card.get_by_role("link", name="Edit lithium").click()
    row = page.get_by_test_id("medication-edit-row")
    row.get_by_label("Dose (mg)").fill("900")

    row.get_by_role("link", name="Cancel").click()

    expect(page.get_by_test_id("medication-edit-row")).to_have_count(0)
    expect(card.get_by_role("link", name="Edit lithium")).to_be_focused()
    expect(card.locator("tr", has_text="lithium")).to_contain_text("400 mg")
    assert MedicationEntry.objects.get(patient=patient, name="lithium").dose_mg == Decimal("400")
