"""A rules admin changes a threshold in the browser without typing JSON and submits the draft; a second
rules admin approves it. Every page on the way has no axe violation."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from playwright.sync_api import expect

from rules.models import Rule, RuleSet
from tests.e2e import conftest as e2e

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
AXE = Axe()


@pytest.fixture
def defaults():
    call_command("load_defaults", stdout=open("/dev/null", "w"))  # noqa: SIM115


def sign_in(page, live_server, username):
    """The password, then the authenticator's code (rules admins must give one)."""
    e2e.sign_in(page, live_server, username)


def no_axe_violations(page):
    results = AXE.run(page)
    assert results.violations_count == 0, results.generate_report()


def test_a_threshold_is_changed_in_the_editor_submitted_and_approved_by_a_second_admin(
    live_server, page, rules_admin, rules_admin2, defaults
):
    page.set_default_timeout(20_000)
    sign_in(page, live_server, "admin1")
    page.goto(f"{live_server.url}/screening/rulesets/")
    no_axe_violations(page)
    page.locator("input[name=version]").first.fill("2026.3-e2e")
    page.get_by_role("button", name="Clone").first.click()
    expect(page.get_by_role("heading", name=re.compile("Rule set 2026.3-e2e"))).to_be_visible()
    no_axe_violations(page)

    page.get_by_role("link", name="BP-STAGE2", exact=True).click()
    no_axe_violations(page)
    page.get_by_label("Systolic").fill("150")
    # the cases just under the old threshold must now fire: their rows say so, without JSON
    for name in ("159/99 is not stage 2", "mean of 161/98 and 158/98 is 159.5/98: not stage 2"):
        case = page.locator("fieldset", has=page.locator(f'input[value="{name}"]'))
        case.get_by_label("Name").fill(name.replace("not stage 2", "stage 2 from 150"))
        case.get_by_label("Must fire").check()
    page.get_by_role("button", name="Save rule").first.click()
    expect(page.get_by_text(re.compile("BP-STAGE2 saved"))).to_be_visible()
    draft = RuleSet.objects.get(version="2026.3-e2e")
    assert Rule.objects.get(ruleset=draft, code="BP-STAGE2").predicate["params"]["systolic"] == 150

    page.get_by_role("link", name=re.compile("Submit for review")).click()
    no_axe_violations(page)
    page.get_by_label("Change note").fill("Stage 2 from 150 systolic (e2e)")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_test_id("review-state")).to_contain_text("Submitted for review")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, live_server, "admin2")
    page.goto(f"{live_server.url}/screening/rulesets/{draft.pk}/review/")
    no_axe_violations(page)
    page.locator("input[name=decision][value=approve]").check()
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_test_id("approved-by")).to_contain_text("admin2")
    no_axe_violations(page)
    draft.refresh_from_db()
    assert draft.is_active and draft.submitted_by == rules_admin and draft.approved_by == rules_admin2

    page.goto(f"{live_server.url}/screening/rulesets/{draft.pk}/impact/")
    no_axe_violations(page)
