"""/healthz is liveness (the process answers, nothing else touched); /readyz is readiness: the database, the
broker when one is configured and the file storage each answer within the deadline, else 503 naming what
failed by a fixed phrase or an exception's class only (never its text: a URL's password, a host)."""

import json
import re
import socket
import time
import uuid

import boto3
import pytest
from botocore.config import Config
from django.urls import reverse

from core import health
from core.storage import storages_from_env
from tests.config.settings_probe import run_settings
from tests.conftest import free_port, service_unavailable
from tests.servers import fetch, gunicorn

pytestmark = pytest.mark.django_db

OUTCOME = re.compile(r"ok|timeout|failed \(\w+\)")
SECRET = "s3cret-Pa55word"


@pytest.fixture(autouse=True)
def no_check_left_running():
    """A check that outlived its probe is still running: the next probe would answer "timeout" for it."""
    yield
    deadline = time.monotonic() + 15
    while health.RUNNING and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not health.RUNNING


def ready(client):
    started = time.monotonic()
    response = client.get(reverse("ready"))
    elapsed = time.monotonic() - started
    body = json.loads(response.content)
    assert all(OUTCOME.fullmatch(outcome) for outcome in body["checks"].values()), body
    assert "no-store" in response["Cache-Control"]
    assert body["status"] == ("ready" if response.status_code == 200 else "not ready")
    return response.status_code, body["checks"], response.content.decode(), elapsed


