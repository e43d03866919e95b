"""Who is calling a CDS service: a trusted CDS client (an EHR) that signed a JWT with its private key.

The token comes as `Authorization: Bearer <JWT>` on every service call and feedback (CDS Hooks 2.0,
"Trusting CDS Clients"). It is accepted only when all of these hold, and refused otherwise with one
message that says nothing of which check failed (the reason goes to the log, never the token):

- the header names an asymmetric algorithm of ALGORITHMS (never `none`, never an HMAC), a `kid` and
  `typ` JWT;
- `iss` is one of settings.CDS_HOOKS_ISSUERS, whose configured keys (a JWK Set inline, or fetched from
  the configured `jwks_url`, never from the token's `jku`) hold the `kid`, of a type that fits the
  algorithm; the signature verifies with it (a fetched JWK Set is kept JWKS_LIFESPAN seconds; one that
  cannot be fetched or read refuses the call);
- `aud` is the URL called (settings.CDS_HOOKS_AUDIENCE + the path when set, else the request's own URL);
- `exp`, `iat` and `jti` are present; the token lives at most MAX_LIFETIME seconds, is not issued in the
  future and has not expired (LEEWAY seconds of clock skew either way);
- the `jti` has not been seen from that issuer while the token is valid: a replay is refused by every
  server process (interop.models.UsedToken: the insert of the issuer and jti is the check).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from threading import Lock
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from interop.models import UsedToken

log = logging.getLogger(__name__)

ALGORITHMS = ("ES384", "RS384", "ES256", "RS256", "ES512", "RS512")  # asymmetric only (CDS Hooks 2.0)
CURVES = {"ES256": "secp256r1", "ES384": "secp384r1", "ES512": "secp521r1"}
RSA_MIN_BITS = 2048
MAX_LIFETIME = 300  # seconds from iat to exp: the specification's "short-lived", five minutes
LEEWAY = 30  # seconds of clock skew allowed on iat and exp
JWKS_TIMEOUT = 3.0  # seconds to fetch an issuer's JWK Set; the EHR waits for our answer meanwhile
JWKS_LIFESPAN = 300  # seconds a fetched JWK Set is kept
TOKEN_MAX_LENGTH = 8192
FORGET_BATCH = 500  # expired used-token rows deleted per accepted call, at most
REFUSED = "A JWT signed by a trusted CDS client is required: Authorization: Bearer <JWT>."


class CdsUnauthorized(Exception):
    """The call is refused (401). `reason` is for the log only; the caller is told REFUSED."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CdsClient:
    """A verified caller: the issuer, its subject (the client id, when it sends one) and the token's id."""

    iss: str
    sub: str
    jti: str
    tenant: str = ""

    @property
    def actor(self) -> str:
        """How the audit trail names the caller (there is no user account behind it)."""
        return f"CDS client {self.iss}" + (f" (sub {self.sub})" if self.sub else "")


def public_base(request) -> str:
    """The scheme and host the EHR calls: settings.CDS_HOOKS_AUDIENCE when set (behind a proxy that
    rewrites the host), else the request's own."""
    configured = getattr(settings, "CDS_HOOKS_AUDIENCE", "")
    return configured.rstrip("/") if configured else request.build_absolute_uri("/").rstrip("/")


def expected_audience(request) -> str:
    """The endpoint URL the token must name as its `aud`: the base and the path called."""
    return public_base(request) + request.path


def bearer_token(request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def cds_client(request) -> CdsClient:
    """The verified caller of this request, or CdsUnauthorized."""
    token = bearer_token(request)
    if token is None:
        raise CdsUnauthorized("no bearer token")
    try:
        return _verify(token, expected_audience(request))
    except CdsUnauthorized as exc:
        log.warning("CDS Hooks call refused: %s", exc.reason)
        raise


def _verify(token: str, audience: str) -> CdsClient:
    if len(token) > TOKEN_MAX_LENGTH:
        raise CdsUnauthorized("token too long")
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise CdsUnauthorized("not a JWT") from exc
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in ALGORITHMS:
        raise CdsUnauthorized("algorithm not accepted")
    if not isinstance(kid, str) or not kid:
        raise CdsUnauthorized("no kid in the header")
    typ = header.get("typ")
    if not isinstance(typ, str) or typ.upper() != "JWT":
        raise CdsUnauthorized("typ is not JWT")
    issuer = unverified.get("iss")
    issuers = getattr(settings, "CDS_HOOKS_ISSUERS", {})
    if not isinstance(issuer, str) or issuer not in issuers:
        raise CdsUnauthorized("issuer not trusted")
    if len(issuer) > UsedToken.ISSUER_MAX:
        raise CdsUnauthorized("issuer too long to record its used tokens")
    key = _key(issuers[issuer], kid, alg)
    try:
        claims = jwt.decode(
            token,
            key=key,
            algorithms=[alg],
            audience=audience,
            issuer=issuer,
            leeway=LEEWAY,
            options={"require": ["iss", "aud", "exp", "iat", "jti"]},
        )
    except jwt.PyJWTError as exc:
        raise CdsUnauthorized(f"token rejected ({type(exc).__name__})") from exc
    _check_lifetime(claims)
    jti = claims["jti"]
    if not isinstance(jti, str) or not jti or len(jti) > UsedToken.JTI_MAX:
        raise CdsUnauthorized("jti is not a string")
    _not_replayed(issuer, jti, int(claims["exp"]))
    sub, tenant = claims.get("sub"), claims.get("tenant")
    return CdsClient(
        iss=issuer,
        sub=sub if isinstance(sub, str) else "",
        jti=jti,
        tenant=tenant if isinstance(tenant, str) else "",
    )


def _check_lifetime(claims: dict[str, Any]) -> None:
    issued, expires = claims["iat"], claims["exp"]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (issued, expires)):
        raise CdsUnauthorized("iat or exp is not a number")
    if expires - issued > MAX_LIFETIME:
        raise CdsUnauthorized("token lives longer than five minutes")
    if expires <= issued:
        raise CdsUnauthorized("exp is not after iat")


