"""Each request's log context (django-structlog's RequestMiddleware): a request id, the user id and the
client's address on every line logged while it runs, and on the Celery tasks it sends.

The request id is the client's (or the proxy's) X-Request-ID when that is a plain token of at most 64
letters, digits, dots, dashes and underscores; anything else is replaced by a new UUID. It is returned in
the response's X-Request-ID, so a user or a proxy log can quote it. The address is the one sign-in
throttling uses (core.lockout.client_ip): X-Forwarded-For only from DJANGO_TRUSTED_PROXY.
"""

import re

import structlog
from django.core.signals import request_finished
from django_structlog import signals
from django_structlog.middlewares import RequestMiddleware

from .lockout import client_ip

HEADER = "X-Request-ID"
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class RequestLogMiddleware(RequestMiddleware):
    @classmethod
    def bind_ip(cls, request) -> None:
        structlog.contextvars.bind_contextvars(ip=client_ip(request))

    def handle_response(self, request, response) -> None:
        self.bind_user_id(request)  # the user at the end (signed in or out by this request)
        context = structlog.contextvars.get_contextvars()  # the parent clears it
        super().handle_response(request, response)
        if context.get("request_id"):
            response.headers[HEADER] = context["request_id"]
        # kept for the lines Django logs after the middleware ("Not Found: /path", a 500's traceback) and
        # while a file streams; cleared when the response is closed (clear_request_context)
        structlog.contextvars.bind_contextvars(**context)


def upstream_request_id(sender, request, **_) -> None:
    """django-structlog's bind_extra_request_metadata, sent before request_started is logged: the client's
    id replaces the new one when it is a plain token."""
    supplied = request.headers.get(HEADER, "")
    if REQUEST_ID.fullmatch(supplied):
        structlog.contextvars.bind_contextvars(request_id=supplied)


def clear_request_context(**_) -> None:
    """Django's request_finished, sent when the response is closed: nothing of this request is left for
    the lines logged between requests."""
    structlog.contextvars.clear_contextvars()


signals.bind_extra_request_metadata.connect(upstream_request_id, dispatch_uid="core.request_log")
request_finished.connect(clear_request_context, dispatch_uid="core.request_log")
