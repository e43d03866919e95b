"""The sign-off a physician can trust, in a real browser: a missing finding is never offered for override;
once the data is complete a contraindication is set aside by two physicians and the screening cleared;
the PDF says so; a blood pressure reading added afterwards supersedes it on the page and in the worklist."""

import json
import re
import shutil
import subprocess

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from patients.management.commands.load_demo import shifted_to
from patients.services import intake_import
from tests.conftest import EXAMPLES
from tests.e2e import conftest as e2e

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-test-password-1"


def sign_in(page, live_server, username):
    """The password, then the authenticator's code (physicians must give one)."""
    e2e.sign_in(page, live_server, username, PASSWORD)


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()


def avm_intake(*, complete: bool) -> dict:
    """The contraindicated-avm example with its readings moved to half an hour ago; incomplete: its
    cardiovascular history left unknown."""
    doc = shifted_to(json.loads((EXAMPLES / "contraindicated-avm.json").read_text()), timezone.now())
    if not complete:
        doc["cardiovascular"] = {}
    return doc


def test_missing_data_is_never_overridden_and_a_cleared_screening_is_superseded_by_new_data(
    live_server, page, clinician, physician, physician2, pdf_worker, tmp_path
):
    call_command("load_defaults", stdout=open("/dev/null", "w"))  # noqa: SIM115
    patient, _ = intake_import(doc=avm_intake(complete=False))
    page.set_default_timeout(20_000)

    # an incomplete record: the missing finding is explained, never offered for override
    sign_in(page, live_server, "doc1")
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.get_by_test_id("screen-now").click()
    expect(page.get_by_test_id("verdict")).to_have_attribute("data-verdict", "needs_information")
    expect(page.locator("#override-rule option[value='CV-FLAG-UNKNOWN']")).to_have_count(0)
    page.get_by_text("Findings that cannot be overridden").click()
    expect(page.get_by_text("says data is missing: supply it and screen again")).to_be_visible()
    expect(
        page.get_by_label("Cleared to proceed with the infusion series under this screening")
    ).to_be_disabled()

    # the data completed (as an EHR import would), screened again: the AVM is a contraindication
    intake_import(doc=avm_intake(complete=True))
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.get_by_test_id("screen-now").click()
    expect(page.get_by_test_id("verdict")).to_have_attribute("data-verdict", "contraindicated")
    screening_url = page.url
    page.get_by_label("Override a finding").select_option("CV-AVM")
    page.get_by_label("Reason in words").fill("Angiography 2025 shows no AVM; the history entry was wrong")
    page.get_by_role("button", name="Override").click()
    expect(
        page.get_by_text("You recorded this override: a second, different physician must co-sign.")
    ).to_be_visible()
    expect(page.get_by_test_id("verdict")).to_have_attribute("data-verdict", "contraindicated")
    sign_out(page)

    # the second physician co-signs and clears
    sign_in(page, live_server, "doc2")
    expect(page.get_by_role("heading", name=re.compile("Co-signatures awaiting you"))).to_be_visible()
    page.goto(screening_url)
    page.get_by_role("button", name="Co-sign this override").click()
    expect(page.get_by_test_id("verdict")).to_have_attribute("data-verdict", "eligible")
    page.get_by_label("Cleared to proceed with the infusion series under this screening").check()
    page.get_by_test_id("sign").click()
    expect(page.get_by_test_id("verdict")).to_have_attribute("data-decision", "cleared")
    expect(page.get_by_test_id("decision")).to_contain_text("CLEARED TO PROCEED")

    # the PDF says so
    page.get_by_role("button", name="Export PDF").click()
    download_link = page.get_by_test_id("pdf-download")
    expect(download_link).to_be_visible(timeout=60_000)
    with page.expect_download() as info:
        download_link.click()
    target = tmp_path / "report.pdf"
    info.value.save_as(target)
    if shutil.which("pdftotext"):
        text = " ".join(
            subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True).stdout.split()
        )
        assert "VERDICT: ELIGIBLE" in text and "CLEARED TO PROCEED" in text
    else:
        assert target.read_bytes().startswith(b"%PDF")

    # a blood pressure reading added afterwards: superseded on the page and in the worklist
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.get_by_label("Systolic (mmHg)").fill("172")
    page.get_by_label("Diastolic (mmHg)").fill("104")
    page.get_by_role("button", name="Add reading").click()
    expect(page.get_by_text("superseded, do not use for clearance")).to_be_visible()
    page.goto(screening_url)
    expect(page.get_by_test_id("superseded")).to_contain_text("blood pressure added")
    page.goto(f"{live_server.url}/")
    stale = page.locator("[data-testid=worklist]", has_text="Screenings no longer current")
    expect(stale).to_contain_text(f"Screening #{screening_url.rstrip('/').split('/')[-1]}")
