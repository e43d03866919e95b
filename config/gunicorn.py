"""gunicorn's settings, from the environment: `gunicorn -c config/gunicorn.py config.wsgi:application`.

GUNICORN_BIND (default 0.0.0.0:8000), GUNICORN_WORKERS (else WEB_CONCURRENCY, default 3), GUNICORN_THREADS
(default 1), GUNICORN_TIMEOUT (default 30 s: a worker silent for longer is killed and replaced),
GUNICORN_GRACEFUL_TIMEOUT (default 30 s: on SIGTERM, how long the workers have to finish their requests),
GUNICORN_KEEPALIVE (default 5 s), GUNICORN_MAX_REQUESTS (default 1000, 0 for never) and
GUNICORN_MAX_REQUESTS_JITTER (default 100): a worker is replaced after that many requests, the workers not
all at once. A value that is not a whole number in its range stops gunicorn at start with its name.

No access log: its lines would carry query strings; the app logs each request itself. gunicorn's own lines
(start, workers booted and stopped) go through the app's logging set-up: JSON like every other. With
PROMETHEUS_MULTIPROC_DIR set, a worker's metric files are marked dead when it exits.
"""

import os
import sys
from pathlib import Path

from prometheus_client import multiprocess

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project, whatever the working folder
from config.monitoring import logging_settings  # noqa: E402


def env_int(name: str, default: int, minimum: int, maximum: int, *fallbacks: str) -> int:
    """The whole number in the first of `name` and `fallbacks` set to something other than blanks."""
    for key in (name, *fallbacks):
        value = os.environ.get(key, "").strip()
        if value:
            break
    else:
        return default
    if not value.isdigit() or not minimum <= int(value) <= maximum:
        raise ValueError(f"{key} must be a whole number from {minimum} to {maximum}, not {value!r}")
    return int(value)


bind = [os.environ.get("GUNICORN_BIND", "").strip() or "0.0.0.0:8000"]  # noqa: S104 (inside the stack)
workers = env_int("GUNICORN_WORKERS", 3, 1, 64, "WEB_CONCURRENCY")
threads = env_int("GUNICORN_THREADS", 1, 1, 64)  # above 1: the gthread worker
timeout = env_int("GUNICORN_TIMEOUT", 30, 1, 3600)
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 30, 1, 3600)
keepalive = env_int("GUNICORN_KEEPALIVE", 5, 1, 300)
max_requests = env_int("GUNICORN_MAX_REQUESTS", 1000, 0, 10_000_000)
max_requests_jitter = env_int("GUNICORN_MAX_REQUESTS_JITTER", 100, 0, 10_000_000) if max_requests else 0
# the workers' heartbeat files in memory: a slow or full disk would make the master kill healthy workers
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# gunicorn's control socket (gunicornc) is not used: several instances on one host would share its path
control_socket_disable = True
accesslog = None
errorlog = "-"
logconfig_dict = logging_settings(os.environ)
# gunicorn's loggers hand their records to the root's (JSON) handler instead of their own plain ones
logconfig_dict["loggers"].update(
    {
        name: {"level": "INFO", "handlers": [], "propagate": True}
        for name in ("gunicorn.error", "gunicorn.access")
    }
)


def child_exit(server, worker):
    """A worker has exited: its live gauges leave the multi-process metrics (prometheus_client)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