def test_healthz_answers_from_the_process_alone(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(reverse("health"))
    assert (response.status_code, response.content.strip()) == (200, b"ok")


def test_with_the_embedded_defaults_it_is_ready_and_checks_no_broker(client, settings):
    """SQLite (or the test run's database), tasks run in-process, files in MEDIA_ROOT."""
    settings.BROKER_FROM_ENV = ""
    status, checks, _, _ = ready(client)
    assert (status, checks) == (200, {"database": "ok", "storage": "ok"})


def test_it_needs_no_sign_in_and_is_the_same_signed_in(client, clinician, settings):
    settings.BROKER_FROM_ENV = ""
    assert ready(client)[0] == 200
    client.force_login(clinician)
    assert ready(client)[:2] == (200, {"database": "ok", "storage": "ok"})


def test_a_broker_nobody_listens_on_is_named_without_its_password_or_host(client, settings):
    port = free_port()
    url = f"redis://:{SECRET}@127.0.0.1:{port}/13"
    settings.BROKER_FROM_ENV = settings.CELERY_BROKER_URL = url
    status, checks, body, elapsed = ready(client)
    assert status == 503
    assert checks["broker"].startswith("failed (")
    assert checks["database"] == checks["storage"] == "ok"
    assert SECRET not in body and "127.0.0.1" not in body and str(port) not in body
    assert elapsed < 3


def test_a_broker_that_never_answers_is_a_timeout_within_the_deadline(client, settings):
    """A socket that takes connections into its backlog and never answers: the probe does not hang."""
    settings.READYZ_TIMEOUT_SECONDS = 1
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"redis://127.0.0.1:{silent.getsockname()[1]}/13"
        settings.BROKER_FROM_ENV = settings.CELERY_BROKER_URL = url
        status, checks, _, elapsed = ready(client)
        assert status == 503
        assert checks["broker"] == "timeout" or checks["broker"].startswith("failed (")
        assert elapsed < 2.5
        deadline = time.monotonic() + 5  # the check's own socket timeout ends it, the socket still open
        while health.RUNNING and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not health.RUNNING


@pytest.mark.services
def test_with_the_real_broker_it_is_ready(client, settings):
    if not settings.BROKER_FROM_ENV:
        service_unavailable("no broker (CELERY_BROKER_URL unset)")
    status, checks, _, _ = ready(client)
    assert (status, checks) == (200, {"database": "ok", "broker": "ok", "storage": "ok"})


def test_a_check_past_the_deadline_answers_timeout_and_is_not_started_twice():
    calls = []

    def slow():
        calls.append(1)
        time.sleep(1.5)

    started = time.monotonic()
    assert health.run_checks({"slow": slow, "quick": lambda: None}, 0.3) == {"slow": "timeout", "quick": "ok"}
    assert time.monotonic() - started < 1
    # the earlier run has not ended: this probe waits for it without starting another
    assert health.run_checks({"slow": slow}, 0.3) == {"slow": "timeout"}
    assert len(calls) == 1
    assert health.run_checks({"slow": slow}, 2.0) == {
        "slow": "ok"
    }  # the same run, ended within this deadline
    assert len(calls) == 1
    assert health.run_checks({"slow": lambda: None}, 0.3) == {"slow": "ok"}


def test_probes_that_overlap_share_one_run_and_its_outcome():
    """Two probes at once (a load balancer's and an orchestrator's): both see the check pass, one run."""
    import threading

    calls, outcomes = [], []

    def check():
        calls.append(1)
        time.sleep(0.3)

    probes = [
        threading.Thread(target=lambda: outcomes.append(health.run_checks({"db": check}, 2.0)))
        for _ in range(2)
    ]
    for probe in probes:
        probe.start()
    for probe in probes:
        probe.join()
    assert outcomes == [{"db": "ok"}, {"db": "ok"}] and len(calls) == 1


@pytest.mark.parametrize("value", ["soon", "0", "-1", "61", "nan"])
def test_a_deadline_that_is_not_a_few_seconds_is_refused_at_start(value):
    result = run_settings({"DJANGO_DEBUG": "1", "READYZ_TIMEOUT_SECONDS": value})
    assert result.returncode != 0
    assert "READYZ_TIMEOUT_SECONDS must be a number of seconds above 0, at most 60." in result.stderr
    assert run_settings({"DJANGO_DEBUG": "1", "READYZ_TIMEOUT_SECONDS": "0.5"}).returncode == 0


def test_an_unreachable_database_is_named_without_its_password():
    """The app under gunicorn as compose runs it (SSL redirect on: the probe is exempt), its database a
    PostgreSQL port nobody listens on: it still boots and answers 503, no 500."""
    port = free_port()
    with gunicorn(
        DATABASE_URL=f"postgres://preinfusion:{SECRET}@127.0.0.1:{port}/preinfusion",
        CELERY_BROKER_URL="",
        DJANGO_ALLOWED_HOSTS="localhost",
        DJANGO_SECURE_SSL_REDIRECT="1",
        ICD10_PRELOAD="0",
    ) as base:
        status, headers, body = fetch(f"{base}/readyz", host="localhost")
        assert status == 503
        assert json.loads(body)["checks"] == {"database": "failed (OperationalError)", "storage": "ok"}
        assert SECRET.encode() not in body and str(port).encode() not in body
        assert "no-store" in headers["Cache-Control"]
        status, _, body = fetch(f"{base}/healthz", host="localhost")
        assert (status, body.strip()) == (200, b"ok")  # alive, not ready: not restarted, not sent traffic


# ------------------------------------------------------------------------------------------- storage


def test_a_media_folder_not_made_yet_is_ready_if_it_can_be_made(client, settings, tmp_path):
    settings.BROKER_FROM_ENV = ""
    folder = tmp_path / "media" / "not-yet"
    settings.STORAGES = {**settings.STORAGES, "default": storages_from_env({}, folder)}
    assert ready(client)[:2] == (200, {"database": "ok", "storage": "ok"})
    assert not (tmp_path / "media").exists()  # the probe wrote nothing


@pytest.mark.parametrize("where", ["a file", "under a file"])
def test_a_media_folder_that_cannot_take_files_is_named(client, settings, tmp_path, where):
    settings.BROKER_FROM_ENV = ""
    (tmp_path / "file").write_text("not a folder")
    folder = tmp_path / "file" if where == "a file" else tmp_path / "file" / "media"
    settings.STORAGES = {**settings.STORAGES, "default": storages_from_env({}, folder)}
    status, checks, _, _ = ready(client)
    assert status == 503
    assert checks["database"] == "ok" and checks["storage"].startswith("failed (")


def test_an_s3_endpoint_nobody_listens_on_is_named_without_its_keys(client, settings):
    settings.BROKER_FROM_ENV = ""
    port = free_port()
    options = {
        "bucket_name": "clinic-pdfs",
        "endpoint_url": f"http://127.0.0.1:{port}",
        "access_key": "AKIAFAKEFAKEFAKE",
        "secret_key": SECRET,
        "region_name": "us-east-1",
        "client_config": Config(connect_timeout=1, retries={"max_attempts": 1}),
    }
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
    }
    status, checks, body, elapsed = ready(client)
    assert status == 503
    assert checks == {"database": "ok", "storage": "failed (EndpointConnectionError)"}
    assert SECRET not in body and "AKIAFAKE" not in body and str(port) not in body
    assert elapsed < 3


@pytest.fixture
def s3_env(s3_endpoint, fake_aws_credentials):
    return {"AWS_S3_ENDPOINT_URL": s3_endpoint, "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.mark.parametrize("exists", [True, False])
def test_an_s3_bucket_is_ready_when_it_answers(client, settings, s3_env, exists):
    settings.BROKER_FROM_ENV = ""
    name = f"clinic-pdfs-{uuid.uuid4().hex[:8]}"
    if exists:
        boto3.client("s3", endpoint_url=s3_env["AWS_S3_ENDPOINT_URL"], region_name="us-east-1").create_bucket(
            Bucket=name
        )
    env = {**s3_env, "DJANGO_STORAGE_URL": f"s3://{name}/preinfusion"}
    settings.STORAGES = {**settings.STORAGES, "default": storages_from_env(env, settings.MEDIA_ROOT)}
    status, checks, body, _ = ready(client)
    if exists:
        assert (status, checks) == (200, {"database": "ok", "storage": "ok"})
    else:
        assert (status, checks) == (503, {"database": "ok", "storage": "failed (ClientError)"})
        assert name not in body
