"""The OpenAPI schema (GET /api/v1/openapi.json: a token or a signed-in session) and the interactive docs
(GET /api/v1/docs: signed-in users only; others are sent to the login page)."""

import pytest
from django.shortcuts import resolve_url
from django.test import Client

from .conftest import API, bearer

pytestmark = pytest.mark.django_db

OPERATIONS = {
    "/api/v1/intakes": {"post"},
    "/api/v1/fhir/Bundle": {"post"},
    "/api/v1/patients/{patient_id}/intake": {"get"},
    "/api/v1/screen": {"post"},
    "/api/v1/patients/{patient_id}/screenings": {"post"},
    "/api/v1/patients/{patient_id}/measures": {"get", "post"},
    "/api/v1/patients/{patient_id}/measures/{measure_id}": {"delete"},
    "/api/v1/patients/{patient_id}/infusions": {"get", "post"},
    "/api/v1/infusions/{infusion_id}": {"get"},
    "/api/v1/infusions/{infusion_id}/check": {"post"},
    "/api/v1/infusions/{infusion_id}/measures": {"post"},
    "/api/v1/infusions/{infusion_id}/authorize": {"post"},
    "/api/v1/infusions/{infusion_id}/monitor": {"post"},
    "/api/v1/infusions/{infusion_id}/discharge": {"post"},
    "/api/v1/infusions/{infusion_id}/sign": {"post"},
    "/api/v1/audit-events": {"get"},
    "/api/v1/rulesets/{ruleset_id}/impact": {"get", "post"},
    "/api/v1/screenings/{screening_id}": {"get"},
    "/api/v1/screenings/{screening_id}/overrides": {"post"},
    "/api/v1/screenings/{screening_id}/overrides/{override_id}/cosign": {"post"},
    "/api/v1/screenings/{screening_id}/suggestions": {"post"},
    "/api/v1/screenings/{screening_id}/signoff": {"post"},
    "/api/v1/screenings/{screening_id}/pdf": {"get", "post"},
    "/api/v1/screenings/{screening_id}/pdf/download": {"get"},
    "/api/v1/screenings/{screening_id}/fhir": {"get"},
    "/api/v1/fhir/CodeSystem/{name}": {"get"},
    "/api/v1/fhir/Questionnaire/{name}": {"get"},
}
# CDS Hooks (docs/cds-hooks.md): discovery is public; a call and its feedback take a CDS client's signed JWT
CDS_HOOKS_OPERATIONS = {
    "/api/v1/cds-services": {"get"},
    "/api/v1/cds-services/{service_id}": {"post"},
    "/api/v1/cds-services/{service_id}/feedback": {"post"},
}
SCHEMA = API + "/openapi.json"
DOCS = API + "/docs"


@pytest.fixture
def schema(client, clinician):
    return client.get(SCHEMA, headers=bearer(clinician)).json()


@pytest.fixture
def signed_in(client, clinician):
    client.force_login(clinician)
    return client


def test_a_token_reads_the_schema(client, clinician):
    response = client.get(SCHEMA, headers=bearer(clinician))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")


def test_the_schema_is_openapi_3(schema):
    assert schema["openapi"].startswith("3.")


def test_the_schema_lists_every_operation(schema):
    listed = {path: set(operations) for path, operations in schema["paths"].items()}
    assert listed == {**OPERATIONS, **CDS_HOOKS_OPERATIONS}


def test_the_schema_describes_both_ways_to_authenticate(schema):
    assert schema["components"]["securitySchemes"] == {
        "BearerToken": {"type": "http", "scheme": "bearer"},
        "ActiveSession": {"type": "apiKey", "in": "cookie", "name": "sessionid"},
        "CdsHooksJwt": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
    }


def test_cds_hooks_discovery_is_public_and_its_calls_take_a_cds_clients_jwt(schema):
    assert "security" not in schema["paths"]["/api/v1/cds-services"]["get"]
    for path in list(CDS_HOOKS_OPERATIONS)[1:]:
        assert schema["paths"][path]["post"]["security"] == [{"CdsHooksJwt": []}]


@pytest.mark.parametrize("path", list(OPERATIONS))
def test_every_operation_accepts_either_way(schema, path):
    for operation in schema["paths"][path].values():
        assert operation["security"] == [{"BearerToken": []}, {"ActiveSession": []}]


def test_the_intake_body_is_described_as_ketamine_intake_1(schema):
    body = schema["paths"]["/api/v1/intakes"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["title"] == "ketamine-intake/1"


def test_a_signed_in_user_reads_the_schema(signed_in):
    assert signed_in.get(SCHEMA).status_code == 200


@pytest.mark.parametrize("role", ["report_staff", "rules_admin"])
def test_any_role_reads_the_schema(client, request, role):
    assert client.get(SCHEMA, headers=bearer(request.getfixturevalue(role))).status_code == 200


def test_anonymous_callers_do_not_get_the_schema(client):
    response = client.get(SCHEMA)
    assert response.status_code == 401
    assert set(response.json()) == {"error"}


def test_an_unknown_token_does_not_get_the_schema(client):
    response = client.get(SCHEMA, headers={"Authorization": "Bearer pit_unknown"})
    assert response.status_code == 401


def test_a_disabled_users_token_does_not_get_the_schema(client, clinician):
    headers = bearer(clinician)
    clinician.is_active = False
    clinician.save()
    assert client.get(SCHEMA, headers=headers).status_code == 401


def test_anonymous_callers_are_sent_from_the_docs_to_the_login_page(client):
    response = client.get(DOCS)
    assert response.status_code == 302
    assert response.url == f"{resolve_url('login')}?next={DOCS}"


def test_the_docs_need_a_session_not_a_token(client, clinician):
    response = client.get(DOCS, headers=bearer(clinician))
    assert response.status_code == 302


def test_a_signed_in_user_reads_the_docs(signed_in):
    response = signed_in.get(DOCS)
    assert response.status_code == 200
    assert SCHEMA in response.content.decode()


def test_a_disabled_user_is_sent_from_the_docs_to_the_login_page(clinician):
    browser = Client()
    browser.force_login(clinician)
    clinician.is_active = False
    clinician.save()
    assert browser.get(DOCS).status_code == 302
