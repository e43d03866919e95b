"""The Celery worker's metrics and logs, connected by config/celery.py.

A worker runs on its own host, out of the web's /metrics: with CELERY_METRICS_PORT set, its main process
serves the metrics of all its pool's processes (PDF render times, their database queries) over plain HTTP
on CELERY_METRICS_ADDR (127.0.0.1 unless told otherwise; reachable from the internal network only, it has
no token). The pool's processes write them to PROMETHEUS_MULTIPROC_DIR, which must then be set: an empty
folder of the worker's host, emptied before each start. docs/monitoring.md.
"""

import logging
import os

from celery.signals import setup_logging, task_postrun, worker_init, worker_process_shutdown
from django.conf import settings
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

from .logs import celery_setup_logging, clear_log_context

log = logging.getLogger(__name__)


def serve_worker_metrics() -> bool:
    """Start the worker's metrics server when CELERY_METRICS_PORT is set; False when it is not started."""
    port = settings.CELERY_METRICS_PORT
    if not port:
        return False
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    if not folder or not os.path.isdir(folder):
        log.error(
            "worker metrics not served: CELERY_METRICS_PORT is set but PROMETHEUS_MULTIPROC_DIR does not "
            "name a folder (the pool's processes write their metrics there)"
        )
        return False
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    start_http_server(port, addr=settings.CELERY_METRICS_ADDR, registry=registry)
    log.info("worker metrics served on %s:%s", settings.CELERY_METRICS_ADDR, port)
    return True


def worker_started(**_) -> None:
    """worker_init, in the worker's main process before its pool starts (the pool inherits the receivers)."""
    task_postrun.connect(clear_log_context, weak=False, dispatch_uid="core.metrics_celery.clear")
    serve_worker_metrics()


def worker_process_stopped(pid=None, **_) -> None:
    """worker_process_shutdown, in a pool process that ends: its live gauges no longer count."""
    if pid and os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        mark_process_dead(pid)


def connect() -> None:
    setup_logging.connect(celery_setup_logging, weak=False, dispatch_uid="core.metrics_celery.logging")
    worker_init.connect(worker_started, weak=False, dispatch_uid="core.metrics_celery.init")
    worker_process_shutdown.connect(
        worker_process_stopped, weak=False, dispatch_uid="core.metrics_celery.exit"
    )
