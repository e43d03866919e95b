"""Who may call the CDS Hooks service: a CDS client (an EHR) trusted in settings.CDS_HOOKS_ISSUERS, with a
JWT it signed with its private key (CDS Hooks 2.0, "Trusting CDS Clients"). Every other token is a 401 with
one message that says nothing of why, and nothing is screened or recorded."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core.exceptions import ImproperlyConfigured

from config.settings import cds_hooks_issuers
from core.models import AuditEvent
from interop.cds_hooks.auth import REFUSED
from interop.cds_hooks.service import SERVICE_ID
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


def test_a_token_signed_by_a_trusted_ehr_is_accepted(client, issuer):
    assert send(client, issuer.token(AUD)).status_code == 200


def test_the_token_may_name_its_audience_in_a_list(client, issuer):
    assert send(client, issuer.token(AUD, aud=[AUD, "https://other.example"])).status_code == 200


# ------------------------------------------------------------------------------------------------ refused


def public_pem(issuer: Issuer) -> bytes:
    return issuer.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def signed_with_another_key(issuer):
    return issuer.token(AUD, key=ec.generate_private_key(ec.SECP384R1()))


def expired(issuer):
    now = int(time.time())
    return issuer.token(AUD, iat=now - 400, exp=now - 100)


def issued_in_the_future(issuer):
    now = int(time.time())
    return issuer.token(AUD, iat=now + 120, exp=now + 240)


def living_longer_than_five_minutes(issuer):
    now = int(time.time())
    return issuer.token(AUD, iat=now, exp=now + 3600)


def for_another_endpoint(issuer):
    return issuer.token(HOST + "/cds-services/another-service")


def for_another_host(issuer):
    return issuer.token("https://cds.elsewhere.example" + SERVICE)


def from_an_untrusted_issuer(issuer):
    return issuer.token(AUD, iss="https://rogue.example")


def with_alg_none(issuer):
    return handmade_token({"alg": "none", "typ": "JWT", "kid": issuer.kid}, issuer.claims(AUD), None)


def hs256_with_the_public_key_as_secret(issuer):
    header = {"alg": "HS256", "typ": "JWT", "kid": issuer.kid}
    return handmade_token(header, issuer.claims(AUD), public_pem(issuer))


def without_jti(issuer):
    return issuer.token(AUD, jti=None)


def without_exp(issuer):
    return issuer.token(AUD, exp=None)


def without_iat(issuer):
    return issuer.token(AUD, iat=None)


def without_aud(issuer):
    return issuer.token(AUD, aud=None)


def without_kid(issuer):
    return handmade_token({"alg": "ES384", "typ": "JWT"}, issuer.claims(AUD), None)


def with_an_unknown_kid(issuer):
    return issuer.token(AUD, headers={"kid": "not-a-key-of-the-ehr"})


def not_a_jwt(issuer):
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
    with_an_unknown_kid,
    not_a_jwt,
]


@pytest.mark.parametrize("path", [SERVICE, "/api/v1" + SERVICE])
@pytest.mark.parametrize("make", REFUSED_TOKENS, ids=lambda f: f.__name__)
def test_a_bad_token_is_a_401_that_says_nothing_of_why(client, issuer, make, path):
    before = AuditEvent.objects.count()
    response = send(client, make(issuer), path)
    assert response.status_code == 401
    assert response.json() == {"error": REFUSED}
    assert AuditEvent.objects.count() == before  # nothing was screened


def test_a_token_is_used_once(client, issuer):
    token = issuer.token(AUD)
    assert send(client, token).status_code == 200
    assert send(client, token).status_code == 401


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


# ------------------------------------------------------------------------------------------------ jwks_url


class JwksServer:
    """The EHR's JWK Set over HTTP, on a port of this machine, for the test's duration."""

    def __init__(self, jwks):
        body = json.dumps(jwks).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the http.server API)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/jwks.json"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_keys_are_fetched_from_the_configured_jwks_url(client, issuer, settings):
    server = JwksServer(issuer.jwks())
    try:
        settings.CDS_HOOKS_ISSUERS = {ISS: {"jwks_url": server.url}}
        assert send(client, issuer.token(AUD)).status_code == 200
    finally:
        server.close()


def test_an_unreachable_jwks_url_is_a_401_soon(client, issuer, settings):
    settings.CDS_HOOKS_ISSUERS = {ISS: {"jwks_url": "http://127.0.0.1:9/jwks.json"}}
    started = time.monotonic()
    assert send(client, issuer.token(AUD)).status_code == 401
    assert time.monotonic() - started < 10


def test_the_tokens_jku_is_never_followed(client, issuer, settings):
    rogue = Issuer(kid=issuer.kid)  # the attacker's key under the EHR's kid, published at their own URL
    server = JwksServer(rogue.jwks())
    try:
        token = rogue.token(AUD, headers={"jku": server.url})
        assert send(client, token).status_code == 401
    finally:
        server.close()


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
