"""Sign-in throttling (django-axes): a (username, address) pair locks after AXES_FAILURE_LIMIT failures, an
address alone only at its own, higher limit; a lock lifts after the cool-off or an admin's unlock; the
sign-in page and the admin's are both covered; every step is in the audit trail."""

from datetime import timedelta
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse

from core.lockout import client_ip
from core.models import AuditEvent
from core.roles import CLINICIAN

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password-1"


@pytest.fixture
def colleague(make_user):
    return make_user("clin", CLINICIAN)


def sign_in(client, username, password, *, page="login", address="127.0.0.1"):
    return client.post(reverse(page), {"username": username, "password": password}, REMOTE_ADDR=address)


def fail(client, username, times, *, page="login", address="127.0.0.1"):
    for _ in range(times):
        sign_in(client, username, "not-the-password", page=page, address=address)


def age_attempts(by: timedelta) -> None:
    """Move the failures this far into the past (as if the time had passed)."""
    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=attempt.attempt_time - by)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_fifty_wrong_passwords_lock_the_account_and_the_right_one_then_fails(client, physician):
    fail(client, "doc1", 50)

    response = sign_in(client, "doc1", PASSWORD)

    assert response.status_code == 429
    assert not signed_in(client)


def test_the_account_locks_at_the_failure_limit_not_before(client, physician, settings):
    fail(client, "doc1", settings.AXES_FAILURE_LIMIT - 1)
    assert sign_in(client, "doc1", PASSWORD).status_code == 302

    client.logout()
    fail(client, "doc1", 1)
    assert sign_in(client, "doc1", PASSWORD).status_code == 429


def test_the_locked_out_page_says_what_happened_without_a_traceback(client, physician):
    fail(client, "doc1", 10)

    response = sign_in(client, "doc1", PASSWORD)

    page = response.content.decode()
    assert response.status_code == 429
    assert "Too many failed sign-ins" in page
    assert "paused for 15 minutes" in page
    assert "Traceback" not in page


def test_a_locked_account_does_not_lock_a_colleague_at_the_same_address(client, physician, colleague):
    fail(client, "doc1", 50)

    response = sign_in(client, "clin", PASSWORD)

    assert response.status_code == 302
    assert signed_in(client)


def test_the_same_account_from_another_address_is_not_locked(client, physician):
    fail(client, "doc1", 10, address="10.0.0.1")

    assert sign_in(client, "doc1", PASSWORD, address="10.0.0.2").status_code == 302


def test_the_address_is_locked_at_its_own_higher_limit(client, physician, colleague, settings):
    settings.AXES_IP_FAILURE_LIMIT = 15
    fail(client, "doc1", 10)
    fail(client, "nobody", 4)
    assert sign_in(client, "clin", PASSWORD).status_code == 302
    client.logout()

    fail(client, "somebody-else", 1)

    assert sign_in(client, "clin", PASSWORD).status_code == 429
    assert sign_in(client, "clin", PASSWORD, address="10.0.0.9").status_code == 302


def test_the_lock_lifts_after_the_cool_off(client, physician, settings):
    fail(client, "doc1", 10)
    age_attempts(settings.AXES_COOLOFF_TIME + timedelta(seconds=1))

    response = sign_in(client, "doc1", PASSWORD)

    assert response.status_code == 302
    assert signed_in(client)


def test_the_cool_off_counts_from_the_last_failure(client, physician, settings):
    fail(client, "doc1", 10)
    age_attempts(settings.AXES_COOLOFF_TIME - timedelta(minutes=1))

    assert sign_in(client, "doc1", PASSWORD).status_code == 429


def test_the_admin_sign_in_page_is_protected_too(client, make_user):
    admin = make_user("it-admin")
    admin.is_staff = True
    admin.save()
    fail(client, "it-admin", 10, page="admin:login")

    response = sign_in(client, "it-admin", PASSWORD, page="admin:login")

    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()


def test_an_admin_unlocks_an_account_from_the_command_line(client, physician):
    fail(client, "doc1", 10)

    call_command("axes_reset_username", "doc1", stdout=StringIO())

    assert sign_in(client, "doc1", PASSWORD).status_code == 302


def test_the_admin_lists_the_attempts_so_an_admin_can_unlock(admin_client, client, physician):
    fail(client, "doc1", 10)

    response = admin_client.get(reverse("admin:axes_accessattempt_changelist"))

    assert response.status_code == 200
    assert "doc1" in response.content.decode()


# -- the audit trail ----------------------------------------------------------------------------------------


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def test_each_failed_sign_in_is_audited_with_the_account_it_tried(client, physician):
    fail(client, "doc1", 3)

    failed = events("login_failed")
    assert [(e.user_name, e.object_type, e.object_id) for e in failed] == [
        ("doc1", "user", str(physician.pk))
    ] * 3
    assert failed[0].ip == "127.0.0.1"


def test_a_failed_sign_in_of_no_such_account_records_no_name(client, db):
    fail(client, "Jane Patient", 1)

    (event,) = events("login_failed")
    assert (event.user_name, event.object_id) == ("", "")
    assert "Jane" not in event.detail


def test_a_lockout_is_audited_once_with_its_scope(client, physician):
    fail(client, "doc1", 15)

    (event,) = events("lockout")
    assert event.user_name == "doc1"
    assert event.detail == "locked: username and address"


def test_an_address_lockout_is_audited_as_such(client, db, settings):
    settings.AXES_IP_FAILURE_LIMIT = 12
    for number in range(14):
        sign_in(client, f"guess-{number}", "not-the-password")

    (event,) = events("lockout")
    assert event.detail == "locked: address"


def test_sign_in_and_sign_out_are_audited(client, colleague):
    sign_in(client, "clin", PASSWORD)
    client.post(reverse("logout"))

    assert [(e.action, e.user_name) for e in AuditEvent.objects.order_by("seq")] == [
        ("login", "clin"),
        ("logout", "clin"),
    ]


def test_an_unlock_is_audited(client, physician):
    fail(client, "doc1", 10)

    call_command("axes_reset_username", "doc1", stdout=StringIO())

    (event,) = events("unlock")
    assert (event.user_name, event.object_id) == ("doc1", str(physician.pk))
    assert event.detail == "10 failed sign-ins cleared"


def test_the_clean_up_of_expired_attempts_is_no_unlock(client, physician, settings):
    fail(client, "doc1", 2)
    age_attempts(settings.AXES_COOLOFF_TIME + timedelta(seconds=1))

    fail(client, "doc1", 1)  # axes removes the expired attempt before counting this one

    assert events("unlock") == []


# -- the client's address -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        ((), "203.0.113.7", "198.51.100.1", "203.0.113.7"),
        (("10.0.0.1",), "10.0.0.1", "198.51.100.9, 203.0.113.7", "203.0.113.7"),
        (("10.0.0.0/8",), "10.0.0.1", "203.0.113.7, 10.0.0.2", "203.0.113.7"),
        (("10.0.0.1",), "203.0.113.7", "198.51.100.1", "203.0.113.7"),
        (("*",), "10.0.0.1", "198.51.100.9, 203.0.113.7", "203.0.113.7"),
        (("10.0.0.1",), "10.0.0.1", "not-an-address", "10.0.0.1"),
    ],
    ids=["no proxy", "behind the proxy", "two proxies", "not from the proxy", "any peer", "garbage"],
)
def test_the_client_address_is_believed_from_the_proxy_only(settings, proxies, remote, forwarded, expected):
    settings.TRUSTED_PROXIES = proxies
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip(request) == expected
