"""Zero axe violations under the WCAG 2.1 A and AA rules (issue 17) on every page each role reaches, and on
the page states that matter at the bedside (a form re-shown with its errors, a search with no match, the
report with an override waiting for its co-signature).

PAGES names every route that serves a page, with the roles that open it; NOT_PAGES names the others with
why. test_every_route_is_listed walks the URL resolver: a new page fails it until it is listed here, so no
page escapes the check."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from formulary.models import FormularyEntry
from infusions.models import Infusion
from patients.services import intake_import
from rules.models import RuleSet
from rules.services import ruleset_clone
from screening.review import finding_override
from screening.services import screening_run
from tests.conftest import EXAMPLES, authenticator, next_code
from tests.core.test_headers import concrete, routes
from tests.e2e.conftest import PASSWORD, home_settled, sign_in

AXE = Axe()
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}

CLIN, PHYS, ADMIN, STAFF, AUD, NOROLE = "clin", "doc1", "admin1", "staff1", "aud1", "norole"

# route (as the resolver writes it) -> the users who open it
PAGES: dict[str, tuple[str, ...]] = {
    "": (CLIN, PHYS, ADMIN, STAFF, AUD, NOROLE),
    # the sign-in steps and the backup codes are checked on the way (the test's own steps, below)
    "accounts/login/": ("on the way",),
    "accounts/two-factor/": ("on the way",),
    "accounts/two-factor/enrol/": (PHYS,),  # an enrolled user's status page; the enrolment itself on the way
    "accounts/two-factor/backup-codes/": ("on the way",),
    "audit/": (AUD,),
    "patients/": (CLIN,),
    "patients/new/": (CLIN,),
    "patients/<int:pk>/": (CLIN, PHYS),
    "patients/<int:pk>/edit/": (CLIN,),
    "patients/<int:pk>/sections/<str:section>/": (CLIN,),
    "patients/<int:pk>/history/": (CLIN,),
    "patients/<int:pk>/diagnoses/<int:dx_id>/": (CLIN,),
    "patients/<int:pk>/medications/<int:med_id>/edit/": (CLIN,),  # the page without JavaScript
    "patients/<int:pk>/measures/new/<str:instrument>/": (CLIN,),
    "formulary/": (ADMIN,),
    "formulary/new/": (ADMIN,),
    "formulary/<int:pk>/": (ADMIN,),
    "formulary/<int:pk>/history/": (ADMIN,),
    "screening/rulesets/": (ADMIN, CLIN),
    "screening/rulesets/diff/": ("on the way",),  # it needs the two sets to compare
    "screening/rulesets/<int:pk>/": (ADMIN, PHYS),
    "screening/rulesets/<int:pk>/submit/": (ADMIN,),
    "screening/rulesets/<int:pk>/delete/": (ADMIN,),
    "screening/rulesets/<int:pk>/settings/": (ADMIN,),
    "screening/rulesets/<int:pk>/rules/new/": (ADMIN,),
    "screening/rulesets/<int:pk>/rules/<int:rule_id>/": (ADMIN,),
    "screening/rulesets/<int:pk>/rules/<int:rule_id>/remove/": (ADMIN,),
    "screening/rulesets/<int:pk>/rules/<int:rule_id>/history/": (ADMIN, CLIN),
    "screening/rulesets/<int:pk>/impact/": (ADMIN,),
    "screening/worklists/": (CLIN, PHYS, STAFF),
    "screening/reports/": (STAFF, CLIN),
    "screening/patients/<int:pk>/screenings/": (CLIN,),
    "screening/<int:pk>/": (CLIN, PHYS, STAFF),
    "patients/<int:pk>/infusions/new/": (CLIN,),
    "infusions/<int:pk>/": (CLIN, PHYS),  # the physician's page has the authorization card
    "infusions/<int:pk>/measures/new/<str:instrument>/": (CLIN,),
}
NOT_PAGES = {
    "healthz": "plain text for load balancers",
    "metrics": "Prometheus' text format, for a scraper only (a 404 to anyone else)",
    "readyz": "JSON for load balancers and orchestrators",
    "accounts/logout/": "a POST that ends at the sign-in page (checked there)",
    "accounts/keep-alive/": "the idle warning's POST, answered with no page",
    "patients/formulary/suggest/": "an htmx fragment inside the patient page (checked there)",
    "patients/<int:pk>/export.json": "a JSON download",
    "patients/<int:pk>/diagnoses/": "POST only: the patient page's add form",
    "patients/<int:pk>/diagnoses/<int:dx_id>/delete/": "POST only",
    "patients/<int:pk>/medications/": "POST only: the patient page's add form",
    "patients/<int:pk>/medications/<int:med_id>/delete/": "POST only",
    "patients/<int:pk>/medications/reconcile/": "POST only",
    "patients/<int:pk>/readings/": "POST only: the patient page's add form",
    "patients/<int:pk>/readings/<int:reading_id>/delete/": "POST only",
    "patients/<int:pk>/measures/<int:measure_id>/delete/": "POST only",
    "screening/rulesets/<int:pk>/clone/": "POST only: the rule set list's form",
    "screening/rulesets/<int:pk>/review/": "the approver's form on the rule set page (checked there)",
    "screening/rulesets/<int:pk>/withdraw/": "a confirmation for a submitted set, the submit page's twin",
    "screening/rulesets/<int:pk>/impact/start/": "POST only",
    "screening/patients/<int:pk>/screen/": "POST only",
    "screening/<int:pk>/override/": "POST only: the report's form",
    "screening/<int:pk>/overrides/<int:override_id>/cosign/": "POST only",
    "screening/<int:pk>/suggest/": "POST only",
    "screening/<int:pk>/sign/": "POST only",
    "screening/<int:pk>/pdf/": "POST only",
    "screening/<int:pk>/pdf/status/": "an htmx fragment of the report page (checked there)",
    "screening/<int:pk>/pdf/download/": "the PDF file",
    "screening/<int:pk>/fhir/": "the FHIR Bundle file (JSON)",
    "cds-services": "CDS Hooks discovery (JSON for EHRs)",
    "cds-services/<str:service_id>": "CDS Hooks service calls (JSON, POST only)",
    "cds-services/<str:service_id>/feedback": "CDS Hooks feedback (JSON, POST only)",
    "infusions/<int:pk>/check/": "POST only: the infusion page's step forms (checked there)",
    "infusions/<int:pk>/authorize/": "POST only",
    "infusions/<int:pk>/monitor/": "POST only",
    "infusions/<int:pk>/discharge/": "POST only",
    "infusions/<int:pk>/sign/": "POST only",
    "infusions/<int:pk>/sheet/": "POST only: the infusion page's print button",
    "infusions/<int:pk>/sheet/status/": "an htmx fragment of the infusion page (checked there)",
    "infusions/<int:pk>/sheet.pdf": "the PDF file",
}
NOT_PAGE_PREFIXES = {
    "admin/": "Django's own admin, for staff accounts only",
    "api/v1/": "the JSON API; its docs page is a third-party UI for developers, not a clinical page",
}


def test_every_route_is_listed():
    """A page nobody listed is a page axe never saw."""
    unlisted = [
        route
        for route in set(routes())
        if route not in PAGES
        and route not in NOT_PAGES
        and not any(route.startswith(prefix) for prefix in NOT_PAGE_PREFIXES)
    ]
    assert sorted(unlisted) == []
    assert not set(PAGES) & set(NOT_PAGES)
    assert set(PAGES) | set(NOT_PAGES) <= set(routes())  # nothing listed that no longer exists


@dataclass
class Finding:
    where: str
    report: str


class Checker:
    def __init__(self, page):
        self.page = page
        self.found: list[Finding] = []
        self.seen: list[str] = []

    def check(self, where: str) -> None:
        self.page.wait_for_load_state("networkidle")
        results = AXE.run(self.page, options=WCAG_21_AA)
        self.seen.append(where)
        if results.violations_count:
            self.found.append(Finding(where, results.generate_report()))

    def visit(self, url: str, where: str | None = None) -> None:
        response = self.page.goto(url)
        assert response is not None and response.status == 200, (url, response and response.status)
        self.check(where or url)

    def assert_clean(self) -> None:
        assert self.found == [], "\n\n".join(f"== {f.where}\n{f.report}" for f in self.found)


@pytest.fixture
def world(db, clinician, physician, rules_admin, report_staff, make_user):
    call_command("load_defaults", stdout=open("/dev/null", "w"))  # noqa: SIM115
    make_user(AUD, "Auditor")
    make_user(NOROLE)
    patient, _ = intake_import(doc=json.loads((EXAMPLES / "deferred-bp-and-benzodiazepine.json").read_text()))
    screening = screening_run(patient=patient, requested_by=clinician, as_of=date(2026, 11, 20))
    overridable = [f["rule"] for f in screening.report["findings"] if f["severity"] in ("defer", "review")]
    assert overridable, screening.report["findings"]
    finding_override(
        screening=screening, user=physician, rule=overridable[0], reason="Reviewed at the bedside."
    )
    active = RuleSet.objects.get(is_active=True)
    draft = ruleset_clone(source=active, version="2026.9-axe", created_by=rules_admin)
    # a day-of check under that screening (made directly: it is not signed cleared), with its decision to show
    infusion = Infusion.objects.create(
        patient=patient, screening=screening, infusion_on=date(2026, 11, 20), created_by=clinician
    )
    return {
        "infusions": str(infusion.pk),
        "patients": str(patient.pk),
        "section": "psychiatric",
        "instrument": "cssrs_screener",
        "dx_id": str(patient.diagnoses.first().pk),
        "med_id": str(patient.medications.first().pk),
        "screening": str(screening.pk),
        "rulesets": str(draft.pk),
        "rule_id": str(draft.rules.first().pk),
        "formulary": str(FormularyEntry.objects.first().pk),
        "active": str(active.pk),
    }


def urls_for(user: str, ids: dict[str, str]) -> list[str]:
    return [concrete(route, ids) for route, users in PAGES.items() if user in users]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("user", [CLIN, PHYS, ADMIN, STAFF, AUD, NOROLE])
def test_every_page_of_each_role_has_no_wcag_violation(live_server, page, world, user):
    page.set_default_timeout(20_000)
    checker = Checker(page)
    if user in (PHYS, AUD):  # the sign-in steps: the password, then the second factor
        device = authenticator(get_user_model().objects.get(username=user)) if user == PHYS else None
        page.goto(f"{live_server.url}/accounts/login/")
        checker.check("sign-in page")
        page.get_by_label("Username").fill(user)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        if user == AUD:  # no authenticator yet: set one up first
            expect(page).to_have_url(re.compile(r"/accounts/two-factor/enrol/"))
            checker.check("two-factor enrolment")
            page.context.clear_cookies()
        else:
            expect(page).to_have_url(re.compile(r"/accounts/two-factor/"))
            checker.check("two-factor code")
            page.get_by_label("Code").fill(next_code(device))
            page.get_by_role("button", name="Verify").click()
            expect(page.get_by_test_id("signed-in-as")).to_be_visible()
            home_settled(page)
    if user != PHYS:
        sign_in(page, live_server, user)
    for url in urls_for(user, world):
        checker.visit(live_server.url + url)
    if user == PHYS:
        page.goto(f"{live_server.url}/accounts/two-factor/enrol/")
        page.get_by_role("button", name="Make new backup codes").click()
        expect(page.get_by_test_id("backup-codes")).to_be_visible()
        checker.check("new backup codes")
    if user == ADMIN:
        checker.visit(f"{live_server.url}/screening/rulesets/{world['active']}/", "the active rule set")
        checker.visit(f"{live_server.url}/screening/rulesets/diff/?a={world['active']}&b={world['rulesets']}")
    if user == CLIN:
        page.goto(f"{live_server.url}/patients/new/")  # a form re-shown with its errors
        page.get_by_role("button", name="Create patient").click()
        expect(page.locator(".invalid-feedback").first).to_be_visible()
        checker.check("new patient, submitted empty")
        page.goto(f"{live_server.url}/patients/")  # a search with no match
        page.get_by_label("Search by name or MRN").fill("no such patient zzz")
        page.get_by_label("Search by name or MRN").press("Enter")
        expect(page.get_by_text("No patient matches")).to_be_visible()
        checker.check("patient search, no match")
    checker.assert_clean()
    assert len(checker.seen) >= len(urls_for(user, world))
