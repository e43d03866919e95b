"""Issue 17: a new patient's whole intake and a screening with the keyboard alone (Tab, Shift+Tab, arrows,
Space and Enter; no click after signing in), in at most 10 page loads. Each control is reached by
tabbing, as a nurse would: a control Tab never reaches fails the test; so does one that takes the focus
somewhere unexpected after an action.

Screenshots of the steps go to E2E_SCREENSHOTS when it is set (a folder), else to the test's own
temporary folder, which the run removes."""

import os
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from patients.models import Patient

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAX_TABS = 80


def tab_to(page, target, *, backwards: bool = False) -> int:
    """Press Tab (Shift+Tab) until `target` has the focus; the number of presses."""
    for presses in range(1, MAX_TABS + 1):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        if target.evaluate("el => el === document.activeElement"):
            return presses
    raise AssertionError(f"{MAX_TABS} presses of Tab never reached {target}")


def focused(page):
    return page.locator("*:focus")


@pytest.fixture
def defaults():
    call_command("load_defaults", stdout=open(os.devnull, "w"))  # noqa: SIM115


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("E2E_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def shot(page, name: str) -> None:
        page.screenshot(path=str(folder / f"keyboard-{name}.png"), full_page=True)

    return shot


def test_a_whole_intake_and_a_screening_with_the_keyboard_alone(
    live_server, page, clinician, defaults, pdf_worker, shots
):
    page.set_default_timeout(20_000)
    page.set_viewport_size({"width": 1366, "height": 768})  # a bedside laptop
    sign_in(page, live_server, "clin")
    loads: list[str] = []
    page.on("framenavigated", lambda frame: frame == page.main_frame and loads.append(frame.url))
    page.goto(f"{live_server.url}/patients/new/")
    keys = page.keyboard

    # the new-patient form: the MRN has the focus; Tab walks the fields in reading order
    expect(page.get_by_label("MRN")).to_be_focused()
    keys.type("KB-0001")
    keys.press("Tab")
    keys.type("Kim")
    keys.press("Tab")
    keys.type("Keys")
    keys.press("Tab")
    expect(page.get_by_label("Date of birth")).to_be_focused()
    keys.type("04121985")  # month, day, year: the date field moves on by itself
    assert tab_to(page, page.get_by_label("Sex at birth")) <= 2  # past the calendar button
    keys.type("Male")
    keys.press("Tab")
    expect(page.get_by_label("Pregnancy")).to_be_focused()
    keys.type("Not applicable")
    keys.press("Tab")
    expect(page.get_by_label("Weight (kg)")).to_be_focused()
    keys.type("80")
    keys.press("Enter")
    expect(page.get_by_test_id("completeness-summary")).to_contain_text("screening requirements met")
    patient = Patient.objects.get(mrn="KB-0001")
    assert str(patient.date_of_birth) == "1985-04-12"
    assert (patient.sex_at_birth, patient.pregnancy) == ("male", "not_applicable")
    shots(page, "1-new-patient")

    # three sections in one key each: "None of these", then the card says so in place (no page load)
    for key, label in (
        ("psychiatric", "psychiatric"),
        ("cardiovascular", "cardiovascular"),
        ("other_medical", "other medical"),
    ):
        card = page.locator(f"#section-{key}")
        tab_to(page, card.get_by_role("button", name=f"None of these: set every {label} answer to No"))
        keys.press("Enter")
        expect(card.get_by_test_id("section-saved")).to_be_focused()
        expect(card.get_by_test_id(f"completeness-{key}")).to_contain_text("answers recorded")

    # treatment history: the number, then a yes/no/unknown group that Tab enters on its checked answer
    card = page.locator("#section-treatment_history")
    tab_to(page, card.get_by_label("Failed antidepressant trials"))
    keys.type("3")
    keys.press("Tab")
    expect(focused(page)).to_have_attribute("name", "psychotherapy_current")
    expect(focused(page)).to_have_attribute("value", "unknown")
    keys.press("Shift+Tab")  # and back, then on again: Shift+Tab works as well
    expect(card.get_by_label("Failed antidepressant trials")).to_be_focused()
    keys.press("Tab")
    keys.press("ArrowLeft")  # unknown -> no
    keys.press("ArrowLeft")  # no -> yes
    keys.press("Space")
    expect(card.locator("input[name=psychotherapy_current][value=yes]")).to_be_checked()
    tab_to(page, card.get_by_role("button", name="Save treatment history"))
    keys.press("Enter")
    expect(card.get_by_test_id("section-saved")).to_be_focused()

    card = page.locator("#section-support")
    tab_to(page, card.locator("input[name=escort_available]:checked"))
    keys.press("ArrowLeft")
    keys.press("ArrowLeft")
    keys.press("Tab")
    expect(focused(page)).to_have_attribute("name", "support_person")
    keys.press("ArrowLeft")
    keys.press("ArrowLeft")
    keys.press("Tab")
    expect(card.get_by_role("button", name="Save support")).to_be_focused()
    keys.press("Enter")
    expect(card.get_by_test_id("completeness-support")).to_contain_text("answers recorded")
    shots(page, "2-sections")

    # a diagnosis: code, status (active already), severity; Enter adds it and the new row has the focus
    tab_to(page, page.get_by_label("ICD-10-CM"))
    keys.type("F33.2")
    keys.press("Tab")
    expect(page.get_by_label("Status")).to_be_focused()
    keys.press("Tab")
    expect(page.get_by_label("Severity")).to_be_focused()
    keys.type("Severe")
    keys.press("Tab")
    keys.press("Enter")
    expect(focused(page)).to_contain_text("F33.2")

    # a medication: name, dose, times per day, Enter; then attest the list
    tab_to(page, page.locator("#id_name"))
    keys.type("Lexapro")
    tab_to(page, page.get_by_label("Dose (mg)"))
    keys.type("10")
    keys.press("Tab")
    expect(page.get_by_label("Times per day")).to_be_focused()
    keys.type("1")
    keys.press("Enter")
    expect(page.locator("#medications table")).to_contain_text("escitalopram")
    tab_to(page, page.get_by_role("button", name="Attest: this list is complete"))
    keys.press("Enter")
    expect(page.locator("#medications").get_by_test_id("block-status")).to_be_focused()
    expect(page.locator("#medications")).to_contain_text("Reconciled")

    # a blood pressure reading: three numbers; the date and time after them are already now
    tab_to(page, page.get_by_label("Systolic (mmHg)"))
    keys.type("124")
    keys.press("Tab")
    expect(page.get_by_label("Diastolic (mmHg)")).to_be_focused()
    keys.type("78")
    keys.press("Tab")
    expect(page.get_by_label("Heart rate (bpm)")).to_be_focused()
    keys.type("72")
    keys.press("Tab")
    expect(page.get_by_label("Date taken")).to_be_focused()
    keys.press("Enter")
    expect(focused(page)).to_contain_text("124/78")
    expect(page.get_by_test_id("completeness-summary")).to_contain_text(
        "Ready to screen: every requirement is met"
    )
    shots(page, "3-ready")

    # the screening, from the same page: Shift+Tab back up to "Screen now"
    tab_to(page, page.get_by_test_id("screen-now"), backwards=True)
    keys.press("Enter")
    expect(page.get_by_test_id("verdict")).to_have_attribute("data-verdict", "eligible")
    shots(page, "4-report")

    reading = patient.bp_readings.get()
    assert (reading.systolic, reading.diastolic, reading.heart_rate) == (124, 78, 72)
    assert patient.screenings.get().verdict == "eligible"
    # the new-patient form, the patient page after creating it, and the report
    assert len(loads) <= 3, loads
    print(f"page loads for the intake and the screening: {len(loads)}")
