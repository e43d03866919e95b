"""Fixtures for /api/v1/: tokens, a JSON client, the default formulary and rule set, example records."""

import json
from datetime import date

import pytest
from django.utils import timezone

from core.roles import CLINICIAN
from core.tokens import api_token_create
from patients.services import intake_import
from screening.review import finding_override
from screening.services import screening_run
from tests.conftest import EXAMPLES
from tests.defaults_snapshot import load_defaults_for_test

API = "/api/v1"
AS_OF = date(2026, 11, 20)  # the examples' assessment date


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


def changed(name: str, path: tuple, value) -> dict:
    """The example with one value replaced (a path of keys and list indexes)."""
    doc = example(name)
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


def bearer(user) -> dict[str, str]:
    """The Authorization header of a fresh token of the user."""
    _, secret = api_token_create(user=user)
    return {"Authorization": f"Bearer {secret}"}


class ApiClient:
    """The Django test client, speaking JSON to /api/v1/ with one set of headers."""

    def __init__(self, client, headers: dict[str, str]):
        self.client = client
        self.headers = headers

    def get(self, path: str, query: dict | None = None, **kwargs):
        return self.client.get(API + path, query, headers=self.headers, **kwargs)

    def post(self, path: str, doc=None, *, body: str | bytes | None = None, **kwargs):
        """POST `doc` as JSON ({} when absent), or `body` exactly as given."""
        body = json.dumps(doc if doc is not None else {}) if body is None else body
        return self.client.post(
            API + path, data=body, content_type="application/json", headers=self.headers, **kwargs
        )

    def delete(self, path: str, **kwargs):
        return self.client.delete(API + path, headers=self.headers, **kwargs)


@pytest.fixture
def defaults(db):
    load_defaults_for_test()


@pytest.fixture
def on_assessment_day(monkeypatch):
    """Today is the examples' assessment day, so their readings stay inside the protocol's 30-day blood
    pressure window whenever the suite runs (screenings through the API and the page are of today)."""
    real = timezone.localdate
    monkeypatch.setattr(
        timezone, "localdate", lambda value=None, tz=None: real(value, tz) if value else AS_OF
    )


@pytest.fixture
def expected() -> dict:
    """examples/expected.json: each example's verdict and some of its findings, or the path it is rejected at."""
    return json.loads((EXAMPLES / "expected.json").read_text())


@pytest.fixture
def second_clinician(make_user):
    return make_user("clin2", CLINICIAN)


@pytest.fixture
def api_as(client):
    """api_as(user): an ApiClient authenticated with a new bearer token of that user."""
    return lambda user: ApiClient(client, bearer(user))


@pytest.fixture
def clinician_api(api_as, clinician):
    return api_as(clinician)


@pytest.fixture
def physician_api(api_as, physician):
    return api_as(physician)


@pytest.fixture
def physician2_api(api_as, physician2):
    return api_as(physician2)


@pytest.fixture
def staff_api(api_as, report_staff):
    return api_as(report_staff)


@pytest.fixture
def admin_api(api_as, rules_admin):
    return api_as(rules_admin)


@pytest.fixture
def import_example(defaults):
    """import_example(name): the example stored as a patient (as the CLI import does)."""
    return lambda name: intake_import(doc=example(name))[0]


@pytest.fixture
def deferred_screening(import_example, clinician):
    return screening_run(
        patient=import_example("deferred-bp-and-benzodiazepine"), requested_by=clinician, as_of=AS_OF
    )


@pytest.fixture
def avm_screening(import_example, clinician):
    return screening_run(patient=import_example("contraindicated-avm"), requested_by=clinician, as_of=AS_OF)


@pytest.fixture
def avm_override(avm_screening, physician2):
    """CV-AVM set aside by the second physician: it waits for a co-signature (from `physician`)."""
    return finding_override(
        screening=avm_screening, rule="CV-AVM", reason="Imaging shows no AVM", user=physician2
    )
