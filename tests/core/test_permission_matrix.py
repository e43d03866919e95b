"""Who may reach every URL: each route (walked from the resolver, so a new one must be added here or the
test fails) × each role and anonymous × GET and POST, against the table below.

"Reach" is the access decision only: an allowed caller may still get a 400, 404, 405 or 409 from the page
itself; a refused one gets 403 (a signed-in user without the role), a redirect to the sign-in page (a page,
anonymous) or 401 (the API, anonymous)."""

import pytest

from core.tokens import api_token_create
from tests.core.test_headers import concrete, routes

pytestmark = pytest.mark.django_db

CLIN, PHYS, ADMIN, STAFF, AUD = "clinician", "physician", "rules_admin", "report_staff", "auditor"
ROLES = (CLIN, PHYS, ADMIN, STAFF, AUD)
EVERYONE = set(ROLES)
RECORDS = {CLIN, PHYS}  # core.roles.EDIT_RECORDS (a page's physician-only acts are refused by the service)
DECIDE = {PHYS}  # the API's physician-only operations
REPORTS = {CLIN, PHYS, STAFF}  # READ_REPORTS
READ_RULES = {ADMIN, CLIN, PHYS}
RULES = {ADMIN}
AUDIT = {AUD}
PUBLIC = "public"  # anyone, signed in or not
ANY_OUTCOME = "any"  # not an access decision (signing out)
SESSION_ONLY = "session"  # every signed-in role, through the browser session only
NOBODY = "nobody"  # no role: the Django admin is for staff accounts only
CDS_CLIENT = NOBODY  # no user's session or token: a trusted EHR's signed JWT only (tests/interop)
# no user's session or token: Prometheus with METRICS_TOKEN or from METRICS_ALLOWED_NETWORKS (neither is set
# here; tests/core/test_metrics.py); everyone else gets a 404, the answer for a page that does not exist
SCRAPER = "scraper"

