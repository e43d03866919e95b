"""Every main page, opened in Chromium by each role, keeps to the Content-Security-Policy: no inline script
or style, no eval, nothing from elsewhere. The violations are collected by the autouse fixture in
tests/e2e/conftest.py, which fails the test on any; each page here also checks the policy was sent."""

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from core.roles import AUDITOR, CLINICIAN, role_group
from core.twofactor import must_verify
from formulary.models import FormularyEntry
from patients.services import intake_import
from rules.models import RuleSet
from rules.services import ruleset_clone
from screening.models import ImpactPreview
from screening.services import screening_run
from tests.conftest import EXAMPLES, authenticator, next_code
from tests.e2e.conftest import home_settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-test-password-1"


def sign_in(page, live_server, user):
    """The one place this file signs in: the password, then the authenticator's code for a user whose role
    (or staff account) asks for one."""
    device = authenticator(user) if must_verify(user) else None
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if device is not None:
        page.get_by_label("Code").fill(next_code(device))
        page.get_by_role("button", name="Verify").click()
    expect(page.get_by_test_id("signed-in-as")).to_contain_text(user.username)
    home_settled(page)


def visit(page, live_server, path):
    response = page.goto(f"{live_server.url}{path}")
    assert response.status == 200, f"{path}: {response.status}"
    assert "script-src 'self'" in response.headers["content-security-policy"], path
    page.wait_for_load_state("networkidle")


@pytest.fixture
def records(clinician, rules_admin):
    """A screened patient (readings for the chart, a diagnosis, medications), a draft rule set with an
    impact preview under way (its progress bar and polling), and the formulary."""
    call_command("load_defaults", stdout=StringIO(), stderr=StringIO())
    patient, _ = intake_import(doc=json.loads((EXAMPLES / "deferred-bp-and-benzodiazepine.json").read_text()))
    screening = screening_run(patient=patient, requested_by=clinician, as_of=date(2026, 11, 20))
    active = RuleSet.objects.get(is_active=True)
    draft = ruleset_clone(source=active, version="2026.9-csp", created_by=rules_admin)
    ImpactPreview.objects.create(
        ruleset=draft,
        ruleset_sha256=draft.sha256,
        requested_by=rules_admin,
        status=ImpactPreview.Status.RUNNING,
        total=20,
        processed=7,
    )
    return {
        "patient": patient.pk,
        "diagnosis": patient.diagnoses.first().pk,
        "screening": screening.pk,
        "active": active.pk,
        "draft": draft.pk,
        "rule": draft.rules.get(code="BP-STAGE2").pk,
        "entry": FormularyEntry.objects.first().pk,
    }


def test_a_clinician_s_pages_keep_to_the_policy(live_server, page, clinician, records):
    page.set_default_timeout(20_000)
    sign_in(page, live_server, clinician)
    patient = f"/patients/{records['patient']}"
    for path in (
        "/",
        "/patients/",
        "/patients/new/",
        f"{patient}/",
        f"{patient}/edit/",
        *(f"{patient}/sections/{s}/" for s in ("psychiatric", "cardiovascular", "treatment_history")),
        f"{patient}/diagnoses/{records['diagnosis']}/",
        f"{patient}/history/",
        f"/screening/{records['screening']}/",
        "/screening/reports/",
        "/screening/rulesets/",
        f"/screening/rulesets/{records['active']}/",
        "/api/v1/docs",
    ):
        visit(page, live_server, path)

    visit(page, live_server, f"{patient}/")  # htmx: the formulary hint, then a medication added in place
    page.locator("#id_name").press_sequentially("Lexap", delay=30)
    expect(page.locator("#formulary-hint")).to_contain_text("Lexapro")
    page.locator("#id_name").fill("Lexapro")
    page.get_by_label("Dose (mg)").fill("10")
    page.get_by_label("Times per day").fill("1")
    page.get_by_role("button", name="Add medication").click()
    expect(page.locator("#medications table")).to_contain_text("escitalopram")


