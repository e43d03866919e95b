"""Issue 20's "done when", on this machine: two web processes and two Celery workers, each started in its own
folder (its own working directory, temporary folder and MEDIA_ROOT, as if on its own host), sharing only
PostgreSQL, Redis and an S3 emulator (moto's server mode). Either web process serves a PDF that either worker
rendered; /readyz reports a broker that stopped; the metrics show request latency and the queue depth; no
line any process logged carries the patient's name, MRN or date of birth.
"""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
import uuid
from contextlib import ExitStack
from datetime import date
from pathlib import Path

import boto3
import pytest
from django.conf import settings
from django.core.management import call_command

from core.tokens import api_token_create
from patients.services import intake_import
from screening.models import ReportPdf
from screening.services import screening_run
from tests.conftest import (
    EXAMPLES,
    ROOT,
    TEST_QUEUE,
    child_env,
    free_port,
    service_unavailable,
    venv_bin,
    wait_for_port,
)
from tests.servers import s3_emulator

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

SECRET_KEY = "multi-host-test-" + "k" * 50  # the same on every web process, as behind a load balancer
METRICS_TOKEN = "metrics-" + uuid.uuid4().hex
AWS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_S3_REGION_NAME": "us-east-1"}
# the synthetic patients' identifiers: none may appear in any process's log
FAMILY, GIVEN, DOB = "Quillbrook", "Ottoline", "1961-07-23"
MRNS = [f"MH-{7310 + n}" for n in range(6)]
# the hosts' own queue: the session's test worker (tests/conftest.py) reads TEST_QUEUE and would take renders
QUEUE = f"{TEST_QUEUE}-hosts"


class Host:
    """One simulated host: a folder of its own, a process started in it, its log in a file there."""

    def __init__(self, base: Path, name: str):
        self.name = name
        self.folder = base / name
        for sub in ("tmp", "media", "prometheus"):
            (self.folder / sub).mkdir(parents=True)
        self.log_path = self.folder / "process.log"
        self.proc: subprocess.Popen | None = None

    def env(self, shared: dict[str, str], **extra: str) -> dict[str, str]:
        return child_env(
            PYTHONPATH=str(ROOT),
            TMPDIR=str(self.folder / "tmp"),
            DJANGO_MEDIA_ROOT=str(self.folder / "media"),
            PROMETHEUS_MULTIPROC_DIR=str(self.folder / "prometheus"),
            **shared,
            **extra,
        )

    def start(self, command: list[str], env: dict[str, str]) -> None:
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(
                command,
                cwd=self.folder,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def media_files(self) -> list[Path]:
        return [p for p in (self.folder / "media").rglob("*") if p.is_file()]


def request(url: str, *, method: str = "GET", token: str | None = None, headers: dict | None = None):
    req = urllib.request.Request(url, method=method, headers=dict(headers or {}))
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=20) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def start_web(host: Host, shared: dict[str, str], **extra: str) -> str:
    port = free_port()
    host.start(
        [venv_bin("gunicorn"), "-c", str(ROOT / "config" / "gunicorn.py"), "config.wsgi:application"],
        host.env(shared, GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="2", **extra),
    )
    wait_for_port(port, timeout=60)
    return f"http://127.0.0.1:{port}"


def start_worker(host: Host, shared: dict[str, str]) -> int:
    metrics_port = free_port()
    host.start(
        [
            venv_bin("celery"),
            "-A",
            "config",
            "worker",
            "--concurrency=1",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"{host.name}-{os.getpid()}@%h",
        ],
        host.env(shared, CELERY_METRICS_PORT=str(metrics_port)),
    )
    return metrics_port


def wait_for_workers(hosts: list[Host]) -> None:
    import socket

    from config.celery import app

    names = [f"{h.name}-{os.getpid()}@{socket.gethostname()}" for h in hosts]
    deadline = time.monotonic() + 90
    answered: set[str] = set()
    while time.monotonic() < deadline and answered != set(names):
        for h in hosts:
            if h.proc.poll() is not None:
                pytest.fail(f"{h.name} exited at start:\n{h.log()[-3000:]}", pytrace=False)
        for reply in app.control.ping(destination=names, timeout=1.0):
            answered |= set(reply)
    assert answered == set(names), f"workers that answered: {answered}"


