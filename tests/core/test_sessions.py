"""Session limits, on the server: a session ends SESSION_IDLE_SECONDS after its last page load, post or
keep-alive (htmx polls do not count), and SESSION_COOKIE_AGE after sign-in however active; signing out
flushes the session server-side."""

import time

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse

from core.models import AuditEvent
from core.sessions import LAST_ACTIVITY, SIGNED_IN_AT

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true", "HX-Current-URL": "http://testserver/patients/?q=1"}


def stamp(client, **seconds_ago: int) -> None:
    """Move the session's sign-in time or last activity this many seconds into the past."""
    session = client.session
    now = int(time.time())
    for key, ago in seconds_ago.items():
        session[key] = now - ago
    session.save()


def test_an_active_session_stays_signed_in_and_its_activity_is_recorded(clinician_client, settings):
    stamp(clinician_client, last_activity=settings.SESSION_IDLE_SECONDS - 5)

    response = clinician_client.get(reverse("patients:list"))

    assert response.status_code == 200
    assert int(time.time()) - clinician_client.session[LAST_ACTIVITY] <= 1


def test_an_idle_session_is_signed_out_and_the_page_goes_to_sign_in(clinician_client, settings):
    stamp(clinician_client, last_activity=settings.SESSION_IDLE_SECONDS + 1)

    response = clinician_client.get(reverse("patients:list"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/patients/"
    assert "_auth_user_id" not in clinician_client.session


def test_the_sign_in_page_says_why(clinician_client, settings):
    stamp(clinician_client, last_activity=settings.SESSION_IDLE_SECONDS + 1)

    response = clinician_client.get(reverse("patients:list"), follow=True)

    assert "You were signed out after 15 minutes without activity." in response.content.decode()


def test_an_idle_sign_out_is_audited(clinician_client, settings):
    stamp(clinician_client, last_activity=settings.SESSION_IDLE_SECONDS + 1)

    clinician_client.get(reverse("home"))

    assert AuditEvent.objects.filter(action="logout").get().detail == "idle"


def test_htmx_polling_is_not_activity(clinician_client, settings):
    stamp(clinician_client, last_activity=60)
    before = clinician_client.session[LAST_ACTIVITY]

    clinician_client.get(reverse("patients:list"), headers=HTMX)

    assert clinician_client.session[LAST_ACTIVITY] == before


def test_an_htmx_poll_after_the_limit_takes_the_whole_page_to_sign_in(clinician_client, settings):
    stamp(clinician_client, last_activity=settings.SESSION_IDLE_SECONDS + 1)

    response = clinician_client.get(reverse("patients:list"), headers=HTMX)

    assert response["HX-Redirect"] == f"{reverse('login')}?next=/patients/%3Fq%3D1"
    assert "_auth_user_id" not in clinician_client.session


def test_a_session_ends_at_its_absolute_lifetime_however_active(clinician_client, settings):
    stamp(clinician_client, signed_in_at=settings.SESSION_COOKIE_AGE + 1, last_activity=0)

    response = clinician_client.get(reverse("patients:list"), follow=True)

    assert response.redirect_chain[0][0].startswith(reverse("login"))
    assert "a session lasts at most 12 hours" in response.content.decode()
    assert AuditEvent.objects.filter(action="logout").get().detail == "session age"


def test_sign_in_stamps_the_session(client, clinician):
    client.post(reverse("login"), {"username": "clin", "password": "a-long-test-password-1"})

    assert int(time.time()) - client.session[SIGNED_IN_AT] <= 1


def test_the_api_refuses_an_idle_session(clinician_client, settings):
    stamp(clinician_client, last_activity=settings.SESSION_IDLE_SECONDS + 1)

    assert clinician_client.get("/api/v1/patients/999/intake").status_code == 401


# -- keep-alive ---------------------------------------------------------------------------------------------


def test_stay_signed_in_refreshes_the_activity(clinician_client, settings):
    stamp(clinician_client, last_activity=settings.SESSION_IDLE_SECONDS - 30)

    response = clinician_client.post(reverse("keep_alive"))

    assert response.status_code == 204
    assert int(time.time()) - clinician_client.session[LAST_ACTIVITY] <= 1


def test_stay_signed_in_comes_too_late_after_the_limit(clinician_client, settings):
    stamp(clinician_client, last_activity=settings.SESSION_IDLE_SECONDS + 1)

    response = clinician_client.post(reverse("keep_alive"))

    assert response.status_code == 302
    assert "_auth_user_id" not in clinician_client.session


def test_the_keep_alive_takes_posts_only(clinician_client):
    assert clinician_client.get(reverse("keep_alive")).status_code == 405


# -- the page and sign-out ----------------------------------------------------------------------------------


def test_a_signed_in_page_carries_the_idle_limit_for_the_warning(clinician_client, settings):
    settings.SESSION_IDLE_SECONDS = 600

    page = clinician_client.get(reverse("home")).content.decode()

    assert 'data-idle-seconds="600"' in page
    assert f'data-keep-alive-url="{reverse("keep_alive")}"' in page
    assert "js/session-timeout" in page


def test_the_sign_in_page_has_no_idle_warning(client, db):
    assert "data-idle-seconds" not in client.get(reverse("login")).content.decode()


def test_signing_out_removes_the_session_on_the_server(clinician_client):
    old_key = clinician_client.session.session_key

    clinician_client.post(reverse("logout"))
    clinician_client.cookies["sessionid"] = old_key  # a copy of the old cookie, replayed

    assert not Session.objects.filter(session_key=old_key).exists()
    assert clinician_client.get(reverse("home"))["Location"].startswith(reverse("login"))


def test_a_page_view_writes_the_activity_at_most_every_so_often_and_a_post_always(clinician_client, settings):
    """Pages within a few seconds of the last recorded activity do not write the session row again; "Stay
    signed in" (a POST) always does, so the warning's button keeps the session whatever the interval."""
    from core.sessions import activity_write_seconds

    settings.SESSION_IDLE_SECONDS = 900
    assert activity_write_seconds() == 30
    stamp(clinician_client, last_activity=10)
    before = clinician_client.session[LAST_ACTIVITY]
    clinician_client.get(reverse("patients:list"))
    assert clinician_client.session[LAST_ACTIVITY] == before  # 10 s ago: not written again

    clinician_client.post(reverse("keep_alive"))
    assert int(time.time()) - clinician_client.session[LAST_ACTIVITY] <= 1

    stamp(clinician_client, last_activity=31)
    clinician_client.get(reverse("patients:list"))
    assert int(time.time()) - clinician_client.session[LAST_ACTIVITY] <= 1


def test_a_short_idle_limit_shortens_the_interval(settings):
    from core.sessions import activity_write_seconds

    settings.SESSION_IDLE_SECONDS = 60
    assert activity_write_seconds() == 6
