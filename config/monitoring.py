"""Settings for logs and metrics, read from the environment (config/settings.py calls these). docs/monitoring.md.

Logs: one JSON object a line on stderr (DJANGO_LOG_FORMAT=plain: readable lines, for a developer) at
DJANGO_LOG_LEVEL, every logger's records through structlog (core/logs.py).
Metrics: /metrics is readable with `Authorization: Bearer <METRICS_TOKEN>` or from a peer address inside
METRICS_ALLOWED_NETWORKS (comma-separated CIDRs); neither set, nobody reads it (core/metrics.py). A Celery
worker serves its own on CELERY_METRICS_PORT, bound to CELERY_METRICS_ADDR (core/metrics_celery.py).
"""

import ipaddress
import os
from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

LOG_FORMATS = ("json", "plain")
METRICS_TOKEN_MIN_LENGTH = 32
# django-prometheus' copies of Django's backends, counting queries, errors and connections
PROMETHEUS_DB_BACKENDS = {
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
}


def counting_queries(database: dict) -> dict:
    """The database settings with the same backend, counting its queries for /metrics."""
    counted = {**database, "ENGINE": PROMETHEUS_DB_BACKENDS.get(database["ENGINE"], database["ENGINE"])}
    if database["ENGINE"] == "django.db.backends.postgresql":
        # a database host that drops packets: a connection (a request's, /readyz's) gives up, never hangs
        counted["OPTIONS"] = {"connect_timeout": 5, **database.get("OPTIONS", {})}
    if database["ENGINE"] == "django.db.backends.sqlite3" and not database.get("TEST", {}).get("NAME"):
        # Django's default test database for SQLite (in memory), said outright: pytest-django knows SQLite
        # by Django's own engine name only, and would name a file after the project's database otherwise
        counted["TEST"] = {**database.get("TEST", {}), "NAME": ":memory:"}
    return counted


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def multiprocess_folder(environ: Mapping[str, str]) -> None:
    """PROMETHEUS_MULTIPROC_DIR, when set, must be a folder this process can write: every counted query
    writes there (prometheus_client reads the variable itself), so a missing one would fail each request."""
    folder = environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder is not None and not (os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK)):
        raise ImproperlyConfigured(
            "PROMETHEUS_MULTIPROC_DIR must name an existing folder this process can write."
        )


def logging_settings(environ: Mapping[str, str]) -> dict:
    level = (environ.get("DJANGO_LOG_LEVEL") or "INFO").strip().upper()
    if level not in LOG_LEVELS:
        raise ImproperlyConfigured(f"DJANGO_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}.")
    log_format = (environ.get("DJANGO_LOG_FORMAT") or "json").strip().lower()
    if log_format not in LOG_FORMATS:
        raise ImproperlyConfigured(f"DJANGO_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}.")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": {"()": "core.logs.formatter", "renderer": log_format}},
        "filters": {"withhold_task_errors": {"()": "core.logs.WithholdTaskErrors"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "structured",
                "filters": ["withhold_task_errors"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's own handlers (the DEBUG console, mail to ADMINS, runserver's plain lines) are
            # replaced: their records go to the root's handler like every other
            "django": {"handlers": [], "propagate": True},
            "django.server": {"handlers": [], "propagate": True},
            # at DEBUG these log patient data: SQL with its parameters, a template's whole context
            "django.db.backends": {"level": "WARNING"},
            "django.template": {"level": "INFO"},
            "weasyprint": {"level": "WARNING"},
            "fontTools": {"level": "WARNING"},
        },
    }


def metrics_access(environ: Mapping[str, str], proxies: tuple[str, ...] = ()) -> tuple[str, tuple]:
    """METRICS_TOKEN (at least 32 characters, or empty for none) and METRICS_ALLOWED_NETWORKS (parsed). A
    network holding a trusted proxy (DJANGO_TRUSTED_PROXY) is refused: every request from the internet comes
    from the proxy's address."""
    token = (environ.get("METRICS_TOKEN") or "").strip()
    if token and len(token) < METRICS_TOKEN_MIN_LENGTH:
        raise ImproperlyConfigured(
            f"METRICS_TOKEN must be at least {METRICS_TOKEN_MIN_LENGTH} characters "
            "(python -c 'import secrets; print(secrets.token_urlsafe())')."
        )
    items = [item.strip() for item in (environ.get("METRICS_ALLOWED_NETWORKS") or "").split(",")]
    try:
        networks = tuple(ipaddress.ip_network(item, strict=False) for item in items if item)
    except ValueError as exc:
        raise ImproperlyConfigured(f"METRICS_ALLOWED_NETWORKS: {exc}") from None
    for proxy in proxies:
        held = networks if proxy == "*" else [n for n in networks if _overlap(n, proxy)]
        if held:
            raise ImproperlyConfigured(
                f"METRICS_ALLOWED_NETWORKS: {held[0]} holds the proxy DJANGO_TRUSTED_PROXY names ({proxy}), "
                "from which every request from the internet comes; give a network without it, or use METRICS_TOKEN."
            )
    return token, networks


def _overlap(network, proxy: str) -> bool:
    other = ipaddress.ip_network(proxy, strict=False)
    return network.version == other.version and network.overlaps(other)


def worker_metrics_address(environ: Mapping[str, str]) -> tuple[int | None, str]:
    """CELERY_METRICS_PORT (None: the worker serves no metrics) and CELERY_METRICS_ADDR (127.0.0.1)."""
    port = (environ.get("CELERY_METRICS_PORT") or "").strip()
    if port and not (port.isdigit() and 0 < int(port) < 65536):
        raise ImproperlyConfigured("CELERY_METRICS_PORT must be a TCP port number (1-65535), or empty.")
    return (int(port) if port else None), (environ.get("CELERY_METRICS_ADDR") or "").strip() or "127.0.0.1"