def make_screenings(count: int, user) -> list[int]:
    call_command("load_defaults", stdout=open(os.devnull, "w"))  # noqa: SIM115
    doc = json.loads((EXAMPLES / "contraindicated-avm.json").read_text())
    ids = []
    for mrn in MRNS[:count]:
        doc["patient"].update(mrn=mrn, family_name=FAMILY, given_name=GIVEN, date_of_birth=DOB)
        patient, _ = intake_import(doc=doc)
        ids.append(screening_run(patient=patient, requested_by=user, as_of=date(2026, 11, 20)).pk)
    return ids


def wait_ready(base: str, token: str, screening_id: int) -> dict:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status, _, body = request(f"{base}/api/v1/screenings/{screening_id}/pdf", token=token)
        assert status == 200, body
        state = json.loads(body)
        if state["status"] in ("ready", "failed"):
            return state
        time.sleep(0.3)
    pytest.fail(f"the PDF of screening {screening_id} was not ready within 120 s", pytrace=False)


def renders_by_worker(workers: list[Host]) -> dict[str, set[int]]:
    """Which worker rendered which PDF, from each worker's own log ("pdf ready pdf_id=N ...")."""
    import re

    found = {}
    for worker in workers:
        found[worker.name] = {int(m) for m in re.findall(r"pdf ready pdf_id=(\d+)", worker.log())}
    return found


