"""/metrics (core/metrics.py): only a scraper reads it (METRICS_TOKEN, or a peer inside
METRICS_ALLOWED_NETWORKS), anyone else gets a 404; what it holds: requests by view and status, latency
histograms, database queries, the Celery queue's depth read from the broker, PDF render times. Under
gunicorn, with PROMETHEUS_MULTIPROC_DIR, the processes' metrics are added up."""

import ipaddress
import json
import logging
import os
import time
import urllib.request
import uuid
from datetime import date

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from config.celery import app
from config.monitoring import metrics_access, worker_metrics_address
from core.metrics import observe_pdf_render
from core.metrics_celery import serve_worker_metrics
from core.tokens import api_token_create
from infusions.services import infusion_start
from infusions.sheet import sheet_request
from infusions.tasks import render_day_sheet_task
from patients.services import intake_import
from screening.services import pdf_request, screening_run
from screening.tasks import render_report_pdf_task
from tests.conftest import EXAMPLES, free_port, service_unavailable, wait_for_port
from tests.core.test_logging import own_worker, screened, wait_ready
from tests.defaults_snapshot import load_defaults_for_test
from tests.infusions.conftest import cleared_patient
from tests.servers import gunicorn

pytestmark = pytest.mark.django_db

TOKEN = "metrics-test-token-" + "x" * 40
URL = "/metrics"


