import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from patients.models import Patient
from screening.models import ReportPdf, Screening, SignOff
from tests.e2e.conftest import home_settled, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_data(settings):
    call_command("load_defaults", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.DEBUG = True
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.DEBUG = False


def test_clinician_screens_and_a_physician_signs_and_downloads_the_pdf(
    live_server, page, clinician, physician, demo_data, pdf_worker, tmp_path
):
    page.set_default_timeout(20_000)
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Username").fill("clin")
    page.get_by_label("Password").fill("a-long-test-password-1")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("signed-in-as")).to_contain_text("Clinician")
    home_settled(page)

    page.get_by_role("link", name="Patients").first.click()
    page.get_by_label("Search by name or MRN").fill("DEMO-006")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="DEMO-006").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Finley Park")

    page.get_by_test_id("screen-now").click()
    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_have_attribute("data-verdict", "deferred")
    expect(verdict).to_contain_text("DEFERRED")
    expect(page.locator(".finding[data-rule='BP-STAGE2']")).to_be_visible()

    expect(page.get_by_text("Only a physician can sign.")).to_be_visible()
    expect(page.get_by_test_id("sign")).to_have_count(0)
    screening_url = page.url
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server, "doc1")  # a physician: the password, then the authenticator's code
    page.goto(screening_url)
    expect(
        page.get_by_label("Cleared to proceed with the infusion series under this screening")
    ).to_be_disabled()
    page.get_by_label("Not cleared").check()
    page.get_by_label("Note (optional)").fill("Recheck BP after the benzodiazepine taper")
    page.get_by_test_id("sign").click()
    expect(page.get_by_test_id("signoff")).to_contain_text("Not cleared")
    expect(page.get_by_test_id("decision")).to_contain_text("NOT CLEARED")

    page.get_by_role("button", name="Export PDF").click()
    download_link = page.get_by_test_id("pdf-download")
    expect(download_link).to_be_visible(timeout=60_000)
    with page.expect_download() as info:
        download_link.click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)

    screening = Screening.objects.get(patient=Patient.objects.get(mrn="DEMO-006"))
    assert SignOff.objects.filter(screening=screening).exists()
    assert ReportPdf.objects.get(screening=screening).status == ReportPdf.Status.READY
    assert target.name == f"screening-{screening.pk}-{screening.created_at:%Y%m%d}.pdf"
    assert target.read_bytes().startswith(b"%PDF")
