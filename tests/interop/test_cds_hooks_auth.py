"""Who may call the CDS Hooks service: a CDS client (an EHR) trusted in settings.CDS_HOOKS_ISSUERS, with a
JWT it signed with its private key (CDS Hooks 2.0, "Trusting CDS Clients"). Every other token is a 401 with
one message that says nothing of why, and nothing is screened or recorded. A token is used once, whichever
server process sees it again. Keys fetched from a `jwks_url`: test_cds_hooks_keys.py."""

import json
import time
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from config.settings import cds_hooks_issuers
from core.models import AuditEvent
from interop.cds_hooks.auth import REFUSED
from interop.cds_hooks.service import SERVICE_ID
from interop.models import UsedToken
from tests.api.conftest import bearer
from tests.defaults_snapshot import load_defaults_for_test

from .cds_hooks_support import (
    HOST,
    ISS,
    Issuer,
    example,
    handmade_token,
    hook_call,
    mismatched_ec_token,
    prefetch,
)

pytestmark = pytest.mark.django_db

SERVICE = f"/cds-services/{SERVICE_ID}"
AUD = HOST + SERVICE


@pytest.fixture
def issuer(settings, on_assessment_day):
    load_defaults_for_test()
    ehr = Issuer()
    settings.CDS_HOOKS_ISSUERS = {ISS: {"jwks": ehr.jwks()}}
    return ehr


def send(client, token, path=SERVICE, scheme="Bearer"):
    return client.post(
        path,
        data=json.dumps(hook_call(prefetch(example("eligible")))),
        content_type="application/json",
        headers={"Authorization": f"{scheme} {token}"},
    )


@pytest.mark.parametrize("path", [SERVICE, "/api/v1" + SERVICE])
def test_a_token_signed_by_a_trusted_ehr_is_accepted(client, issuer, path):
    assert send(client, issuer.token(HOST + path), path).status_code == 200


def test_the_token_may_name_its_audience_in_a_list(client, issuer):
    assert send(client, issuer.token(AUD, aud=[AUD, "https://other.example"])).status_code == 200


# ------------------------------------------------------------------------------------------------ refused


def public_pem(issuer: Issuer) -> bytes:
    return issuer.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def signed_with_another_key(issuer, aud):
    return issuer.token(aud, key=ec.generate_private_key(ec.SECP384R1()))


def expired(issuer, aud):
    now = int(time.time())
    return issuer.token(aud, iat=now - 400, exp=now - 100)


def issued_in_the_future(issuer, aud):
    now = int(time.time())
    return issuer.token(aud, iat=now + 120, exp=now + 240)


def living_longer_than_five_minutes(issuer, aud):
    now = int(time.time())
    return issuer.token(aud, iat=now, exp=now + 3600)


def for_another_endpoint(issuer, aud):
    return issuer.token(HOST + "/cds-services/another-service")


def for_another_host(issuer, aud):
    return issuer.token("https://cds.elsewhere.example" + aud.removeprefix(HOST))


def from_an_untrusted_issuer(issuer, aud):
    return issuer.token(aud, iss="https://rogue.example")


def with_alg_none(issuer, aud):
    return handmade_token({"alg": "none", "typ": "JWT", "kid": issuer.kid}, issuer.claims(aud), None)


def hs256_with_the_public_key_as_secret(issuer, aud):
    header = {"alg": "HS256", "typ": "JWT", "kid": issuer.kid}
    return handmade_token(header, issuer.claims(aud), public_pem(issuer))


def without_jti(issuer, aud):
    return issuer.token(aud, jti=None)


def without_exp(issuer, aud):
    return issuer.token(aud, exp=None)


def without_iat(issuer, aud):
    return issuer.token(aud, iat=None)


def without_aud(issuer, aud):
    return issuer.token(aud, aud=None)


def without_kid(issuer, aud):
    return jwt.encode(issuer.claims(aud), issuer.key, algorithm="ES384")  # signed right, no kid


def without_typ(issuer, aud):
    return issuer.token(aud, headers={"typ": None})


def of_another_typ(issuer, aud):
    return issuer.token(aud, headers={"typ": "at+jwt"})


def with_an_unknown_kid(issuer, aud):
    return issuer.token(aud, headers={"kid": "not-a-key-of-the-ehr"})


def not_a_jwt(issuer, aud):
    return "not.a.jwt"


REFUSED_TOKENS = [
    signed_with_another_key,
    expired,
    issued_in_the_future,
    living_longer_than_five_minutes,
    for_another_endpoint,
    for_another_host,
    from_an_untrusted_issuer,
    with_alg_none,
    hs256_with_the_public_key_as_secret,
    without_jti,
    without_exp,
    without_iat,
    without_aud,
    without_kid,
    without_typ,
    of_another_typ,
    with_an_unknown_kid,
    not_a_jwt,
]


@pytest.mark.parametrize("path", [SERVICE, "/api/v1" + SERVICE])
@pytest.mark.parametrize("make", REFUSED_TOKENS, ids=lambda f: f.__name__)
def test_a_bad_token_is_a_401_that_says_nothing_of_why(client, issuer, make, path):
    """Each token is right but for one thing, on either mount (its `aud` names the path called)."""
    before = AuditEvent.objects.count()
    response = send(client, make(issuer, HOST + path), path)
    assert response.status_code == 401
    assert response.json() == {"error": REFUSED}
    assert AuditEvent.objects.count() == before  # nothing was screened


