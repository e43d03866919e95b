"""Prometheus metrics at /metrics: django-prometheus' (requests by view and status, latencies, database
queries), the PDF render times, and the Celery queue's depth read from the broker at each scrape.

Only a scraper reads them: `Authorization: Bearer <METRICS_TOKEN>`, or a peer address inside
METRICS_ALLOWED_NETWORKS (REMOTE_ADDR: a forwarded address is never believed here). Anyone else gets the
site's 404, as for a page that does not exist. No label carries patient data: views by name, kinds of PDF.

Under gunicorn (several processes) set PROMETHEUS_MULTIPROC_DIR to an empty folder of the web host: each
process writes its metrics there and a scrape adds them up (prometheus_client's multiprocess mode).
docs/monitoring.md.
"""

import hmac
import ipaddress
import logging
import os
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)

# A render is up to CELERY_TASK_TIME_LIMIT (120 s); a report takes about a second.
PDF_RENDER_SECONDS = Histogram(
    "preinfusion_pdf_render_seconds",
    "Time to render and store a PDF, by kind (report, day_sheet).",
    ["kind"],
    buckets=(0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60, 90, 120, float("inf")),
)
PDF_KINDS = ("report", "day_sheet")


def observe_pdf_render(kind: str, seconds: float) -> None:
    if kind not in PDF_KINDS:
        raise ValueError(f"unknown PDF kind {kind!r}")
    PDF_RENDER_SECONDS.labels(kind=kind).observe(seconds)


# -- Celery queue depth ----------------------------------------------------------------------------------

BROKER_TIMEOUT_SECONDS = 1.5
# kombu's Redis transport keeps a queue as one list per priority step: "<queue>", "<queue>\x06\x163", ...
KOMBU_PRIORITY_SEPARATOR = "\x06\x16"
KOMBU_PRIORITY_STEPS = (0, 3, 6, 9)
_clients: dict[str, redis.Redis] = {}


def broker_client(url: str) -> redis.Redis:
    """One client (connection pool) per broker URL, with short timeouts and no retry: a scrape must not
    wait on a broker that is down."""
    if url not in _clients:
        _clients[url] = redis.Redis.from_url(
            url,
            socket_timeout=BROKER_TIMEOUT_SECONDS,
            socket_connect_timeout=BROKER_TIMEOUT_SECONDS,
            retry=Retry(NoBackoff(), 0),
        )
    return _clients[url]


def queue_keys(queue: str) -> list[str]:
    return [queue] + [f"{queue}{KOMBU_PRIORITY_SEPARATOR}{step}" for step in KOMBU_PRIORITY_STEPS if step]


class CeleryQueueCollector:
    """Read at each scrape: preinfusion_celery_broker_up (1, or 0 when the broker did not answer) and
    preinfusion_celery_queue_length (the messages waiting in settings.CELERY_TASK_DEFAULT_QUEUE). Nothing
    without a broker (tasks run in the web process) or with a broker other than Redis."""

    def collect(self):
        url = settings.BROKER_FROM_ENV
        if not url or urlsplit(url).scheme not in ("redis", "rediss"):
            return
        queue = settings.CELERY_TASK_DEFAULT_QUEUE
        up = GaugeMetricFamily("preinfusion_celery_broker_up", "1 if the Celery broker answered this scrape.")
        try:
            pipe = broker_client(url).pipeline(transaction=False)
            for key in queue_keys(queue):
                pipe.llen(key)
            waiting = sum(pipe.execute())
        except (redis.RedisError, OSError) as exc:
            log.warning("metrics: the Celery broker did not answer (%s)", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        length = GaugeMetricFamily(
            "preinfusion_celery_queue_length", "Tasks waiting in the Celery queue.", labels=["queue"]
        )
        length.add_metric([queue], waiting)
        yield length


# -- the endpoint ----------------------------------------------------------------------------------------


def process_metrics() -> CollectorRegistry:
    """This process's metrics, or every web process's when PROMETHEUS_MULTIPROC_DIR is set."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return registry
    return REGISTRY


class Scrape:
    """What one scrape reads: the processes' metrics, then the broker's queue."""

    def __init__(self, *collectors):
        self.collectors = collectors

    def collect(self):
        for collector in self.collectors:
            yield from collector.collect()


def bearer_matches(request, token: str) -> bool:
    scheme, _, supplied = request.headers.get("Authorization", "").partition(" ")
    if not token or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(supplied.strip().encode(), token.encode())


def peer_allowed(request, networks) -> bool:
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped  # "::ffff:10.0.0.5" from a dual-stack socket
    return any(address in network for network in networks)


def may_scrape(request) -> bool:
    return bearer_matches(request, settings.METRICS_TOKEN) or peer_allowed(
        request, settings.METRICS_ALLOWED_NETWORKS
    )


@login_not_required
@never_cache  # a scrape allowed by its network carries no Authorization header: no cache may keep it
@csrf_exempt  # a POST gets the same 404 as elsewhere, not a CSRF refusal that would show the path exists
def metrics_view(request):
    """GET /metrics, in Prometheus' text format; a 404 to anyone who may not read it."""
    if request.method not in ("GET", "HEAD") or not may_scrape(request):
        raise Http404
    body = generate_latest(Scrape(process_metrics(), CeleryQueueCollector()))
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
