"""API tokens: created with a secret shown once, stored as a SHA-256, checked on each request, refused
API_TOKEN_DAYS after they were made, revoked."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .audit import audit_record
from .models import ApiToken

TOKEN_PREFIX = "pit_"  # noqa: S105 (not a secret: "pre-infusion token": recognisable in a leaked log or a secret scanner)
# last_used_at is written (and a "token_use" audit event recorded) at most this often per token, so reads do
# not turn into a write each.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def token_digest(secret: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


@transaction.atomic
def api_token_create(*, user, name: str = "") -> tuple[ApiToken, str]:
    """A new token for the user; returns the row and the secret (never stored, never shown again)."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name.strip()[:100], prefix=secret[:12], digest=token_digest(secret)
    )
    return token, secret


def api_token_expires_at(token: ApiToken) -> datetime:
    return token.created_at + timedelta(days=settings.API_TOKEN_DAYS)


def api_token_user(secret: str, *, request=None):
    """The active user a secret belongs to, or None (unknown, revoked, expired, or the user is disabled)."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(
            digest=token_digest(secret),
            revoked_at__isnull=True,
            user__is_active=True,
            created_at__gt=now - timedelta(days=settings.API_TOKEN_DAYS),
        )
        .first()
    )
    if token is None:
        return None
    # one conditional UPDATE: of two concurrent first uses, only one records the use
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    if ApiToken.objects.filter(stale, pk=token.pk).update(last_used_at=now):
        audit_record(action="token_use", request=request, user=token.user, obj=token)
    return token.user


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_tokens_revoke_all(*, user) -> int:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
