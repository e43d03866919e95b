"""Sign-in events in the audit trail: sign-in and sign-out, failed sign-ins, lockouts and unlocks.

From Django's auth signals (the sign-in page and the admin's alike) and django-axes'. A failed sign-in names
the account it tried only when that account exists (a mistyped name may be anything, even a patient's).
"""

from __future__ import annotations

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone

from .audit import audit_record


def _account(username) -> tuple[object | None, str]:
    """The existing user with exactly this username, and the name to record (empty for no such user)."""
    if not username:
        return None, ""
    user = get_user_model().objects.filter(username=username).first()
    return user, (user.get_username() if user else "")


def _route(request) -> str:
    match = getattr(request, "resolver_match", None)
    return match.view_name if match else ""


@receiver(user_logged_in)
def audit_sign_in(sender, request, user, **kwargs):
    audit_record(action="login", request=request, user=user, detail=_route(request))


@receiver(user_logged_out)
def audit_sign_out(sender, request, user, **kwargs):
    if user is not None:
        reason = getattr(request, "signout_reason", "")
        audit_record(action="logout", request=request, user=user, detail=reason or _route(request))


@receiver(user_login_failed)
def audit_failed_sign_in(sender, credentials, request=None, **kwargs):
    account, name = _account(credentials.get("username"))
    locked = getattr(request, "signin_was_locked", False)
    audit_record(
        action="login_failed",
        request=request,
        user_name=name,
        obj=account,
        detail="refused: locked" if locked else _route(request),
    )


@receiver(user_locked_out)
def audit_lockout(sender, request, username, ip_address, **kwargs):
    """Once per lockout: axes signals again on each refused attempt while it lasts."""
    if getattr(request, "signin_was_locked", False):
        return
    account, name = _account(username)
    scope = getattr(request, "signin_locked_by", "")
    audit_record(action="lockout", request=request, user_name=name, obj=account, detail=f"locked: {scope}")


@receiver(post_delete, sender=AccessAttempt)
def audit_unlock(sender, instance, **kwargs):
    """Failures removed while they still count: an admin's unlock (the admin's delete, `axes_reset_*`).
    Axes' own clean-up removes only attempts older than the cool-off, which are not recorded."""
    cool_off = get_cool_off()
    if cool_off is not None and instance.attempt_time <= timezone.now() - cool_off:
        return
    account, name = _account(instance.username)
    audit_record(
        action="unlock",
        user_name=name,
        obj=account,
        detail=f"{instance.failures_since_start} failed sign-ins cleared",
    )