def test_two_web_processes_and_two_workers_share_only_postgres_redis_and_the_bucket(
    clinician, report_staff, tmp_path
):
    broker = settings.BROKER_FROM_ENV
    if not broker or not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        service_unavailable(
            "the hosts share PostgreSQL and Redis: DATABASE_URL and CELERY_BROKER_URL must be set"
        )
    if not shutil.which("redis-server"):
        service_unavailable("redis-server is not installed: the stopped-broker check starts one of its own")
    screening_ids = make_screenings(6, clinician)
    _, token = api_token_create(user=report_staff)
    bucket = f"preinfusion-{uuid.uuid4().hex[:12]}"

    with ExitStack() as stack, s3_emulator() as endpoint:
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **_keys())
        s3.create_bucket(Bucket=bucket)
        stack.callback(forget_queue, broker)
        shared = {
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": SECRET_KEY,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_SECURE_COOKIES": "0",
            "DJANGO_LOG_FORMAT": "json",
            "DJANGO_STORAGE_URL": f"s3://{bucket}/clinic-a",
            "AWS_S3_ENDPOINT_URL": endpoint,
            "METRICS_TOKEN": METRICS_TOKEN,
            "ICD10_PRELOAD": "0",  # no diagnosis is validated here: seconds of start-up saved per process
            "CELERY_BROKER_URL": broker,
            "CELERY_QUEUE": QUEUE,
            **AWS,
        }
        webs = [Host(tmp_path, "web-1"), Host(tmp_path, "web-2")]
        workers = [Host(tmp_path, "worker-1"), Host(tmp_path, "worker-2")]
        for h in webs + workers:
            stack.callback(h.stop)
        bases = [start_web(h, shared) for h in webs]
        metrics_ports = [start_worker(h, shared) for h in workers]
        wait_for_workers(workers)

        # every export asked of one web process, each with its own request id; both workers take them
        for n, screening_id in enumerate(screening_ids):
            status, _, body = request(
                f"{bases[n % 2]}/api/v1/screenings/{screening_id}/pdf",
                method="POST",
                token=token,
                headers={"X-Request-ID": f"multi-host-{n}"},
            )
            assert status == 202, body
        states = {sid: wait_ready(bases[(n + 1) % 2], token, sid) for n, sid in enumerate(screening_ids)}
        assert all(state["status"] == "ready" for state in states.values()), states

        rendered = renders_by_worker(workers)
        pdf_ids = dict(
            ReportPdf.objects.filter(screening_id__in=screening_ids).values_list("screening_id", "pk")
        )
        assert set().union(*rendered.values()) == set(pdf_ids.values())
        assert all(rendered.values()), f"each worker rendered some PDF: {rendered}"

        # each PDF through both web processes: the bytes stored in the bucket, the recorded sha256
        keys = {obj["Key"] for obj in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}
        for screening_id, state in states.items():
            pdf = ReportPdf.objects.get(screening_id=screening_id)
            assert pdf.file.name in {key.removeprefix("clinic-a/") for key in keys}
            stored = s3.get_object(Bucket=bucket, Key=f"clinic-a/{pdf.file.name}")["Body"].read()
            for base in bases:
                status, headers, body = request(
                    f"{base}/api/v1/screenings/{screening_id}/pdf/download", token=token
                )
                assert status == 200 and headers["Content-Type"] == "application/pdf"
                assert body == stored and body.startswith(b"%PDF")
                assert hashlib.sha256(body).hexdigest() == state["sha256"] == pdf.sha256
        assert not any(h.media_files() for h in webs + workers), "a PDF was written to a host's own disk"

        # the request id travelled from the web process into the worker that rendered the PDF
        worker_lines = [json.loads(line) for w in workers for line in w.log().splitlines() if _is_json(line)]
        ready_lines = [line for line in worker_lines if "pdf ready" in line.get("event", "")]
        assert {line.get("request_id") for line in ready_lines} == {f"multi-host-{n}" for n in range(6)}

        # metrics: request latency and queue depth on a web process (with the token only), render time on a worker
        status, _, _ = request(f"{bases[0]}/metrics")
        assert status == 404
        status, _, body = request(f"{bases[0]}/metrics", token=METRICS_TOKEN)
        text = body.decode()
        assert status == 200
        assert "django_http_requests_latency_seconds_by_view_method_bucket" in text
        assert f'preinfusion_celery_queue_length{{queue="{QUEUE}"}} 0.0' in text
        status, _, body = request(f"http://127.0.0.1:{metrics_ports[0]}/metrics")
        assert status == 200 and 'preinfusion_pdf_render_seconds_count{kind="report"}' in body.decode()

        # /readyz on a third web process whose broker (a Redis of its own) then stops
        broker_port = free_port()
        redis = subprocess.Popen(
            ["redis-server", "--port", str(broker_port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        stack.callback(redis.kill)
        wait_for_port(broker_port)
        web3 = Host(tmp_path, "web-3")
        stack.callback(web3.stop)
        base3 = start_web(web3, {**shared, "CELERY_BROKER_URL": f"redis://127.0.0.1:{broker_port}/0"})
        status, _, body = request(f"{base3}/readyz")
        assert status == 200, body
        redis.terminate()
        redis.wait(timeout=10)
        started = time.monotonic()
        status, _, body = request(f"{base3}/readyz")
        assert status == 503 and b"broker" in body
        assert time.monotonic() - started < 10
        assert str(broker_port).encode() not in body

        for h in webs + workers + [web3]:
            h.stop()
        logs = "\n".join(h.log() for h in webs + workers + [web3])

    # every line a web process wrote is one JSON object (gunicorn's own lines too)
    for web in webs + [web3]:
        lines = [line for line in web.log().splitlines() if line.strip()]
        assert lines and all(_is_json(line) for line in lines), [x for x in lines if not _is_json(x)][:3]

    # no line any process logged names the patients
    assert "pdf ready" in logs
    lowered = logs.lower()
    for secret in [FAMILY.lower(), GIVEN.lower(), DOB, "07/23/1961", *[m.lower() for m in MRNS]]:
        assert secret not in lowered, f"a log line carries {secret!r}"


def forget_queue(broker: str) -> None:
    from kombu import Connection

    with Connection(broker) as conn:
        conn.default_channel.client.delete(QUEUE, f"_kombu.binding.{QUEUE}")


def _keys() -> dict[str, str]:
    return {
        "aws_access_key_id": AWS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": AWS["AWS_SECRET_ACCESS_KEY"],
    }


def _is_json(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False
