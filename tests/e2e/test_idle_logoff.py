"""Idle sign-out in a real browser: a warning shortly before the limit, "Stay signed in" keeps the session,
and once the limit passes the page (or the next navigation) lands on the sign-in page. The live server runs
in-process, so a short SESSION_IDLE_SECONDS set here applies to it."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SIGN_IN_PAGE = re.compile(r"/accounts/login/\?next=/patients/$")


def test_a_warning_comes_before_the_limit_and_the_idle_page_then_shows_the_sign_in_page(
    live_server, page, clinician, settings
):
    settings.SESSION_IDLE_SECONDS = 6  # the warning comes at half of it: 3 s
    sign_in(page, live_server, "clin")
    page.goto(f"{live_server.url}/patients/")

    warning = page.get_by_test_id("session-timeout-warning")
    expect(warning).to_be_visible(timeout=5_000)
    expect(warning).to_contain_text("You will be signed out soon")
    expect(warning.get_by_role("button", name="Stay signed in")).to_be_focused()
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()

    expect(page).to_have_url(SIGN_IN_PAGE, timeout=10_000)
    expect(page.get_by_text("You were signed out after 6 seconds without activity.")).to_be_visible()


def test_stay_signed_in_keeps_the_session(live_server, page, clinician, settings):
    settings.SESSION_IDLE_SECONDS = 8  # the warning at 4 s
    sign_in(page, live_server, "clin")
    page.goto(f"{live_server.url}/patients/")
    warning = page.get_by_test_id("session-timeout-warning")
    expect(warning).to_be_visible(timeout=6_000)

    warning.get_by_role("button", name="Stay signed in").click()
    expect(warning).to_be_hidden()
    page.wait_for_timeout(5_000)  # past 8 s since the page loaded, 5 s since "Stay signed in"
    page.goto(f"{live_server.url}/patients/")

    expect(page).to_have_url(re.compile(r"/patients/$"))
    expect(page.get_by_test_id("signed-in-as")).to_be_visible()


def test_after_the_idle_time_the_next_navigation_lands_on_the_sign_in_page(
    live_server, page, clinician, settings
):
    settings.SESSION_IDLE_SECONDS = 3
    sign_in(page, live_server, "clin")
    page.goto("about:blank")  # no page of ours open: the server alone decides
    page.wait_for_timeout(4_500)

    page.goto(f"{live_server.url}/patients/")

    expect(page).to_have_url(SIGN_IN_PAGE)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
