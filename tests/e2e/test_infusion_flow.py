"""Issue 18 in a real browser: a cleared patient's infusion day from the patient page to the signed record
and the printed day-of sheet: the checks before dosing decide go, the physician authorizes a dose within
today's range, the monitoring and the discharge are recorded, the record is signed and read-only. A pressure
at the BP-STAGE2 threshold holds the infusion, the physician's button disabled, the reason in words.

Screenshots go to E2E_SCREENSHOTS when it is set (a folder), else to the test's temporary folder."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from infusions.models import Infusion
from tests.infusions.conftest import cleared_patient

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("E2E_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def shot(page, name: str) -> None:
        page.screenshot(path=str(folder / f"infusion-{name}.png"), full_page=True)

    return shot


def before_dosing(page, systolic: str, diastolic: str) -> None:
    page.locator("input[name=weight_kg]").fill("74")
    page.locator("input[name=pre_systolic]").fill(systolic)
    page.locator("input[name=pre_diastolic]").fill(diastolic)
    page.locator("input[name=pre_heart_rate]").fill("72")
    for key in ("fasting", "escort_present", "consent_current", "pregnancy_test_negative"):
        page.locator(f"input[name=checklist_{key}][value=yes]").check()
    page.get_by_role("button", name="Record the checks").click()


def test_an_infusion_day_from_the_check_to_the_signed_record_and_its_sheet(
    live_server, page, clinician, physician, on_assessment_day, pdf_worker, shots
):
    patient = cleared_patient(clinician, physician)
    page.set_default_timeout(20_000)
    page.set_viewport_size({"width": 1366, "height": 768})  # a bedside laptop
    sign_in(page, live_server, physician.username)
    page.goto(f"{live_server.url}/patients/{patient.pk}/#infusions")
    page.get_by_test_id("start-infusion").click()
    page.get_by_role("button", name="Start the day-of check").click()
    expect(page).to_have_url(re.compile(r"/infusions/\d+/$"))
    expect(page.get_by_test_id("decision")).to_have_attribute("data-status", "incomplete")
    shots(page, "1-started")

    before_dosing(page, "128", "82")
    decision = page.get_by_test_id("decision")
    expect(decision).to_have_attribute("data-status", "go")
    expect(page.get_by_test_id("dose-range")).to_have_text("37–74 mg (0.5–1.0 mg/kg × 74 kg)")
    shots(page, "2-go")

    page.locator("input[name=dose_mg]").fill("74.1")
    page.get_by_role("button", name="Authorize the dose").click()
    expect(page.get_by_test_id("error-summary")).to_contain_text("Today's range is 37–74 mg")
    expect(page.locator("input[name=dose_mg]")).to_have_value("74.1")  # kept as typed
    page.locator("input[name=dose_mg]").fill("50")
    page.get_by_role("button", name="Authorize the dose").click()

    page.locator("input[name=dose_given_mg]").fill("50")
    page.locator("input[name=started_at]").fill("09:00")
    page.locator("input[name=at40_systolic]").fill("138")
    page.locator("input[name=at40_diastolic]").fill("88")
    page.get_by_label("Sedation (RASS)").select_option("-1")
    page.locator("input[name=dissociation]").fill("4")
    page.get_by_role("button", name="Record the infusion").click()

    page.locator("input[name=discharge_systolic]").fill("124")
    page.locator("input[name=discharge_diastolic]").fill("80")
    page.locator("input[name=discharged_at]").fill("10:30")
    page.get_by_label("Escort's name").fill("J. Silva")
    page.get_by_role("button", name="Record the discharge").click()
    page.get_by_role("button", name="Sign: given").click()
    expect(page.get_by_test_id("signed")).to_contain_text("Signed given")
    expect(page.get_by_role("button", name="Record the checks")).to_have_count(0)  # read-only now
    shots(page, "3-signed")

    infusion = Infusion.objects.get()
    assert (infusion.outcome, float(infusion.dose_given_mg), infusion.escort_name) == (
        "given",
        50.0,
        "J. Silva",
    )
    page.get_by_role("button", name="Print day-of sheet").click()
    expect(page.get_by_test_id("sheet-download")).to_be_visible(timeout=60_000)
    page.goto(f"{live_server.url}/patients/{patient.pk}/#infusions")
    expect(page.get_by_test_id("series")).to_contain_text("1 infusion given")


def test_a_pressure_at_the_stage_2_threshold_holds_the_day(
    live_server, page, clinician, physician, on_assessment_day, shots
):
    patient = cleared_patient(clinician, physician)
    page.set_default_timeout(20_000)
    sign_in(page, live_server, physician.username)
    page.goto(f"{live_server.url}/patients/{patient.pk}/infusions/new/")
    page.get_by_role("button", name="Start the day-of check").click()
    before_dosing(page, "160", "92")
    expect(page.get_by_test_id("decision")).to_have_attribute("data-status", "hold")
    expect(page.get_by_test_id("decision-reasons")).to_contain_text(
        "Blood pressure before dosing 160/92 (1 reading) is at or above 160/100 (BP-STAGE2)"
    )
    expect(page.get_by_role("button", name="Authorize the dose")).to_be_disabled()
    shots(page, "4-held")
