"""A Celery worker SIGKILLed mid-render loses no PDF, and nobody presses Retry (issue 15).

The real stack: PostgreSQL (the test database, shared with the worker), Redis, and `celery -A config worker
--beat` as docker-compose.yml runs it, with short time limits so that the sweep's re-queue comes within
seconds. The worker is killed with its children and its beat (its whole process group) while PDFs are
rendering; a new worker (with beat) must finish every one of them. The two workers read a queue of their
own: the session's worker (other tests'), which runs with the production limits, must not take these PDFs
or their sweeps."""

import json
import os
import signal
import subprocess
import time
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from config.celery import app
from patients.services import intake_import
from screening.models import ReportPdf
from screening.services import pdf_request, screening_run
from tests.conftest import EXAMPLES, ROOT, child_env, require_celery_broker, venv_bin
from tests.conftest import stop_group as stop

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

PDFS = 8
# a healthy run finishes in about 30 s; the deadline only bounds a failing one on a loaded machine
DEADLINE_SECONDS = 240
QUEUE = f"fault-{os.getpid()}-{time.time_ns() % 10**9}"
# the worker's limits, scaled down from the production defaults (120 s, 180 s, 180 s): the render is hard
# limited at 20 s, so a PDF untouched for 22 s is stuck; the broker's own redelivery comes later (40 s)
WORKER_ENV = {
    "CELERY_TASK_TIME_LIMIT": "20",
    "CELERY_TASK_SOFT_TIME_LIMIT": "15",
    "CELERY_VISIBILITY_TIMEOUT": "40",
    "PDF_STUCK_SECONDS": "22",
    "PDF_SWEEP_SECONDS": "2",
    "CELERY_QUEUE": QUEUE,
}


def start_worker(name: str, tmp_path):
    """`celery -A config worker --beat` in its own process group (so that it can be killed with its
    children), its log in a file."""
    log = tmp_path / f"{name}.log"
    # a SIGKILLed worker cannot remove its multiprocessing folder (pymp-*): keep it in the test's own
    scratch = tmp_path / f"{name}-tmp"
    scratch.mkdir()
    proc = subprocess.Popen(
        [
            venv_bin("celery"),
            "-A",
            "config",
            "worker",
            "--beat",
            f"--schedule={tmp_path / f'{name}-beat'}",
            "--pool=prefork",
            "--concurrency=2",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"{name}-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=child_env(**WORKER_ENV, TMPDIR=str(scratch)),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while not app.control.ping(destination=[f"{name}-{os.getpid()}@{os.uname().nodename}"], timeout=1.0):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            pytest.fail(f"celery worker did not start:\n{log.read_text()}", pytrace=False)
    return proc, log


def errors(ids) -> list[str]:
    return list(ReportPdf.objects.filter(pk__in=ids).exclude(error="").values_list("error", flat=True))


def statuses(ids) -> list[str]:
    by_id = dict(ReportPdf.objects.filter(pk__in=ids).values_list("pk", "status"))
    return [by_id[i] for i in ids]


def drop_leftover_messages() -> None:
    """The killed worker's unacknowledged messages would come back to this test's queue after the
    visibility timeout, and sit there: remove them, and the queue, from the broker."""
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        client = channel.client
        for tag, raw in client.hgetall(channel.unacked_key).items():
            _payload, _exchange, routing_key = json.loads(raw)
            if routing_key == QUEUE:
                client.hdel(channel.unacked_key, tag)
                client.zrem(channel.unacked_index_key, tag)
        client.delete(QUEUE, f"_kombu.binding.{QUEUE}", f"_kombu.binding_permanent.{QUEUE}")


@pytest.fixture
def own_queue():
    before = app.conf.task_default_queue
    app.conf.task_default_queue = QUEUE
    try:
        yield QUEUE
    finally:
        app.conf.task_default_queue = before


@pytest.fixture
def broker():
    require_celery_broker()


def test_pdfs_in_flight_when_the_worker_is_killed_are_all_ready_without_a_retry(
    broker, own_queue, clinician, tmp_path
):
    call_command("load_defaults", stdout=StringIO())
    doc = json.loads((EXAMPLES / "deferred-bp-and-benzodiazepine.json").read_text())
    patient, _ = intake_import(doc=doc)
    screenings = [
        screening_run(patient=patient, requested_by=clinician, as_of=date(2026, 11, 20)) for _ in range(PDFS)
    ]
    first, _ = start_worker("fault-first", tmp_path)
    second = None
    ids = [pdf_request(screening=s, user=clinician).pk for s in screenings]  # autocommit: sent at once
    try:
        deadline = time.monotonic() + 30
        while ReportPdf.Status.RENDERING not in statuses(ids) and time.monotonic() < deadline:
            time.sleep(0.02)
        stop(first, signal.SIGKILL)  # the worker, its pool children and its beat, mid-render
        at_kill = statuses(ids)
        assert ReportPdf.Status.RENDERING in at_kill, at_kill

        started = time.monotonic()
        second, log = start_worker("fault-second", tmp_path)
        while time.monotonic() - started < DEADLINE_SECONDS:
            now = statuses(ids)
            if all(s == ReportPdf.Status.READY for s in now):
                break
            time.sleep(0.5)
        took = time.monotonic() - started
        assert now == [ReportPdf.Status.READY] * PDFS, (at_kill, now, errors(ids), log.read_text()[-3000:])
        assert "pdf stuck, re-queued" in log.read_text()  # the beat's sweep, not a person, re-queued it
        print(f"killed with {at_kill.count('rendering')} rendering; all {PDFS} ready {took:.1f} s after")
    finally:
        if second is not None:
            stop(second)
        stop(first, signal.SIGKILL)
        drop_leftover_messages()
