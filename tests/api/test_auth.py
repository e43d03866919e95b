"""Who may call /api/v1/: a bearer token of an active user, or a signed-in session (with CSRF on writes).
Anything else is 401 {"error"}; tokens are kept as SHA-256 digests only."""

import hashlib
import json

import pytest
from django.db import connection
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client

from core.models import ApiToken
from core.tokens import api_token_create, api_token_revoke
from patients.models import Patient

from .conftest import API, example

pytestmark = pytest.mark.django_db

# Every operation, with ids that need not exist: authentication is checked before anything is looked up.
EVERY_OPERATION = [
    ("post", "/intakes"),
    ("post", "/fhir/Bundle"),
    ("get", "/patients/1/intake"),
    ("get", "/patients/1/measures"),
    ("post", "/patients/1/measures"),
    ("delete", "/patients/1/measures/1"),
    ("get", "/patients/1/infusions"),
    ("post", "/patients/1/infusions"),
    ("get", "/infusions/1"),
    ("post", "/infusions/1/check"),
    ("post", "/infusions/1/measures"),
    ("post", "/infusions/1/authorize"),
    ("post", "/infusions/1/monitor"),
    ("post", "/infusions/1/discharge"),
    ("post", "/infusions/1/sign"),
    ("post", "/screen"),
    ("post", "/patients/1/screenings"),
    ("get", "/screenings/1"),
    ("post", "/screenings/1/overrides"),
    ("post", "/screenings/1/overrides/1/cosign"),
    ("post", "/screenings/1/signoff"),
    ("post", "/screenings/1/pdf"),
    ("get", "/screenings/1/pdf"),
    ("get", "/screenings/1/pdf/download"),
    ("get", "/screenings/1/fhir"),
    ("get", "/fhir/CodeSystem/verdict"),
    ("get", "/fhir/Questionnaire/ketamine-intake-1"),
    # a CDS client's signed JWT, not a user's token (tests/interop/test_cds_hooks_auth.py)
    ("post", "/cds-services/ketamine-screening"),
    ("post", "/cds-services/ketamine-screening/feedback"),
]


def call(client, method, path, headers):
    if method == "get":
        return client.get(API + path, headers=headers)
    if method == "delete":
        return client.delete(API + path, headers=headers)
    return client.post(API + path, data="{}", content_type="application/json", headers=headers)


# ---------------------------------------------------------------------------------------------- 401


def no_header(user):
    return {}


def unknown_token(user):
    return {"Authorization": "Bearer pit_" + "A" * 43}


def a_token_of_other_characters(user):
    return {"Authorization": "Bearer pit_\u00e9\u00e8\ud800"}


def an_over_long_token(user):
    _, secret = api_token_create(user=user)
    return {"Authorization": f"Bearer {secret}{'A' * 100}"}


def not_a_bearer_scheme(user):
    _, secret = api_token_create(user=user)
    return {"Authorization": f"Token {secret}"}


def revoked_token(user):
    token, secret = api_token_create(user=user)
    api_token_revoke(token=token)
    return {"Authorization": f"Bearer {secret}"}


def token_of_a_disabled_user(user):
    _, secret = api_token_create(user=user)
    user.is_active = False
    user.save()
    return {"Authorization": f"Bearer {secret}"}


BAD_CREDENTIALS = [
    no_header,
    unknown_token,
    a_token_of_other_characters,
    an_over_long_token,
    not_a_bearer_scheme,
    revoked_token,
    token_of_a_disabled_user,
]


@pytest.mark.parametrize(("method", "path"), EVERY_OPERATION)
def test_every_operation_without_a_token_is_401(client, method, path):
    response = call(client, method, path, {})
    assert response.status_code == 401
    assert set(response.json()) == {"error"}


@pytest.mark.parametrize("credentials", BAD_CREDENTIALS, ids=lambda f: f.__name__)
@pytest.mark.parametrize(("method", "path"), [("get", "/screenings/1"), ("post", "/intakes")])
def test_a_bad_credential_is_401(client, clinician, credentials, method, path):
    response = call(client, method, path, credentials(clinician))
    assert response.status_code == 401
    assert "Bearer" in response.json()["error"]


