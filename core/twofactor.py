"""Two-factor sign-in (django-otp): who must use it, enrolment, the code step, and the middleware that keeps
an unverified session to the sign-in pages.

A user with a role in TWO_FACTOR_REQUIRED_ROLES, or a staff account (the Django admin can grant any role),
must enrol an authenticator app (TOTP) and then give a code after the password; anyone else may enrol
(TWO_FACTOR_OPTIONAL_FOR_OTHERS) and, once enrolled, is asked for a code too. Enrolment ends with ten
single-use backup codes, shown once. Bearer tokens are a separate credential and never pass through here;
a session that still owes its code is no session for the JSON API (401).
"""

from __future__ import annotations

import enum
from base64 import b32encode
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .audit import audit_record
from .middleware import API_PREFIX
from .roles import ROLE_SLUGS, user_roles

AUTHENTICATOR_NAME = "Authenticator app"
BACKUP_CODES_NAME = "Backup codes"
BACKUP_CODE_COUNT = 10
# The pages an unverified session may still open: signing in and out, the code step and enrolment.
OPEN_TO_UNVERIFIED = {
    "login",
    "logout",
    "admin:logout",
    "two_factor_verify",
    "two_factor_enrol",
    "keep_alive",
    "health",
}


def required_role_names() -> set[str]:
    unknown = [slug for slug in settings.TWO_FACTOR_REQUIRED_ROLES if slug not in ROLE_SLUGS]
    if unknown:
        raise ImproperlyConfigured(
            f"TWO_FACTOR_REQUIRED_ROLES: unknown role(s) {', '.join(unknown)}; known: {', '.join(ROLE_SLUGS)}"
        )
    return {ROLE_SLUGS[slug] for slug in settings.TWO_FACTOR_REQUIRED_ROLES}


def required_by_role(user) -> bool:
    """Whether the user's roles (or a staff account) call for a second factor, enforced or not."""
    if not user.is_authenticated:
        return False
    return user.is_staff or user.is_superuser or bool(user_roles(user) & required_role_names())


def may_enrol(user) -> bool:
    return required_by_role(user) or (user.is_authenticated and settings.TWO_FACTOR_OPTIONAL_FOR_OTHERS)


def must_verify(user) -> bool:
    """Whether this user's session needs a code before it is any use: a required role, or enrolled."""
    if not (settings.TWO_FACTOR_ENFORCED and user.is_authenticated):
        return False
    return required_by_role(user) or user_has_device(user)


def is_verified(request) -> bool:
    """Whether this session gave a code (OTPMiddleware reads the verifying device from the session)."""
    return bool(getattr(request.user, "otp_device", None))


# -- enrolment --------------------------------------------------------------------------------------------


def authenticator_pending(user) -> TOTPDevice:
    """The user's authenticator still to be confirmed: made on the first visit, the same secret until then."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)


def authenticator_secret(device: TOTPDevice) -> str:
    """The secret as an app's "enter a key" screen wants it: base32, in groups of four."""
    text = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def authenticator_qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// address as an inline SVG QR code (segno's markup: no script, no style attribute)."""
    return segno.make(device.config_url, error="m").svg_inline(
        scale=4, dark="#000", light="#fff", title="QR code for your authenticator app"
    )


@transaction.atomic
def authenticator_confirm(*, request, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the pending authenticator with the first code it shows. Then: other pending devices go, a new
    set of backup codes is made, and this session counts as verified. Returns the backup codes (shown once),
    or None when the code is wrong (audited; the device's throttle counts it)."""
    if not device.verify_token(_normalised(code)):
        audit_record(action="otp_failed", request=request, user=device.user, detail="enrolment")
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
    codes = backup_codes_replace(user=device.user)
    _verified(request, device)
    audit_record(action="otp_enrol", request=request, user=device.user, detail="authenticator app")
    return codes


@transaction.atomic
def backup_codes_replace(*, user) -> list[str]:
    """A new set of single-use backup codes for the user (any earlier ones stop working)."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_CODES_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def backup_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# -- the code step ----------------------------------------------------------------------------------------


class CodeOutcome(enum.Enum):
    VERIFIED = "verified"
    WRONG = "wrong"
    WAIT = "wait"  # too many wrong codes in a row: the device refuses for a while (doubling each time)


def code_verify(*, request, code: str) -> CodeOutcome:
    """Check a code from the authenticator app (6 digits) or a backup code (8 letters and digits) against
    the signed-in user's device of that kind. A wrong code is audited and slows the next try down."""
    user = request.user
    code = _normalised(code)
    from_app = len(code) == 6 and code.isdigit()  # backup codes are 8 characters
    model, kind = (TOTPDevice, "authenticator") if from_app else (StaticDevice, "backup code")
    with transaction.atomic():
        device = model.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk").first()
        if device is not None and not device.verify_is_allowed()[0]:
            outcome = CodeOutcome.WAIT
        elif device is not None and device.verify_token(code):
            outcome = CodeOutcome.VERIFIED
        else:
            outcome = CodeOutcome.WRONG
    if outcome is CodeOutcome.VERIFIED:
        _verified(request, device)
    else:
        detail = f"{kind}: {'refused while throttled' if outcome is CodeOutcome.WAIT else 'wrong code'}"
        audit_record(action="otp_failed", request=request, user=user, detail=detail)
    return outcome


def _normalised(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _verified(request, device) -> None:
    otp_login(request, device)
    request.session.cycle_key()  # a new session id once the second factor is given


# -- the middleware ---------------------------------------------------------------------------------------


def _url_name(request) -> str:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return ""
    return match.view_name


class TwoFactorMiddleware:
    """A signed-in user who must give a code and has not is sent to the code step (or to enrolment, with no
    device yet) from every page but sign-in/out and those steps; their session does not count for the JSON
    API, so its session auth answers 401 (bearer tokens are unaffected). After OTPMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not is_verified(request) and must_verify(user):
            if request.path_info.startswith(API_PREFIX):
                request.user = AnonymousUser()
            elif not request.path_info.startswith(f"/{settings.STATIC_URL.lstrip('/')}") and (
                _url_name(request) not in OPEN_TO_UNVERIFIED
            ):
                step = "two_factor_verify" if user_has_device(user) else "two_factor_enrol"
                query = f"?{urlencode({'next': request.get_full_path()})}" if request.method == "GET" else ""
                return HttpResponseRedirect(reverse(step) + query)
        return self.get_response(request)
