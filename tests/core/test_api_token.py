"""`manage.py api_token`: the secret printed once, alone on stdout; only its SHA-256 kept; list and revoke."""

import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from core.models import ApiToken
from core.roles import CLINICIAN
from core.tokens import TOKEN_PREFIX, api_token_create, api_token_user

pytestmark = pytest.mark.django_db


def api_token(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("api_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def alice(make_user):
    return make_user("alice", CLINICIAN)


@pytest.fixture
def bob(make_user):
    return make_user("bob", CLINICIAN)


def test_the_secret_is_printed_alone_on_one_stdout_line(alice):
    out, _ = api_token("alice")
    lines = out.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(TOKEN_PREFIX)
    assert out == lines[0] + "\n"


def test_the_notice_goes_to_stderr_with_the_token_id(alice):
    out, err = api_token("alice")
    token = ApiToken.objects.get(user=alice)
    assert f"token {token.pk} created for alice" in err
    assert out.strip() not in err


def test_the_stored_digest_is_the_sha256_of_the_secret(alice):
    secret = api_token("alice")[0].strip()
    token = ApiToken.objects.get(user=alice)
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[:12]


def test_no_column_holds_the_secret(alice):
    secret = api_token("alice")[0].strip()
    row = ApiToken.objects.filter(user=alice).values().get()
    assert [name for name, value in row.items() if secret in str(value)] == []


def test_the_secret_authenticates_its_user(alice):
    secret = api_token("alice")[0].strip()
    assert api_token_user(secret) == alice


def test_each_call_makes_a_new_secret(alice):
    first, second = api_token("alice")[0], api_token("alice")[0]
    assert first != second
    assert ApiToken.objects.filter(user=alice).count() == 2


def test_name_is_stored(alice):
    api_token("alice", "--name", "EHR bridge")
    assert ApiToken.objects.get(user=alice).name == "EHR bridge"


def test_list_shows_id_prefix_and_name_but_not_the_secret(alice):
    secret = api_token("alice", "--name", "EHR bridge")[0].strip()
    token = ApiToken.objects.get(user=alice)
    out, _ = api_token("alice", "--list")
    assert out.startswith(f"{token.pk}\t")
    assert token.prefix in out
    assert "EHR bridge" in out
    assert "active" in out
    assert secret not in out


def test_list_shows_only_the_users_own_tokens(alice, bob):
    _, bob_secret = api_token_create(user=bob, name="bob's bridge")
    out, _ = api_token("alice", "--list")
    assert out == "alice has no API tokens\n"
    assert bob_secret[:12] not in out


def test_revoke_stops_the_secret_working(alice):
    secret = api_token("alice")[0].strip()
    token = ApiToken.objects.get(user=alice)
    out, _ = api_token("alice", "--revoke", str(token.pk))
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert api_token_user(secret) is None
    assert f"token {token.pk}" in out and "revoked" in out


def test_a_revoked_token_is_listed_as_revoked(alice):
    token, _ = api_token_create(user=alice)
    api_token("alice", "--revoke", str(token.pk))
    out, _ = api_token("alice", "--list")
    assert "revoked" in out
    assert "active" not in out


def test_revoking_another_users_token_is_refused(alice, bob):
    token, bob_secret = api_token_create(user=bob)
    with pytest.raises(CommandError, match=f"no token with id {token.pk}"):
        api_token("alice", "--revoke", str(token.pk))
    token.refresh_from_db()
    assert token.revoked_at is None
    assert api_token_user(bob_secret) == bob


@pytest.mark.parametrize("token_id", ["999999", "abc", "-1", "1.0"])
def test_revoking_an_unknown_token_id_is_refused(alice, token_id):
    with pytest.raises(CommandError, match="no token with id"):
        api_token("alice", "--revoke", token_id)


@pytest.mark.parametrize("args", [[], ["--list"], ["--revoke", "1"], ["--name", "x"]])
def test_an_unknown_user_is_refused(db, args):
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        api_token("nobody", *args)
    assert not ApiToken.objects.exists()


def test_a_disabled_user_gets_no_token(alice):
    alice.is_active = False
    alice.save()
    with pytest.raises(CommandError, match="disabled"):
        api_token("alice")
    assert not ApiToken.objects.exists()


def test_a_token_stops_working_when_its_user_is_disabled(alice):
    secret = api_token("alice")[0].strip()
    alice.is_active = False
    alice.save()
    assert api_token_user(secret) is None


@pytest.mark.parametrize("secret", ["", "pit_", "pit_not-a-real-token", "not-a-prefix", "pit_" + "x" * 200])
def test_an_unknown_secret_authenticates_no_one(alice, secret):
    api_token("alice")
    assert api_token_user(secret) is None


def test_list_and_revoke_together_are_refused(alice):
    token, _ = api_token_create(user=alice)
    with pytest.raises(CommandError):
        api_token("alice", "--list", "--revoke", str(token.pk))
    token.refresh_from_db()
    assert token.revoked_at is None
