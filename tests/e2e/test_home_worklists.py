"""The home page shows at once and then fetches its worklists through htmx (issue 16): in the browser the
placeholder is replaced by the lists, under the page's CSP, with no axe violation."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.patients.factories import PatientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_home_page_loads_its_worklists_after_it_shows(live_server, page, clinician):
    page.set_default_timeout(20_000)
    patient = PatientFactory(family_name="Quarry", given_name="Ines")
    sign_in(page, live_server, "clin")
    page.goto(f"{live_server.url}/")
    never = page.locator("[data-testid=worklist]", has_text="Never screened")
    expect(never).to_contain_text(f"Quarry, Ines ({patient.mrn})")
    expect(page.get_by_test_id("worklists-loading")).to_have_count(0)
    expect(page.locator("#worklists")).to_have_attribute("aria-live", "polite")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
