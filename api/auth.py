"""Who is calling: a bearer token from `manage.py api_token`, or the browser's session (with CSRF)."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer, SessionAuth

from core.roles import has_any_role
from core.tokens import api_token_user

FORBIDDEN = "Your role does not give access to this."


def _with_role(user, roles: tuple[str, ...]):
    """django-ninja authenticates before it reads the body: a caller without the operation's role gets 403
    before anything they sent is validated (never a 400 about an operation they may not use)."""
    if user is not None and roles and not has_any_role(user, roles):
        raise HttpError(403, FORBIDDEN)
    return user


class BearerToken(HttpBearer):
    def __init__(self, roles: Iterable[str] = ()):
        super().__init__()
        self.roles = tuple(roles)

    def __call__(self, request: HttpRequest):
        # Not HttpBearer.__call__: under DEBUG it logs the whole header, and a token is a secret.
        scheme, _, secret = request.headers.get(self.header, "").partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            return None
        return self.authenticate(request, secret.strip())

    def authenticate(self, request: HttpRequest, token: str):
        return _with_role(api_token_user(token, request=request), self.roles)


class ActiveSession(SessionAuth):
    """The signed-in browser user (SessionAuth checks the CSRF token on writes)."""

    def __init__(self, roles: Iterable[str] = ()):
        super().__init__()
        self.roles = tuple(roles)

    def __call__(self, request: HttpRequest):
        # No session user: not this scheme's business (401), rather than a CSRF failure (403).
        if not (request.user.is_authenticated and request.user.is_active):
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key):
        user = super().authenticate(request, key)
        return _with_role(user if user is not None and user.is_active else None, self.roles)


AUTH = [BearerToken(), ActiveSession()]


def by_role(roles: Iterable[str]) -> list:
    """The operation's authentication: a bearer token or a session, of a user with one of `roles`."""
    return [BearerToken(roles), ActiveSession(roles)]


def caller(request: HttpRequest):
    """The authenticated user (set by whichever of AUTH accepted the request)."""
    return request.auth


def require_role(request: HttpRequest, roles: Iterable[str]):
    """The caller, if one of their roles is among `roles` (the same tuples the pages use); else 403."""
    user = caller(request)
    if not has_any_role(user, roles):
        raise HttpError(403, FORBIDDEN)
    return user