def test_a_token_is_used_once(client, issuer):
    token = issuer.token(AUD)
    assert send(client, token).status_code == 200
    assert send(client, token).status_code == 401


def test_a_replay_is_refused_by_every_server_process(client, issuer):
    """What a process keeps (its cache) is not what refuses the replay: the database is."""
    token = issuer.token(AUD, jti="jti-once")
    assert send(client, token).status_code == 200
    assert UsedToken.objects.filter(issuer=ISS, jti="jti-once").exists()
    cache.clear()
    assert send(client, token).status_code == 401


def test_a_jti_is_once_per_issuer(client, issuer, settings):
    other = Issuer(kid="other-key", iss="https://other-ehr.example")
    settings.CDS_HOOKS_ISSUERS = {ISS: {"jwks": issuer.jwks()}, other.iss: {"jwks": other.jwks()}}
    assert send(client, issuer.token(AUD, jti="shared")).status_code == 200
    assert send(client, other.token(AUD, jti="shared")).status_code == 200


def test_used_tokens_are_forgotten_once_expired(client, issuer):
    now = timezone.now()
    UsedToken.objects.create(issuer=ISS, jti="long-gone", expires_at=now - timedelta(minutes=1))
    UsedToken.objects.create(issuer=ISS, jti="still-valid", expires_at=now + timedelta(minutes=1))
    assert send(client, issuer.token(AUD, jti="new")).status_code == 200
    assert set(UsedToken.objects.values_list("jti", flat=True)) == {"still-valid", "new"}


def test_a_token_for_the_call_is_not_one_for_its_feedback(client, issuer):
    body = {
        "feedback": [
            {
                "card": "9368d37b-283f-44a0-93ea-547cebab93ed",
                "outcome": "accepted",
                "outcomeTimestamp": "2026-11-20T10:00:00Z",
            }
        ]
    }
    response = client.post(
        SERVICE + "/feedback",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {issuer.token(AUD)}"},
    )
    assert response.status_code == 401


def test_another_scheme_than_bearer_is_refused(client, issuer):
    assert send(client, issuer.token(AUD), scheme="Token").status_code == 401


def test_a_users_api_token_is_not_a_cds_client(client, issuer, clinician):
    token = bearer(clinician)["Authorization"].split()[1]
    assert send(client, token).status_code == 401
    assert send(client, token, "/api/v1" + SERVICE).status_code == 401


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_an_rsa_key_too_short_is_refused_even_when_configured(client, issuer, settings):
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 (the point of the test)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    settings.CDS_HOOKS_ISSUERS = {ISS: {"jwks": {"keys": [{**public, "kid": "short", "use": "sig"}]}}}
    token = jwt.encode(issuer.claims(AUD), key, algorithm="RS384", headers={"kid": "short"})
    assert send(client, token).status_code == 401


def test_an_ec_key_of_another_curve_than_the_algorithm_is_refused(client, issuer, settings):
    p256 = Issuer(kid="p256")
    p256.key = ec.generate_private_key(ec.SECP256R1())
    public = {k: v for k, v in p256.jwks()["keys"][0].items() if k != "alg"}
    settings.CDS_HOOKS_ISSUERS = {ISS: {"jwks": {"keys": [public]}}}
    fitting = jwt.encode(issuer.claims(AUD), p256.key, algorithm="ES256", headers={"kid": "p256"})
    assert send(client, fitting).status_code == 200  # ES256 with a P-256 key: fine
    header = {"alg": "ES384", "typ": "JWT", "kid": "p256"}
    assert send(client, mismatched_ec_token(header, issuer.claims(AUD), p256.key)).status_code == 401


# ------------------------------------------------------------------------------------------------ audience


def test_the_configured_audience_replaces_the_requests_host(client, issuer, settings):
    settings.CDS_HOOKS_AUDIENCE = "https://cds.clinic.example"
    assert send(client, issuer.token("https://cds.clinic.example" + SERVICE)).status_code == 200
    assert send(client, issuer.token(AUD)).status_code == 401


# ------------------------------------------------------------------------------------------------ settings


def test_trusted_issuers_are_read_from_json():
    jwks = {"keys": [{"kty": "EC"}]}
    assert cds_hooks_issuers("") == {}
    assert cds_hooks_issuers(json.dumps({ISS: {"jwks": jwks}})) == {ISS: {"jwks": jwks}}
    assert cds_hooks_issuers(json.dumps({ISS: {"jwks_url": "https://ehr.example.org/jwks"}}))


@pytest.mark.parametrize(
    "value",
    [
        "{not json",
        "[]",
        json.dumps({ISS: {}}),
        json.dumps({ISS: {"jwks": {"keys": []}, "jwks_url": "https://ehr.example.org/jwks"}}),
        json.dumps({ISS: {"jwks": {"no": "keys"}}}),
        json.dumps({ISS: {"jwks_url": "http://ehr.example.org/jwks"}}),
    ],
)
def test_a_wrong_issuer_setting_stops_the_start(value):
    with pytest.raises(ImproperlyConfigured):
        cds_hooks_issuers(value)
