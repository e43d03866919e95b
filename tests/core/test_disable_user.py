"""`manage.py disable_user`: no sign-in, every API token revoked; --enable undoes the first only."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.http import HttpRequest

from core.models import ApiToken
from core.roles import CLINICIAN
from core.tokens import api_token_create, api_token_user

pytestmark = pytest.mark.django_db


def disable_user(*args: str) -> str:
    out = StringIO()
    call_command("disable_user", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def alice(make_user):
    return make_user("alice", CLINICIAN)


@pytest.fixture
def alice_secrets(alice):
    return [api_token_create(user=alice, name=f"token {i}")[1] for i in range(3)]


def test_disabling_sets_is_active_false(alice):
    disable_user("alice")
    alice.refresh_from_db()
    assert alice.is_active is False


def test_disabling_revokes_every_token(alice, alice_secrets):
    out = disable_user("alice")
    assert not ApiToken.objects.filter(user=alice, revoked_at__isnull=True).exists()
    assert [api_token_user(secret) for secret in alice_secrets] == [None, None, None]
    assert "3 API token(s) revoked" in out


def test_disabling_leaves_other_users_tokens_alone(alice, make_user):
    bob = make_user("bob", CLINICIAN)
    _, bob_secret = api_token_create(user=bob)
    disable_user("alice")
    assert api_token_user(bob_secret) == bob


def test_disabled_user_cannot_sign_in(alice, client):
    disable_user("alice")
    # django-axes' backend needs the request (it counts the failure against the client's address)
    signed_in = client.login(request=HttpRequest(), username="alice", password="a-long-test-password-1")
    assert signed_in is False


def test_enable_makes_the_user_active_again(alice):
    disable_user("alice")
    out = disable_user("alice", "--enable")
    alice.refresh_from_db()
    assert alice.is_active is True
    assert "enabled" in out


def test_enable_leaves_the_tokens_revoked(alice, alice_secrets):
    disable_user("alice")
    disable_user("alice", "--enable")
    assert not ApiToken.objects.filter(user=alice, revoked_at__isnull=True).exists()
    assert [api_token_user(secret) for secret in alice_secrets] == [None, None, None]


@pytest.mark.parametrize("args", [[], ["--enable"]])
def test_an_unknown_user_is_refused(db, args):
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        disable_user("nobody", *args)
    assert not get_user_model().objects.exists()
