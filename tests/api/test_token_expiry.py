"""API tokens expire API_TOKEN_DAYS after they were made (401, as a revoked one); their use is recorded
in last_used_at and in the audit trail at most once per LAST_USED_RESOLUTION; `api_token --list` shows
when each expires."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from core.models import ApiToken, AuditEvent
from core.tokens import LAST_USED_RESOLUTION, api_token_create

pytestmark = pytest.mark.django_db

INTAKE = "/api/v1/patients/999/intake"  # any operation a clinician may call (404: no such patient)


def made_days_ago(token: ApiToken, days: float) -> None:
    ApiToken.objects.filter(pk=token.pk).update(created_at=timezone.now() - timedelta(days=days))


def call(client, secret: str):
    return client.get(INTAKE, headers={"Authorization": f"Bearer {secret}"})


def test_a_token_within_its_days_works(client, clinician, settings):
    token, secret = api_token_create(user=clinician)
    made_days_ago(token, settings.API_TOKEN_DAYS - 1)

    assert call(client, secret).status_code == 404


def test_a_token_older_than_its_days_is_refused_like_a_revoked_one(client, clinician, settings):
    token, secret = api_token_create(user=clinician)
    made_days_ago(token, settings.API_TOKEN_DAYS + 0.01)

    response = call(client, secret)

    assert response.status_code == 401
    assert "Authentication needed" in response.json()["error"]


def test_the_days_come_from_the_setting(client, clinician, settings):
    settings.API_TOKEN_DAYS = 7
    token, secret = api_token_create(user=clinician)
    made_days_ago(token, 8)

    assert call(client, secret).status_code == 401


def test_a_use_is_audited_once_per_resolution(client, clinician):
    token, secret = api_token_create(user=clinician)

    call(client, secret)
    call(client, secret)
    ApiToken.objects.filter(pk=token.pk).update(
        last_used_at=timezone.now() - LAST_USED_RESOLUTION - timedelta(seconds=1)
    )
    call(client, secret)

    uses = AuditEvent.objects.filter(action="token_use").order_by("seq")
    assert [(e.user_name, e.object_type, e.object_id) for e in uses] == [
        ("clin", "apitoken", str(token.pk))
    ] * 2


def test_an_expired_token_is_not_recorded_as_used(client, clinician, settings):
    token, secret = api_token_create(user=clinician)
    made_days_ago(token, settings.API_TOKEN_DAYS + 1)

    call(client, secret)

    token.refresh_from_db()
    assert token.last_used_at is None
    assert not AuditEvent.objects.filter(action="token_use").exists()


def listing(username: str) -> str:
    out = StringIO()
    call_command("api_token", username, "--list", stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_list_shows_when_each_token_expires(clinician, settings):
    token, _ = api_token_create(user=clinician)
    expires = token.created_at + timedelta(days=settings.API_TOKEN_DAYS)

    assert f"expires {expires:%Y-%m-%d %H:%M}\tactive" in listing("clin")


def test_the_list_marks_an_expired_token(clinician, settings):
    token, _ = api_token_create(user=clinician)
    made_days_ago(token, settings.API_TOKEN_DAYS + 1)

    out = listing("clin")

    assert out.rstrip().endswith("\texpired")
    assert "active" not in out