def _not_replayed(issuer: str, jti: str, expires: int) -> None:
    """Record the token as used; a second use of the same (issuer, jti) fails the unique constraint. The
    insert is the check (no read first), so two processes racing with one token cannot both pass."""
    now = timezone.now()
    expires_at = datetime.fromtimestamp(expires + LEEWAY, tz=UTC)
    try:
        with transaction.atomic():
            UsedToken.objects.create(issuer=issuer, jti=jti, expires_at=expires_at)
    except IntegrityError:
        raise CdsUnauthorized("jti already used") from None
    _forget_expired(now)


def _forget_expired(now: datetime) -> None:
    """Delete a bounded batch of rows whose tokens have expired (their tokens are refused by `exp` anyway),
    so the table holds about five minutes of calls."""
    expired = list(
        UsedToken.objects.filter(expires_at__lt=now)
        .order_by("expires_at")
        .values_list("pk", flat=True)[:FORGET_BATCH]
    )
    if expired:
        UsedToken.objects.filter(pk__in=expired).delete()


# ------------------------------------------------------------------------------------------------ keys

_CLIENTS: dict[str, jwt.PyJWKClient] = {}
_CLIENTS_LOCK = Lock()


def _key(config: dict[str, Any], kid: str, alg: str):
    """The issuer's public key named `kid`, checked against the algorithm (an EC key of the algorithm's
    curve, or an RSA key of at least RSA_MIN_BITS)."""
    jwk = _jwk(config, kid)
    if jwk.key_type not in ("EC", "RSA") or jwk.public_key_use not in (None, "sig"):
        raise CdsUnauthorized("key not usable for signatures")
    key = jwk.key
    if alg.startswith("ES"):
        if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != CURVES[alg]:
            raise CdsUnauthorized("key does not fit the algorithm")
    elif not isinstance(key, rsa.RSAPublicKey) or key.key_size < RSA_MIN_BITS:
        raise CdsUnauthorized("key does not fit the algorithm")
    return key


def _jwk(config: Any, kid: str) -> jwt.PyJWK:
    config = config if isinstance(config, dict) else {}
    if "jwks" in config:
        jwks = config["jwks"] if isinstance(config["jwks"], dict) else {}
        try:
            keys = jwt.PyJWKSet.from_dict(jwks).keys
        except jwt.PyJWTError as exc:
            raise CdsUnauthorized("the configured JWK Set holds no usable key") from exc
        for jwk in keys:
            if jwk.key_id == kid:
                return jwk
        raise CdsUnauthorized("kid not in the issuer's keys")
    if not isinstance(config.get("jwks_url"), str):
        raise CdsUnauthorized("the issuer has no keys configured")
    try:
        return _jwks_client(config["jwks_url"]).get_signing_key(kid)
    except jwt.PyJWKClientConnectionError as exc:
        raise CdsUnauthorized("the issuer's JWK Set could not be fetched") from exc
    except jwt.PyJWTError as exc:
        raise CdsUnauthorized("kid not in the issuer's keys") from exc
    except Exception as exc:  # noqa: BLE001 (not JSON, a connection reset mid-read...: the caller is refused)
        raise CdsUnauthorized(f"JWK Set unreadable ({type(exc).__name__})") from exc


def _jwks_client(url: str) -> jwt.PyJWKClient:
    """One client per URL, its JWK Set kept JWKS_LIFESPAN seconds. No per-key cache (`cache_keys`): it
    never expires, so a key the EHR withdrew would stay trusted until the process restarts."""
    with _CLIENTS_LOCK:
        if url not in _CLIENTS:
            _CLIENTS[url] = jwt.PyJWKClient(
                url, cache_keys=False, lifespan=JWKS_LIFESPAN, timeout=JWKS_TIMEOUT
            )
        return _CLIENTS[url]
