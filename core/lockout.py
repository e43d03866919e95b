"""Sign-in throttling with django-axes: a limit for each lockout parameter, and the client's address.

AXES_LOCKOUT_PARAMETERS counts failures per (username, address) pair and per address. Axes itself compares
the largest of those counts with one limit (AXES_FAILURE_LIMIT); here the address gets its own, higher limit
(AXES_IP_FAILURE_LIMIT), so a colleague's typos or one attacker guessing one account lock that pair only,
while an address trying many accounts is still stopped.
"""

from __future__ import annotations

import ipaddress

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit, get_lockout_parameters
from django.conf import settings
from django.db.models import Sum
from django.shortcuts import render

from .middleware import is_trusted_proxy

ADDRESS = "ip_address"


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or behind the proxy named by DJANGO_TRUSTED_PROXY the last address
    X-Forwarded-For names that is not one of the proxies (the earlier ones are the client's to invent)."""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.TRUSTED_PROXIES
    if remote is None or not is_trusted_proxy(remote, proxies):
        return remote
    hops = [item for item in request.META.get("HTTP_X_FORWARDED_FOR", "").replace(" ", "").split(",") if item]
    for address in reversed([hop for hop in hops if _is_address(hop)]):
        if "*" in proxies or not is_trusted_proxy(address, proxies):
            return address
    return remote


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def lockout_response(request, original_response=None, credentials=None):
    """The page a locked-out sign-in gets (the sign-in page's and the admin's alike): what happened and when
    to try again, never whether the account exists."""
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    return render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)


def parameter_limit(parameter, pair_limit: int) -> int:
    return settings.AXES_IP_FAILURE_LIMIT if parameter == ADDRESS else pair_limit


class SignInLockoutHandler(AxesDatabaseHandler):
    """Axes' database handler with a limit per lockout parameter.

    Axes locks when get_failures() reaches the failure limit, so each parameter's count is put on that
    scale (a count at its own limit reads as the pair limit; integer division keeps every count below its
    limit below it) and the largest is returned. The request remembers which parameter locked it
    (`signin_locked_by`) and whether it was locked before this attempt (`signin_was_locked`), so the
    lockout is audited once, with its scope (core.signals)."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        pair_limit = get_failure_limit(request, credentials)
        parameters = get_lockout_parameters(request, credentials)
        scaled = []
        for parameter, attempts in zip(parameters, self.get_user_attempts(request, credentials), strict=True):
            count = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            limit = parameter_limit(parameter, pair_limit)
            if count >= limit and not getattr(request, "signin_locked_by", None):
                request.signin_locked_by = "address" if parameter == ADDRESS else "username and address"
            scaled.append(count * pair_limit // limit)
        return max(scaled, default=0)

    def is_allowed(self, request, credentials: dict | None = None) -> bool:
        allowed = super().is_allowed(request, credentials)
        request.signin_was_locked = not allowed
        return allowed