EXPECTED = {
    "": EVERYONE,
    "healthz": PUBLIC,
    "metrics": SCRAPER,
    "readyz": PUBLIC,
    "accounts/login/": PUBLIC,
    "accounts/logout/": ANY_OUTCOME,  # signing out ends at the sign-in page, whoever asks
    "accounts/two-factor/": EVERYONE,
    "accounts/two-factor/enrol/": EVERYONE,
    # new backup codes: for a user with a second factor (the roles that must have one, in these tests)
    "accounts/two-factor/backup-codes/": {"GET": EVERYONE, "POST": {PHYS, ADMIN, AUD}},
    "accounts/keep-alive/": EVERYONE,
    "audit/": AUDIT,
    "patients/": RECORDS,
    "patients/new/": RECORDS,
    "patients/formulary/suggest/": RECORDS,
    "patients/<int:pk>/": RECORDS,
    "patients/<int:pk>/edit/": RECORDS,
    "patients/<int:pk>/sections/<str:section>/": RECORDS,
    "patients/<int:pk>/export.json": RECORDS,
    "patients/<int:pk>/history/": RECORDS,
    "patients/<int:pk>/diagnoses/": RECORDS,
    "patients/<int:pk>/diagnoses/<int:dx_id>/": RECORDS,
    "patients/<int:pk>/diagnoses/<int:dx_id>/delete/": RECORDS,
    "patients/<int:pk>/medications/": RECORDS,
    "patients/<int:pk>/medications/<int:med_id>/edit/": RECORDS,
    "patients/<int:pk>/medications/<int:med_id>/delete/": RECORDS,
    "patients/<int:pk>/medications/reconcile/": RECORDS,
    "patients/<int:pk>/readings/": RECORDS,
    "patients/<int:pk>/readings/<int:reading_id>/delete/": RECORDS,
    "patients/<int:pk>/measures/new/<str:instrument>/": RECORDS,
    "patients/<int:pk>/measures/<int:measure_id>/delete/": RECORDS,
    "formulary/": RULES,
    "formulary/new/": RULES,
    "formulary/<int:pk>/": RULES,
    "formulary/<int:pk>/history/": RULES,
    "screening/rulesets/": READ_RULES,
    "screening/rulesets/diff/": READ_RULES,
    "screening/rulesets/<int:pk>/": READ_RULES,
    "screening/rulesets/<int:pk>/clone/": RULES,
    "screening/rulesets/<int:pk>/submit/": RULES,
    "screening/rulesets/<int:pk>/review/": RULES,
    "screening/rulesets/<int:pk>/withdraw/": RULES,
    "screening/rulesets/<int:pk>/delete/": RULES,
    "screening/rulesets/<int:pk>/settings/": RULES,
    "screening/rulesets/<int:pk>/rules/new/": RULES,
    "screening/rulesets/<int:pk>/rules/<int:rule_id>/": RULES,
    "screening/rulesets/<int:pk>/rules/<int:rule_id>/remove/": RULES,
    "screening/rulesets/<int:pk>/rules/<int:rule_id>/history/": READ_RULES,
    "screening/rulesets/<int:pk>/impact/": RULES,
    "screening/rulesets/<int:pk>/impact/start/": RULES,
    "screening/worklists/": REPORTS,
    "screening/reports/": REPORTS,
    "screening/patients/<int:pk>/screen/": RECORDS,
    "screening/patients/<int:pk>/screenings/": RECORDS,
    "screening/<int:pk>/": REPORTS,
    "screening/<int:pk>/override/": RECORDS,
    "screening/<int:pk>/overrides/<int:override_id>/cosign/": RECORDS,
    "screening/<int:pk>/suggest/": RECORDS,
    "screening/<int:pk>/sign/": RECORDS,
    "screening/<int:pk>/pdf/": REPORTS,
    "screening/<int:pk>/pdf/status/": REPORTS,
    "screening/<int:pk>/pdf/download/": REPORTS,
    "screening/<int:pk>/fhir/": REPORTS,  # the report page's FHIR download (interop)
    # the day-of infusion (issue 18): its pages record, so clinicians and physicians only; the authorization is
    # a physician's act, refused by its service to a clinician (tests/infusions/test_pages.py)
    "patients/<int:pk>/infusions/new/": RECORDS,
    "infusions/<int:pk>/": RECORDS,
    "infusions/<int:pk>/check/": RECORDS,
    "infusions/<int:pk>/authorize/": RECORDS,
    "infusions/<int:pk>/monitor/": RECORDS,
    "infusions/<int:pk>/discharge/": RECORDS,
    "infusions/<int:pk>/sign/": RECORDS,
    "infusions/<int:pk>/measures/new/<str:instrument>/": RECORDS,
    # the printed day-of sheet, as the screening report's PDF (READ_REPORTS: infusions/sheet_views.py)
    "infusions/<int:pk>/sheet/": REPORTS,
    "infusions/<int:pk>/sheet/status/": REPORTS,
    "infusions/<int:pk>/sheet.pdf": REPORTS,
    # the JSON API, by method (a bearer token of each role): a method a path does not answer is a 405 to all
    "api/v1/openapi.json": {"GET": EVERYONE, "POST": EVERYONE},  # signed in first, then a 405 to POST
    "api/v1/docs": {"GET": SESSION_ONLY, "POST": ANY_OUTCOME},  # the docs page: a signed-in browser
    "api/v1/audit-events": {"GET": AUDIT},
    "api/v1/intakes": {"POST": RECORDS},
    "api/v1/fhir/Bundle": {"POST": RECORDS},
    "api/v1/patients/<patient_id>/intake": {"GET": RECORDS},
    "api/v1/patients/<patient_id>/measures": {"GET": RECORDS, "POST": RECORDS},
    "api/v1/patients/<patient_id>/measures/<measure_id>": {},  # DELETE only (RECORDS: tests/api/test_roles.py)
    "api/v1/screen": {"POST": RECORDS},
    "api/v1/patients/<patient_id>/screenings": {"POST": RECORDS},
    "api/v1/screenings/<screening_id>": {"GET": REPORTS},
    "api/v1/screenings/<screening_id>/overrides": {"POST": DECIDE},
    "api/v1/screenings/<screening_id>/suggestions": {"POST": RECORDS},
    "api/v1/screenings/<screening_id>/overrides/<override_id>/cosign": {"POST": DECIDE},
    "api/v1/screenings/<screening_id>/signoff": {"POST": DECIDE},
    "api/v1/screenings/<screening_id>/pdf": {"GET": REPORTS, "POST": REPORTS},
    "api/v1/screenings/<screening_id>/pdf/download": {"GET": REPORTS},
    "api/v1/screenings/<screening_id>/fhir": {"GET": REPORTS},
    "api/v1/fhir/CodeSystem/<name>": {"GET": REPORTS},  # no patient data, behind the API's sign-in
    "api/v1/fhir/Questionnaire/<name>": {"GET": REPORTS},
    "api/v1/rulesets/<ruleset_id>/impact": {"GET": RULES, "POST": RULES},
    "api/v1/patients/<patient_id>/infusions": {"GET": RECORDS, "POST": RECORDS},
    "api/v1/infusions/<infusion_id>": {"GET": RECORDS},
    "api/v1/infusions/<infusion_id>/check": {"POST": RECORDS},
    "api/v1/infusions/<infusion_id>/measures": {"POST": RECORDS},
    "api/v1/infusions/<infusion_id>/authorize": {"POST": DECIDE},  # a physician's act
    "api/v1/infusions/<infusion_id>/monitor": {"POST": RECORDS},
    "api/v1/infusions/<infusion_id>/discharge": {"POST": RECORDS},
    "api/v1/infusions/<infusion_id>/sign": {"POST": RECORDS},
    "api/v1/cds-services": {"GET": PUBLIC},  # CDS Hooks discovery: no patient data
    "api/v1/cds-services/<service_id>": {"POST": CDS_CLIENT},
    "api/v1/cds-services/<service_id>/feedback": {"POST": CDS_CLIENT},
    # the same at the paths CDS Hooks fixes (a page's 405 counts as reached: anyone gets it)
    "cds-services": {"GET": PUBLIC, "POST": PUBLIC},
    "cds-services/<str:service_id>": {"GET": PUBLIC, "POST": CDS_CLIENT},
    "cds-services/<str:service_id>/feedback": {"GET": PUBLIC, "POST": CDS_CLIENT},
    "api/v1/": {"GET": PUBLIC, "POST": PUBLIC},  # the root: a 404 naming the schema, to anyone
    "api/v1/^(?P<rest>.*)$": {"GET": PUBLIC, "POST": PUBLIC},  # unknown operations: the same 404
}
# Methods an API path does not answer (405) are still checked: the role decision comes first or 405 does.