def test_a_physician_s_pages_keep_to_the_policy(live_server, page, physician, records):
    page.set_default_timeout(20_000)
    sign_in(page, live_server, physician)
    for path in (
        "/",
        f"/patients/{records['patient']}/",
        f"/screening/{records['screening']}/",
        "/screening/reports/",
    ):
        visit(page, live_server, path)
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")


def test_a_rules_admin_s_pages_keep_to_the_policy(live_server, page, rules_admin, records):
    page.set_default_timeout(20_000)
    sign_in(page, live_server, rules_admin)
    draft = f"/screening/rulesets/{records['draft']}"
    for path in (
        "/",
        "/screening/rulesets/",
        f"/screening/rulesets/{records['active']}/",
        f"{draft}/",
        f"{draft}/settings/",
        f"{draft}/submit/",
        f"{draft}/rules/new/",
        f"{draft}/rules/{records['rule']}/?predicate=json&tests=json",
        f"{draft}/rules/{records['rule']}/history/",
        f"/screening/rulesets/diff/?a={records['active']}&b={records['draft']}",
        f"/screening/rulesets/{records['active']}/clone/",
        "/formulary/",
        "/formulary/new/",
        f"/formulary/{records['entry']}/",
        f"/formulary/{records['entry']}/history/",
    ):
        visit(page, live_server, path)

    visit(page, live_server, f"{draft}/rules/{records['rule']}/")  # the structured editor and its script
    page.get_by_label("Systolic").fill("150")
    page.get_by_role("button", name="Save rule").first.click()
    expect(page.get_by_text("BP-STAGE2 saved")).to_be_visible()

    visit(page, live_server, f"{draft}/impact/")  # a preview under way: its progress, polled by htmx
    expect(page.locator("progress.impact-progress")).to_have_attribute("value", "35")
    with page.expect_response(lambda r: r.url.endswith(f"{draft}/impact/")):
        pass  # one poll, swapped in
    expect(page.locator("progress.impact-progress")).to_be_visible()


def test_report_staff_s_pages_keep_to_the_policy(live_server, page, report_staff, records):
    page.set_default_timeout(20_000)
    sign_in(page, live_server, report_staff)
    for path in ("/", "/screening/reports/", f"/screening/{records['screening']}/"):
        visit(page, live_server, path)


def test_an_auditor_s_pages_keep_to_the_policy(live_server, page, make_user):
    page.set_default_timeout(20_000)
    sign_in(page, live_server, make_user("auditor2", AUDITOR))
    for path in ("/", "/audit/", "/accounts/two-factor/enrol/"):
        visit(page, live_server, path)


def test_an_auditor_s_first_sign_in_enrols_an_authenticator_within_the_policy(live_server, page, make_user):
    page.set_default_timeout(20_000)
    make_user("auditor1", AUDITOR)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("auditor1")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("otp-qr").locator("svg")).to_be_visible()


def test_the_django_admin_keeps_to_the_policy(live_server, page, django_user_model):
    page.set_default_timeout(20_000)
    root = django_user_model.objects.create_superuser("root", password=PASSWORD)
    group = role_group(CLINICIAN)
    visit(page, live_server, "/admin/login/")
    sign_in(page, live_server, root)
    for path in (
        "/admin/",
        "/admin/auth/user/",
        f"/admin/auth/user/{root.pk}/change/",
        "/admin/auth/user/add/",
        f"/admin/auth/user/{root.pk}/password/",
        "/admin/auth/group/",
        f"/admin/auth/group/{group.pk}/change/",
        "/admin/auth/group/add/",
        "/admin/password_change/",
    ):
        visit(page, live_server, path)
    visit(page, live_server, "/admin/auth/user/")  # the actions bar's script
    page.locator("#action-toggle").check()
    expect(page.locator(".action-counter")).to_contain_text("1 of 1 selected")
