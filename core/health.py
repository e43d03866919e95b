"""Probes for load balancers and orchestrators: /healthz (liveness) and /readyz (readiness).

/healthz answers "ok" from the process alone: no query, nothing else touched. /readyz checks what this
instance needs to serve a request: the database, the broker when one is configured, the file storage.
The checks run side by side in threads under one deadline (READYZ_TIMEOUT_SECONDS), so a dependency that
hangs answers "timeout" instead of hanging the probe. A failure is named by its exception class only: an
exception's text can hold a URL with its password, or a host name.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connections
from django.http import JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

logger = logging.getLogger(__name__)

OK, TIMEOUT = "ok", "timeout"


class Flight:
    """One run of a check, shared by every probe that arrives while it runs: a late probe waits for the
    same outcome (up to its own deadline) instead of starting another or reporting the check as failed."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.outcome = TIMEOUT


# The checks running now, by name: at most one thread per dependency, however many probes arrive.
RUNNING: dict[str, Flight] = {}
_running_lock = threading.Lock()


class HealthView(TemplateView):
    """Liveness for load balancers and docker-compose; reveals nothing."""

    template_name = "core/health.txt"
    content_type = "text/plain"


def check_database() -> None:
    """A `SELECT 1` on a connection of this thread's own, closed afterwards."""
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()


def check_broker(timeout: float) -> None:
    """Connect to the broker (one attempt) with the app's options and short socket timeouts."""
    options = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    with current_app.connection_for_read(
        settings.CELERY_BROKER_URL, connect_timeout=timeout, transport_options=options
    ) as conn:
        conn.ensure_connection(max_retries=0, timeout=timeout)


class NotWritable(Exception):
    """The storage folder neither exists writable nor can be made."""


def check_folder(folder: Path) -> None:
    """The folder takes a file (an unnamed temporary one, gone when closed), or, absent, could be made."""
    if folder.exists():
        with tempfile.TemporaryFile(dir=folder):
            return
    parent = next((p for p in folder.parents if p.exists()), None)
    if parent is None or not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise NotWritable


def storage_check() -> Callable[[], None]:
    """The check of the default storage, prepared in the request's thread: an S3 bucket's client (boto3
    clients, unlike its resources, may be used from another thread) asked for the bucket (head_bucket);
    a folder (MEDIA_ROOT) written to; any other storage asked whether a file exists."""
    storage = default_storage
    bucket = getattr(storage, "bucket_name", None)
    if bucket:
        client = storage.connection.meta.client
        return lambda: client.head_bucket(Bucket=bucket)
    location = getattr(storage, "location", None)
    if location:
        return lambda: check_folder(Path(location))
    return lambda: storage.exists("readyz-probe")


def prepared(prepare: Callable[[], Callable[[], None]]) -> Callable[[], None]:
    """The check `prepare` makes; one that raises while being made becomes a check raising the same."""
    try:
        return prepare()
    except Exception as exc:  # noqa: BLE001 (reported by class name, as a check's own failure)
        failure = exc

        def fail() -> None:
            raise failure

        return fail


def configured_checks(timeout: float) -> dict[str, Callable[[], None]]:
    checks: dict[str, Callable[[], None]] = {"database": check_database}
    if settings.BROKER_FROM_ENV:  # none: tasks run in-process, nothing to reach
        checks["broker"] = lambda: check_broker(timeout)
    checks["storage"] = prepared(storage_check)
    return checks


def _run(name: str, check: Callable[[], None], flight: Flight) -> None:
    try:
        check()
        flight.outcome = OK
    except Exception as exc:  # noqa: BLE001 (any failure makes the instance not ready)
        flight.outcome = f"failed ({type(exc).__name__})"
        logger.warning("readiness check %s failed: %s", name, type(exc).__name__)
    finally:
        connections.close_all()  # this thread's own connections, if the check opened any
        with _running_lock:
            RUNNING.pop(name, None)
        flight.done.set()


def run_checks(checks: dict[str, Callable[[], None]], timeout: float) -> dict[str, str]:
    """Each check's outcome: "ok", "failed (ExceptionClass)", or "timeout" when it had not ended by the
    deadline. A check already running for another probe is not started again: this probe waits for it."""
    flights: dict[str, Flight] = {}
    for name, check in checks.items():
        with _running_lock:
            flight = RUNNING.get(name)
            start = flight is None
            if start:
                flight = RUNNING[name] = Flight()
        if start:
            # a daemon thread: a check that never ends does not keep the process from exiting
            threading.Thread(
                target=_run, args=(name, check, flight), name=f"readyz-{name}", daemon=True
            ).start()
        flights[name] = flight
    deadline = time.monotonic() + timeout
    for flight in flights.values():
        flight.done.wait(max(0.0, deadline - time.monotonic()))
    return {name: flight.outcome if flight.done.is_set() else TIMEOUT for name, flight in flights.items()}


@method_decorator(never_cache, name="dispatch")
class ReadyView(View):
    """Readiness: 200 when every configured dependency answers, else 503; each check named with "ok",
    "failed (ExceptionClass)" or "timeout". Nothing else: no host, no URL, no message."""

    def get(self, request):
        timeout = settings.READYZ_TIMEOUT_SECONDS
        checks = run_checks(configured_checks(timeout), timeout)
        ready = all(outcome == OK for outcome in checks.values())
        return JsonResponse(
            {"status": "ready" if ready else "not ready", "checks": checks}, status=200 if ready else 503
        )
