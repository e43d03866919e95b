"""Session limits, checked on the server: idle logoff and an absolute lifetime.

A session ends SESSION_IDLE_SECONDS after the user's last activity (a page load, a form post, "Stay signed
in"), and SESSION_COOKIE_AGE after sign-in however active it is: the user is signed out (the session is
flushed) and sent to sign in again with a note. htmx requests are not activity: the PDF status and impact
panels poll every 2 s, and a page left open must still sign out; such a poll, once the session has ended,
takes the whole page to the sign-in page. static/js/session-timeout.js warns a minute before.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.http import HttpResponse

SIGNED_IN_AT = "signed_in_at"
LAST_ACTIVITY = "last_activity"

IDLE = "idle"
TOO_OLD = "session age"
NOTES = {
    IDLE: "You were signed out after {} without activity. Sign in again to continue.",
    TOO_OLD: "You were signed out: a session lasts at most {}. Sign in again to continue.",
}


@receiver(user_logged_in)
def stamp_sign_in(sender, request, user, **kwargs):
    now = int(time.time())
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_ACTIVITY] = now


# A page view's activity is written to the session at most once in this many seconds (a tenth of the idle
# limit at most), so that a busy user's pages do not each write the session row; a POST ("Stay signed in"
# included) always writes it. An idle logoff then comes at most this much early.
ACTIVITY_WRITE_SECONDS = 30


def activity_write_seconds() -> int:
    return max(0, min(ACTIVITY_WRITE_SECONDS, settings.SESSION_IDLE_SECONDS // 10))


def is_activity(request) -> bool:
    """htmx requests (polling, mostly) are not activity; page loads, posts and the keep-alive are."""
    return request.headers.get("HX-Request") != "true"


def session_end_reason(session, now: int) -> str | None:
    signed_in_at = session.setdefault(SIGNED_IN_AT, now)  # a session from before these limits starts now
    last_activity = session.get(LAST_ACTIVITY, now)
    if now - signed_in_at > settings.SESSION_COOKIE_AGE:
        return TOO_OLD
    if now - last_activity > settings.SESSION_IDLE_SECONDS:
        return IDLE
    return None


class IdleSessionMiddleware:
    """Signs an idle or too-old session out before the view runs; otherwise records activity. After the
    session, auth and message middleware. A page request then meets LoginRequiredMiddleware (to sign-in,
    with ?next=), the JSON API answers 401, and an htmx request is told to load the sign-in page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            reason = session_end_reason(request.session, now)
            if reason is not None:
                return self._sign_out(request, reason)
            if is_activity(request) and (
                request.method == "POST"
                or now - int(request.session.get(LAST_ACTIVITY) or 0) >= activity_write_seconds()
            ):
                request.session[LAST_ACTIVITY] = now
        return self.get_response(request)

    def _sign_out(self, request, reason: str):
        request.signout_reason = reason  # the logout audit event says why (core.signals)
        logout(request)
        limit = settings.SESSION_IDLE_SECONDS if reason == IDLE else settings.SESSION_COOKIE_AGE
        messages.info(request, NOTES[reason].format(duration(limit)))
        if request.headers.get("HX-Request") == "true":
            current = urlsplit(request.headers.get("HX-Current-URL", ""))
            page = current.path + (f"?{current.query}" if current.query else "")
            login = redirect_to_login(page or "/")
            return HttpResponse(headers={"HX-Redirect": login.url})
        return self.get_response(request)


def duration(seconds: int) -> str:
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def idle_logoff(request) -> dict:
    """For base.html: the idle limit the warning script counts down (data-idle-seconds on <body>)."""
    return {"session_idle_seconds": settings.SESSION_IDLE_SECONDS}