def expected(route: str, method: str):
    if route == "admin/login/":
        return PUBLIC
    if route == "admin/logout/":
        return ANY_OUTCOME
    if route.startswith("admin/"):
        return NOBODY
    rule = EXPECTED[route]
    return rule.get(method, ABSENT) if isinstance(rule, dict) else rule


ABSENT = "absent"  # the path does not answer this method: 405, whoever asks


def test_every_route_has_an_entry():
    assert sorted(r for r in set(routes()) if not r.startswith("admin/") and r not in EXPECTED) == []
    assert sorted(set(EXPECTED) - set(routes())) == []


@pytest.fixture
def callers(make_user):
    users = {
        CLIN: make_user("m-clin", "Clinician"),
        PHYS: make_user("m-doc", "Physician"),
        ADMIN: make_user("m-admin", "Rules admin"),
        STAFF: make_user("m-staff", "Report staff"),
        AUD: make_user("m-aud", "Auditor"),
    }
    return users


def outcome(client, method, url, api_secret=None, hidden=False):
    """`hidden`: the route refuses with a 404 (it does not show it exists)."""
    headers = {"Authorization": f"Bearer {api_secret}"} if api_secret else {}
    send = client.get if method == "GET" else client.post
    response = send(url, headers=headers) if method == "GET" else send(url, data={}, headers=headers)
    location = response.get("Location", "")
    if response.status_code == 405 and url.startswith("/api/"):
        return ABSENT
    if response.status_code in (401, 403) or (hidden and response.status_code == 404):
        return "refused"
    if response.status_code == 302 and ("/accounts/login/" in location or "/admin/login/" in location):
        return "refused"
    return "reached"


def wanted(rule, role) -> str:
    if rule == ABSENT:
        return ABSENT
    if rule == PUBLIC:
        return "reached"
    if role is None:
        return "refused"
    return "reached" if rule not in (NOBODY, SESSION_ONLY, SCRAPER) and role in rule else "refused"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_matrix(method, client, callers, ids):
    mismatches = []
    for route in sorted(set(routes())):
        rule = expected(route, method)
        if rule == ANY_OUTCOME:
            continue
        url = concrete(route, ids)
        hidden = rule == SCRAPER
        client.logout()
        got = outcome(client, method, url, hidden=hidden)
        if got != wanted(rule, None):
            mismatches.append(f"{method} {route} anonymous: {got}, expected {wanted(rule, None)}")
        for role, user in callers.items():
            if route.startswith("api/") and rule != SESSION_ONLY:
                client.logout()
                got = outcome(client, method, url, api_token_create(user=user)[1])
                want = wanted(rule, role)
            else:
                client.force_login(user)
                got = outcome(client, method, url, hidden=hidden)
                want = "reached" if rule == SESSION_ONLY else wanted(rule, role)
            if got != want:
                mismatches.append(f"{method} {route} {role}: {got}, expected {want}")
    assert not mismatches, "\n".join(mismatches)