def samples(body: bytes) -> dict[tuple[str, frozenset], float]:
    """Every sample of a Prometheus text page: (name, labels) -> value."""
    found = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found, name: str, **labels) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client) -> dict:
    response = client.get(URL, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain; version=")  # the Prometheus text format
    return samples(response.content)


# -- who may read it --------------------------------------------------------------------------------------


def test_with_nothing_configured_nobody_reads_it(client, clinician):
    assert settings.METRICS_TOKEN == "" and settings.METRICS_ALLOWED_NETWORKS == ()
    assert client.get(URL).status_code == 404
    assert client.get(URL, headers={"Authorization": "Bearer "}).status_code == 404
    client.force_login(clinician)
    assert client.get(URL).status_code == 404


def test_the_token_opens_it_and_nothing_else_does(client, token, clinician):
    assert client.get(URL).status_code == 404
    for header in (
        "Bearer wrong",
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
        f"Basic {TOKEN}",
        TOKEN,
        "Bearer ünïcode",
    ):
        assert client.get(URL, headers={"Authorization": header}).status_code == 404, header
    # a user's API token is no metrics token, nor is a signed-in session
    secret = api_token_create(user=clinician)[1]
    assert client.get(URL, headers={"Authorization": f"Bearer {secret}"}).status_code == 404
    client.force_login(clinician)
    assert client.get(URL).status_code == 404
    client.logout()
    response = client.get(URL, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert b"django_http_requests_latency_seconds_by_view_method" in response.content
    assert client.get(URL, headers={"Authorization": f"bearer  {TOKEN} "}).status_code == 200
    # a POST, even with the token, gets the 404 anyone else does (never a CSRF refusal)
    assert client.post(URL, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 404


def test_the_404_is_the_sites_own(client):
    elsewhere = client.get("/no-such-page")
    assert elsewhere.status_code == 404
    assert client.get(URL).content == elsewhere.content.replace(b"/no-such-page", b"/metrics")


def test_an_allowed_network_reads_it_by_the_peer_address_only(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = (
        ipaddress.ip_network("10.20.0.0/16"),
        ipaddress.ip_network("fd00::/8"),
    )
    assert client.get(URL, REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get(URL, REMOTE_ADDR="fd00::1").status_code == 200
    assert client.get(URL, REMOTE_ADDR="::ffff:10.20.3.4").status_code == 200  # a dual-stack socket
    assert client.get(URL, REMOTE_ADDR="10.21.0.1").status_code == 404
    assert client.get(URL, REMOTE_ADDR="127.0.0.1").status_code == 404
    # a forwarded address is the client's to invent
    assert client.get(URL, REMOTE_ADDR="192.0.2.7", HTTP_X_FORWARDED_FOR="10.20.3.4").status_code == 404
    assert client.get(URL, REMOTE_ADDR="not-an-address").status_code == 404


def test_the_settings_refuse_a_short_token_a_bad_network_and_a_bad_port():
    assert metrics_access({}) == ("", ())
    assert metrics_access({"METRICS_TOKEN": TOKEN, "METRICS_ALLOWED_NETWORKS": "10.0.0.0/8, ::1"}) == (
        TOKEN,
        (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1/128")),
    )
    with pytest.raises(ImproperlyConfigured, match="at least 32"):
        metrics_access({"METRICS_TOKEN": "short"})
    with pytest.raises(ImproperlyConfigured, match="METRICS_ALLOWED_NETWORKS"):
        metrics_access({"METRICS_ALLOWED_NETWORKS": "10.0.0.0/33"})
    # a network holding the proxy would let the whole internet in: every request comes from the proxy
    networks = {"METRICS_ALLOWED_NETWORKS": "10.9.0.0/16,172.28.0.0/16"}
    with pytest.raises(ImproperlyConfigured, match="holds the proxy"):
        metrics_access(networks, ("172.28.0.10",))
    with pytest.raises(ImproperlyConfigured, match="holds the proxy"):
        metrics_access(networks, ("172.28.0.0/24",))
    with pytest.raises(ImproperlyConfigured, match="holds the proxy"):
        metrics_access(networks, ("*",))  # every peer is the proxy
    assert metrics_access(networks, ("192.0.2.1", "2001:db8::1"))[1] == (
        ipaddress.ip_network("10.9.0.0/16"),
        ipaddress.ip_network("172.28.0.0/16"),
    )
    assert metrics_access({"METRICS_TOKEN": TOKEN}, ("*",)) == (TOKEN, ())
    assert worker_metrics_address({}) == (None, "127.0.0.1")
    assert worker_metrics_address({"CELERY_METRICS_PORT": "9808", "CELERY_METRICS_ADDR": "10.0.0.2"}) == (
        9808,
        "10.0.0.2",
    )
    for bad in ("0", "65536", "http", "-1"):
        with pytest.raises(ImproperlyConfigured, match="CELERY_METRICS_PORT"):
            worker_metrics_address({"CELERY_METRICS_PORT": bad})


# -- what it holds ----------------------------------------------------------------------------------------


def test_requests_by_view_and_status_latency_and_database_queries_are_counted(client, token, clinician):
    before = scrape(client)
    client.force_login(clinician)
    for _ in range(3):
        assert client.get(reverse("patients:list")).status_code == 200
    assert client.get(reverse("patients:detail", args=[999999])).status_code == 404
    client.logout()
    after = scrape(client)

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    by_status = "django_http_responses_total_by_status_view_method_total"
    assert grew(by_status, status="200", view="patients:list", method="GET") == 3
    assert grew(by_status, status="404", view="patients:detail", method="GET") == 1
    latency = "django_http_requests_latency_seconds_by_view_method"
    assert grew(f"{latency}_count", view="patients:list", method="GET") == 3
    assert grew(f"{latency}_bucket", view="patients:list", method="GET", le="+Inf") == 3
    assert any(name == f"{latency}_bucket" and ("le", "0.1") in labels for name, labels in after)
    vendor = "postgresql" if settings.DATABASES["default"]["ENGINE"].endswith("postgresql") else "sqlite"
    assert grew("django_db_execute_total", alias="default", vendor=vendor) >= 3
    assert grew("django_db_query_duration_seconds_count", alias="default", vendor=vendor) >= 3


def test_no_label_names_a_path_or_a_query(client, token, clinician):
    client.force_login(clinician)
    client.get(reverse("patients:list"), {"q": "Zebulon"})
    client.get("/patients/123456789/")
    client.logout()
    body = client.get(URL, headers={"Authorization": f"Bearer {TOKEN}"}).content.decode()
    assert "Zebulon" not in body and "123456789" not in body


@pytest.fixture
def screening(clinician):
    load_defaults_for_test()
    doc = json.loads((EXAMPLES / "deferred-bp-and-benzodiazepine.json").read_text())
    patient, _ = intake_import(doc=doc)
    return screening_run(patient=patient, requested_by=clinician, as_of=date(2026, 11, 20))


def test_a_pdf_render_is_timed_once_and_a_duplicate_message_is_not(client, token, screening, clinician):
    name = "preinfusion_pdf_render_seconds"
    before = scrape(client)
    pdf = pdf_request(screening=screening, user=clinician)  # the test's transaction never commits: no task
    assert render_report_pdf_task.apply(args=[pdf.pk]).get() == "ready"
    middle = scrape(client)
    assert value(middle, f"{name}_count", kind="report") - value(before, f"{name}_count", kind="report") == 1
    took = value(middle, f"{name}_sum", kind="report") - value(before, f"{name}_sum", kind="report")
    assert 0 < took < 120
    assert render_report_pdf_task.apply(args=[pdf.pk]).get() == "ready"  # left alone: already rendered
    assert value(scrape(client), f"{name}_count", kind="report") == value(
        middle, f"{name}_count", kind="report"
    )


def test_a_day_sheet_render_is_timed_as_its_own_kind(client, token, clinician, physician, on_assessment_day):
    name = "preinfusion_pdf_render_seconds_count"
    infusion = infusion_start(patient=cleared_patient(clinician, physician), user=clinician)
    before = scrape(client)
    sheet = sheet_request(infusion=infusion, user=clinician)
    assert render_day_sheet_task.apply(args=[sheet.pk]).get() == "ready"
    after = scrape(client)
    assert value(after, name, kind="day_sheet") - value(before, name, kind="day_sheet") == 1
    assert value(after, name, kind="report") == value(before, name, kind="report")


def test_only_the_known_pdf_kinds_are_labels():
    with pytest.raises(ValueError, match="unknown PDF kind"):
        observe_pdf_render("patient-name", 1.0)


# -- the Celery queue -------------------------------------------------------------------------------------


def queue_metrics(found) -> dict:
    return {
        (name, labels): v
        for (name, labels), v in found.items()
        if name.startswith(("preinfusion_celery_queue_length", "preinfusion_celery_broker_up"))
    }


def test_without_a_broker_no_queue_is_reported(client, token, settings):
    settings.BROKER_FROM_ENV = ""  # tasks run in the web process
    assert queue_metrics(scrape(client)) == {}
    settings.BROKER_FROM_ENV = "amqp://guest@127.0.0.1//"  # not Redis: nothing read
    assert queue_metrics(scrape(client)) == {}


def test_a_broker_that_does_not_answer_is_down_and_the_scrape_still_succeeds(client, token, settings):
    settings.BROKER_FROM_ENV = f"redis://127.0.0.1:{free_port()}/12"  # nothing listens there
    started = time.monotonic()
    found = scrape(client)
    assert time.monotonic() - started < 5
    assert value(found, "preinfusion_celery_broker_up") == 0
    assert ("preinfusion_celery_broker_up", frozenset()) in found
    assert not any(name == "preinfusion_celery_queue_length" for name, _ in found)
    assert value(found, "django_http_requests_total_by_method_total", method="GET") > 0  # the rest is there


@pytest.fixture
def scratch_queue(settings):
    """A queue of this test's own on the real broker, removed afterwards."""
    if not settings.BROKER_FROM_ENV or not settings.BROKER_FROM_ENV.startswith(("redis://", "rediss://")):
        service_unavailable("CELERY_BROKER_URL is not a Redis URL: the queue depth needs the real broker")
    queue = f"pytest-metrics-{uuid.uuid4().hex}"
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
    except Exception as exc:  # noqa: BLE001
        service_unavailable(f"the Celery broker is not reachable ({exc})")
    yield queue
    with app.connection_for_write() as conn:
        client = conn.default_channel.client
        client.delete(*[queue, *(f"{queue}\x06\x16{step}" for step in (3, 6, 9))])
        client.delete(f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")


@pytest.mark.services
def test_the_queue_length_is_the_messages_waiting_in_the_broker(client, token, scratch_queue):
    found = scrape(client)
    assert value(found, "preinfusion_celery_broker_up") == 1
    assert value(found, "preinfusion_celery_queue_length", queue=scratch_queue) == 0
    with app.connection_for_write() as conn:
        queue = conn.SimpleQueue(scratch_queue)
        for n in range(4):
            queue.put({"n": n})
        for n in range(3):  # kombu keeps prioritised messages in lists of their own: counted too
            queue.put({"n": n}, priority=9)
        queue.close()
    found = scrape(client)
    assert value(found, "preinfusion_celery_broker_up") == 1
    assert value(found, "preinfusion_celery_queue_length", queue=scratch_queue) == 7
    assert [labels for name, labels in found if name == "preinfusion_celery_queue_length"] == [
        frozenset({("queue", scratch_queue)})
    ]


# -- several processes ------------------------------------------------------------------------------------


def test_under_gunicorn_the_processes_metrics_are_added_up_from_the_multiprocess_folder(tmp_path):
    folder = tmp_path / "prometheus"
    folder.mkdir()
    env = {"PROMETHEUS_MULTIPROC_DIR": str(folder), "METRICS_TOKEN": TOKEN, "GUNICORN_WORKERS": "2"}
    headers = {"Host": "localhost", "Authorization": f"Bearer {TOKEN}"}

    def scraped(base):
        with urllib.request.urlopen(
            urllib.request.Request(f"{base}/metrics", headers=headers), timeout=10
        ) as r:
            assert r.status == 200
            return samples(r.read())

    with gunicorn(**env) as base:
        before = scraped(base)
        for _ in range(20):  # spread over the workers as gunicorn likes
            urllib.request.urlopen(urllib.request.Request(f"{base}/healthz", headers={"Host": "localhost"}))
        after = scraped(base)
    by_status = "django_http_responses_total_by_status_view_method_total"
    labels = {"status": "200", "view": "health", "method": "GET"}
    assert value(after, by_status, **labels) - value(before, by_status, **labels) == 20
    assert list(folder.glob("counter_*.db"))  # each process writes its own file; the scrape reads them all


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_worker_serves_the_metrics_of_its_pool_on_its_own_port(clinician, tmp_path):
    """The real thing: a prefork worker renders in a child process; its main process serves what the
    child wrote to PROMETHEUS_MULTIPROC_DIR, on CELERY_METRICS_PORT (127.0.0.1 by default)."""
    folder = tmp_path / "worker-metrics"
    folder.mkdir()
    port = free_port()
    screening = screened(clinician)
    queue = f"pytest-metrics-{os.getpid()}-{time.time_ns() % 10**9}"
    env = {
        "CELERY_METRICS_PORT": str(port),
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
        "CELERY_CONCURRENCY": "1",
    }
    with own_worker(tmp_path, queue, pool="prefork", **env):
        wait_for_port(port, timeout=30)
        pdf_request(screening=screening, user=clinician)  # autocommit: sent at once
        wait_ready({"screening": screening})
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            found = samples(response.read())
    assert value(found, "preinfusion_pdf_render_seconds_count", kind="report") == 1
    assert value(found, "django_db_execute_total", alias="default", vendor="postgresql") > 0


def test_a_worker_told_a_port_but_no_folder_serves_nothing_and_says_why(settings, monkeypatch, caplog):
    settings.CELERY_METRICS_PORT = free_port()
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    with caplog.at_level(logging.ERROR, logger="core.metrics_celery"):
        assert serve_worker_metrics() is False
    assert "PROMETHEUS_MULTIPROC_DIR" in caplog.text
    settings.CELERY_METRICS_PORT = None
    assert serve_worker_metrics() is False


def test_a_multiprocess_folder_that_is_missing_stops_the_start_not_every_query(tmp_path):
    from tests.config.settings_probe import run_settings

    missing = run_settings({"DJANGO_DEBUG": "1", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "absent")})
    assert missing.returncode != 0
    assert "PROMETHEUS_MULTIPROC_DIR must name an existing folder this process can write." in missing.stderr
    assert run_settings({"DJANGO_DEBUG": "1", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}).returncode == 0


def test_the_log_level_is_read_in_any_case_and_a_wrong_one_is_named():
    from config.monitoring import logging_settings

    assert logging_settings({"DJANGO_LOG_LEVEL": " warning "})["root"]["level"] == "WARNING"
    with pytest.raises(ImproperlyConfigured, match="DJANGO_LOG_LEVEL must be one of"):
        logging_settings({"DJANGO_LOG_LEVEL": "loud"})


def test_a_postgresql_connection_gives_up_after_a_few_seconds_an_explicit_option_wins():
    from config.monitoring import counting_queries

    database = {"ENGINE": "django.db.backends.postgresql", "NAME": "x", "OPTIONS": {}}
    assert counting_queries(database)["OPTIONS"] == {"connect_timeout": 5}
    database["OPTIONS"] = {"connect_timeout": 2}
    assert counting_queries(database)["OPTIONS"] == {"connect_timeout": 2}


def test_the_metrics_are_never_kept_by_a_cache(client, settings):
    settings.METRICS_TOKEN = "t" * 40
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer " + "t" * 40)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
