"""Response headers every page needs, and the one request header that is believed only from the proxy.

The Content-Security-Policy comes from django-csp (settings.CONTENT_SECURITY_POLICY); HSTS, nosniff,
Referrer-Policy and Cross-Origin-Opener-Policy from Django's SecurityMiddleware. See docs/security.md.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.utils.cache import patch_cache_control

API_PREFIX = "/api/"


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in proxies if item != "*")


def is_trusted_proxy(remote_addr: str, proxies: tuple[str, ...]) -> bool:
    """Whether the peer is the proxy named by DJANGO_TRUSTED_PROXY ("*": any peer; none named: nobody)."""
    if "*" in proxies:
        return True
    try:
        address = ipaddress.ip_address(remote_addr)
    except ValueError:
        return False
    return any(address in network for network in _networks(proxies))


class ForwardedProtoFromTrustedProxyMiddleware:
    """X-Forwarded-Proto says whether the browser's connection was https; anyone can send it, so it is
    dropped unless it comes from the proxy that terminates TLS. Before SecurityMiddleware (the https
    redirect) and everything else that asks request.is_secure()."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_trusted_proxy(request.META.get("REMOTE_ADDR", ""), settings.TRUSTED_PROXIES):
            request.META.pop("HTTP_X_FORWARDED_PROTO", None)
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    """No page uses the camera, microphone, location, payments or USB: the browser refuses them to the page
    and to anything a page might embed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


def _private(request) -> bool:
    """A signed-in user's response, one that read or wrote the session, or any JSON API answer (its
    caller is a bearer token that request.user does not know about)."""
    if request.path_info.startswith(API_PREFIX):
        return True
    session = getattr(request, "session", None)
    if session is not None and (session.accessed or session.modified):
        return True
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated


class NoStoreForSignedInMiddleware:
    """Pages carry patient data: a browser's cache, the back button after signing out, or a shared proxy
    must not keep them. Static files keep their caching: WhiteNoise answers them before a session or a user
    is attached to the request (and they are not under /api/)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if _private(request):
            if "no-store" not in response.get("Cache-Control", ""):  # never_cache's headers stay as they are
                patch_cache_control(response, no_store=True, private=True)
            response.headers.setdefault("Pragma", "no-cache")  # HTTP/1.0 caches
        return response