@pytest.mark.parametrize("credentials", BAD_CREDENTIALS, ids=lambda f: f.__name__)
def test_a_refused_intake_stores_nothing(client, clinician, credentials):
    headers = credentials(clinician)
    client.post(API + "/intakes", json.dumps(example("eligible")), "application/json", headers=headers)
    assert Patient.objects.count() == 0


def test_the_401_does_not_echo_the_token(client, clinician):
    headers = revoked_token(clinician)
    response = call(client, "get", "/screenings/1", headers)
    assert headers["Authorization"].split()[1].encode() not in response.content


def test_revoking_one_token_leaves_the_users_other_tokens_working(client, clinician):
    revoked, _ = api_token_create(user=clinician)
    _, kept = api_token_create(user=clinician)
    api_token_revoke(token=revoked)
    response = call(client, "get", "/patients/999/intake", {"Authorization": f"Bearer {kept}"})
    assert response.status_code == 404


def test_a_valid_token_records_when_it_was_last_used(client, clinician):
    token, secret = api_token_create(user=clinician)
    call(client, "get", "/patients/999/intake", {"Authorization": f"Bearer {secret}"})
    token.refresh_from_db()
    assert token.last_used_at is not None


# ---------------------------------------------------------------------------------------------- storage


def test_a_token_row_holds_the_sha256_of_the_secret(clinician):
    token, secret = api_token_create(user=clinician, name="EHR bridge")
    assert ApiToken.objects.get(pk=token.pk).digest == hashlib.sha256(secret.encode()).hexdigest()


def test_no_column_of_the_token_row_holds_the_secret(clinician):
    token, secret = api_token_create(user=clinician, name="EHR bridge")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiToken._meta.db_table} WHERE id = %s", [token.pk])  # noqa: S608
        row = cursor.fetchone()
    assert all(secret not in str(value) for value in row)


def test_the_stored_prefix_is_too_short_to_be_used_as_the_token(client, clinician):
    token, secret = api_token_create(user=clinician)
    assert secret.startswith(token.prefix) and len(token.prefix) < len(secret)
    response = call(client, "get", "/screenings/1", {"Authorization": f"Bearer {token.prefix}"})
    assert response.status_code == 401


def test_each_token_has_its_own_secret(clinician):
    secrets = {api_token_create(user=clinician)[1] for _ in range(5)}
    assert len(secrets) == 5


# ---------------------------------------------------------------------------------------------- session


@pytest.fixture
def session_client(clinician):
    """The browser: a signed-in clinician, with CSRF checks on (as in production)."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(clinician)
    return browser


def test_a_signed_in_session_reads_without_a_token(session_client, deferred_screening):
    response = session_client.get(f"{API}/screenings/{deferred_screening.pk}")
    assert response.status_code == 200


def test_a_session_write_without_the_csrf_token_is_403(session_client, defaults):
    response = session_client.post(
        API + "/intakes", json.dumps(example("eligible")), content_type="application/json"
    )
    assert response.status_code == 403
    assert "error" in response.json()


def test_a_session_write_refused_for_csrf_stores_nothing(session_client, defaults):
    session_client.post(API + "/intakes", json.dumps(example("eligible")), content_type="application/json")
    assert Patient.objects.count() == 0


def test_a_session_write_with_the_csrf_token_is_accepted(session_client, defaults):
    csrf = _get_new_csrf_string()
    session_client.cookies["csrftoken"] = csrf
    response = session_client.post(
        API + "/intakes",
        json.dumps(example("eligible")),
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )
    assert response.status_code == 201


def test_a_disabled_users_session_is_401(clinician, deferred_screening):
    browser = Client()
    browser.force_login(clinician)
    clinician.is_active = False
    clinician.save()
    response = browser.get(f"{API}/screenings/{deferred_screening.pk}")
    assert response.status_code == 401


def test_a_bearer_token_needs_no_csrf_token(clinician, defaults):
    _, secret = api_token_create(user=clinician)
    response = Client(enforce_csrf_checks=True).post(
        API + "/intakes",
        json.dumps(example("eligible")),
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 201
