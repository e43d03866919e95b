import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from patients.models import Patient

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def defaults():
    call_command("load_defaults", stdout=open("/dev/null", "w"))  # noqa: SIM115


def sign_in(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("clin")
    page.get_by_label("Password").fill("a-long-test-password-1")
    page.get_by_role("button", name="Sign in").click()


def test_a_new_patient_goes_from_empty_to_screened_in_the_browser(
    live_server, page, clinician, defaults, pdf_worker
):
    page.set_default_timeout(20_000)
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/patients/new/")
    page.get_by_label("MRN").fill("E2E-0001")
    page.get_by_label("Given name").fill("Robin")
    page.get_by_label("Family name").fill("Tester")
    page.get_by_label("Date of birth").fill("1985-04-12")
    page.get_by_label("Sex at birth").select_option("male")
    page.get_by_label("Pregnancy").select_option("not_applicable")
    page.get_by_label("Weight (kg)").fill("5")  # implausible: refused, nothing lost
    page.get_by_role("button", name="Create patient").click()
    expect(page.get_by_test_id("error-summary")).to_be_focused()  # the summary, then the field's own message
    expect(page.get_by_test_id("error-summary")).to_contain_text(
        "Weight (kg): 5 kg is below the plausible minimum"
    )
    expect(page.locator("#id_weight_kg_error")).to_have_text("5 kg is below the plausible minimum of 25 kg.")
    expect(page.get_by_label("Given name")).to_have_value("Robin")
    page.get_by_label("Weight (kg)").fill("80")
    page.get_by_role("button", name="Create patient").click()
    expect(page.get_by_test_id("completeness-cardiovascular")).to_have_text(
        "12 of 12 cardiovascular answers unknown"
    )

    # every section answered in place on the patient page, each saved alone
    for section in ("psychiatric", "cardiovascular", "other_medical"):
        card = page.locator(f"#section-{section}")
        card.get_by_role("button", name=re.compile("None of these")).click()
        expect(card.get_by_test_id("section-saved")).to_be_visible()
    card = page.locator("#section-treatment_history")
    card.get_by_label("Failed antidepressant trials").fill("3")
    card.locator("input[name=psychotherapy_current][value=yes]").check()
    card.get_by_role("button", name="Save treatment history").click()
    expect(card.get_by_test_id("section-saved")).to_be_visible()
    card = page.locator("#section-support")
    card.locator("input[name=escort_available][value=yes]").check()
    card.locator("input[name=support_person][value=yes]").check()
    card.get_by_role("button", name="Save support").click()
    expect(card.get_by_test_id("completeness-support")).to_contain_text("all 2 support answers recorded")

    page.get_by_label("ICD-10-CM").fill("F33.2")
    page.locator("#id_severity").select_option("severe")
    page.get_by_role("button", name="Add diagnosis").click()
    expect(page.locator("#diagnoses")).to_contain_text("Major depressive disorder, recurrent severe")
    expect(page.locator("#diagnoses tr.table-success")).to_be_focused()  # the new row; typing waits for it

    page.locator("#id_name").press_sequentially("Lexap", delay=30)
    expect(page.locator("#formulary-hint")).to_contain_text("Lexapro")
    page.locator("#id_name").fill("Lexapro")
    page.get_by_label("Dose (mg)").fill("10")
    page.get_by_label("Times per day").fill("1")
    page.get_by_role("button", name="Add medication").click()
    expect(page.locator("#medications table")).to_contain_text("escitalopram")  # the new row, not the hint
    page.get_by_role("button", name=re.compile("Attest")).click()
    expect(page.locator("#medications")).to_contain_text("Reconciled")

    page.get_by_label("Systolic (mmHg)").fill("124")
    page.get_by_label("Diastolic (mmHg)").fill("78")
    page.get_by_role("button", name="Add reading").click()
    expect(page.get_by_test_id("completeness-summary")).to_contain_text(
        "Ready to screen: every requirement is met"
    )

    page.get_by_test_id("screen-now").click()
    expect(page.get_by_test_id("verdict")).to_have_attribute("data-verdict", "eligible")
    patient = Patient.objects.get(mrn="E2E-0001")
    assert patient.medications.get().formulary_entry.generic == "escitalopram"
    assert patient.screenings.get().verdict == "eligible"
