"""Logs (core/logs.py, core/request_log.py): every line one JSON object, the request id on each line of a
request (the client's X-Request-ID when it is a plain token, returned in the response) and of the Celery
tasks it sends, and no patient's name, MRN or date of birth on any line, whatever the page."""

import io
import json
import logging
import os
import re
import subprocess
import time
import uuid
from contextlib import contextmanager
from datetime import date

import pytest
import structlog
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from config.celery import app
from config.monitoring import logging_settings
from core.logs import drop_query_strings, formatter
from core.tokens import api_token_create
from patients.forms import PatientForm
from patients.models import Patient
from patients.services import intake_import
from screening.models import ReportPdf, Screening
from screening.services import screening_run
from tests.conftest import (
    EXAMPLES,
    ROOT,
    child_env,
    require_celery_broker,
    stop_group,
    venv_bin,
)
from tests.defaults_snapshot import load_defaults_for_test

pytestmark = pytest.mark.django_db

UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


@pytest.fixture
def log_lines():
    """The lines the process writes while the test runs, at DEBUG: a handler on the root logger with the
    formatter settings.LOGGING configured (the one on stderr), every logger at DEBUG but those settings
    pin higher (SQL, WeasyPrint, fontTools)."""
    root = logging.getLogger()
    configured = [h for h in root.handlers if isinstance(h.formatter, structlog.stdlib.ProcessorFormatter)]
    assert len(configured) == 1, root.handlers
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(configured[0].formatter)
    for configured_filter in configured[0].filters:
        handler.addFilter(configured_filter)
    lowered = {name: logging.getLogger(name).level for name in ("", "django", "celery", "axes")}
    for name in lowered:
        logging.getLogger(name).setLevel(logging.DEBUG)
    root.addHandler(handler)
    try:
        yield lambda: stream.getvalue().splitlines()
    finally:
        root.removeHandler(handler)
        for name, level in lowered.items():
            logging.getLogger(name).setLevel(level)


def parsed(lines: list[str]) -> list[dict]:
    return [json.loads(line) for line in lines]


# -- the format -------------------------------------------------------------------------------------------


def test_every_line_is_one_json_object_with_its_level_logger_and_time(client, clinician, log_lines):
    client.force_login(clinician)
    client.get(reverse("patients:list"))
    client.get("/no-such-page/")
    logging.getLogger("screening.services").info("pdf ready pdf_id=%s bytes=%s", 7, 1234)
    message = "boom"
    try:
        raise RuntimeError(message)  # the frame's line shows the name, never the text
    except RuntimeError:
        logging.getLogger("core").exception("something failed")
    records = parsed(log_lines())  # a line that is not JSON fails here
    assert len(records) >= 6
    for record in records:
        assert {"event", "level", "logger", "timestamp"} <= set(record), record
    assert {
        "event": "pdf ready pdf_id=7 bytes=1234",
        "logger": "screening.services",
        "level": "info",
    }.items() <= (next(r for r in records if r["event"].startswith("pdf ready")).items())
    failed = next(r for r in records if r["event"] == "something failed")
    assert failed["level"] == "error" and "builtins.RuntimeError (message withheld)" in failed["exception"]
    assert "raise RuntimeError(message)" in failed["exception"] and "boom" not in failed["exception"]
    finished = [r for r in records if r["event"] == "request_finished"]
    assert [(r["request"], r["code"]) for r in finished] == [
        ("GET /patients/", 200),
        ("GET /no-such-page/", 404),
    ]
    assert finished[0]["user_id"] == clinician.pk
    # Django's own line for the 404, logged after the middleware, still carries the request's id
    not_found = next(r for r in records if r["event"] == "Not Found: /no-such-page/")
    assert not_found["request_id"] == finished[1]["request_id"]


def test_the_plain_format_is_readable_lines_and_an_unknown_format_is_refused():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "GET %s", ("/patients/?q=Someone",), None)
    line = formatter("plain").format(record)
    assert not line.startswith("{") and "GET /patients/" in line and "Someone" not in line
    assert logging_settings({"DJANGO_LOG_FORMAT": "plain"})["formatters"]["structured"]["renderer"] == "plain"
    assert logging_settings({})["formatters"]["structured"]["renderer"] == "json"
    with pytest.raises(ImproperlyConfigured, match="DJANGO_LOG_FORMAT"):
        logging_settings({"DJANGO_LOG_FORMAT": "xml"})


def test_query_strings_are_dropped_from_request_lines_paths_and_text():
    event = {
        "event": '"GET /patients/?q=Jane+Doe&page=2 HTTP/1.1" 200 512',
        "request": "GET /screening/reports/?q=Jane Doe",
        "path": "/patients/?mrn=KT-0002",
        "url": "https://clinic.example/patients/?q=x#top",
        "note": "see /a/b?c=d and /e?f=g",
        "question": "is this fine?",
        "count": 3,
        "gunicorn": "Invalid HTTP request line: 'GET /patients/?q=Jane Doe HTTP/1.1'",
    }
    assert drop_query_strings(None, "info", event) == {
        "event": '"GET /patients/ HTTP/1.1" 200 512',
        "request": "GET /screening/reports/",
        "path": "/patients/",
        "url": "https://clinic.example/patients/",
        "note": "see /a/b",  # a query runs to the end of the line: what follows may be more of it
        "question": "is this fine?",
        "count": 3,
        "gunicorn": "Invalid HTTP request line: 'GET /patients/ HTTP/1.1'",
    }


# -- the request id ---------------------------------------------------------------------------------------


def test_each_request_gets_an_id_returned_in_its_header_and_on_its_lines(client, log_lines):
    first, second = client.get(reverse("login")), client.get(reverse("login"))
    ids = [first["X-Request-ID"], second["X-Request-ID"]]
    assert all(UUID4.fullmatch(i) for i in ids) and ids[0] != ids[1]
    records = parsed(log_lines())
    for request_id in ids:
        mine = [r["event"] for r in records if r.get("request_id") == request_id]
        assert mine[0] == "request_started" and "request_finished" in mine


def test_a_plain_upstream_id_is_kept_and_a_hostile_one_replaced(client, log_lines):
    for kept in ("abc.DEF-123_x", "a" * 64, str(uuid.uuid4())):
        assert client.get(reverse("login"), headers={"X-Request-ID": kept})["X-Request-ID"] == kept
    hostile = ("a b", "a" * 65, "<script>", "id\ninjected", "ü", "x;rm", "", "a/b")
    for value in hostile:
        response = client.get(reverse("login"), HTTP_X_REQUEST_ID=value)
        assert UUID4.fullmatch(response["X-Request-ID"]), value
    text = "\n".join(log_lines())
    assert "<script>" not in text and "injected" not in text and "x;rm" not in text


def test_a_failing_request_carries_its_id_too(client, clinician, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("page failed")

    monkeypatch.setattr("patients.views.PatientListView.get", broken)
    client.raise_request_exception = False
    client.force_login(clinician)
    response = client.get(reverse("patients:list"), headers={"X-Request-ID": "fail-1"})
    assert response.status_code == 500 and response["X-Request-ID"] == "fail-1"


# -- a real worker: the request id in the task's lines ----------------------------------------------------


@contextmanager
def own_worker(tmp_path, queue: str, pool: str = "solo", **env: str):
    """`celery -A config worker` (INFO) reading a queue of its own, its output in a file; stopped with its
    process group. The test database must be PostgreSQL (the worker shares it)."""
    require_celery_broker()
    name = f"{queue}@{os.uname().nodename}"
    log = tmp_path / f"{queue}.log"
    command = [venv_bin("celery"), "--quiet", "-A", "config", "worker", f"--pool={pool}", "--loglevel=INFO"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-n", name]
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        # a test machine running as root: Celery warns of it before any logging is set up, in plain text
        env=child_env(
            CELERY_QUEUE=queue,
            DJANGO_LOG_FORMAT="json",
            PYTHONWARNINGS="ignore:You're running the worker with superuser privileges",
            **env,
        ),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    before = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[name], timeout=1.0):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"celery worker did not start:\n{log.read_text()}", pytrace=False)
        yield log
    finally:
        app.conf.task_default_queue = before
        stop_group(proc)
        with app.connection_for_write() as conn:
            conn.default_channel.client.delete(
                queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}"
            )


def screened(clinician) -> Screening:
    load_defaults_for_test()
    patient, _ = intake_import(doc=json.loads((EXAMPLES / "deferred-bp-and-benzodiazepine.json").read_text()))
    return screening_run(patient=patient, requested_by=clinician, as_of=date(2026, 11, 20))


def wait_ready(pdf_filter, seconds=90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ReportPdf.objects.filter(**pdf_filter, status=ReportPdf.Status.READY).exists():
            return
        time.sleep(0.2)
    raise AssertionError(f"the PDF was not ready after {seconds} s")


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_request_id_reaches_the_lines_of_the_task_a_real_worker_runs(client, clinician, tmp_path):
    screening = screened(clinician)
    request_id = f"req-{uuid.uuid4().hex}"
    with own_worker(tmp_path, f"pytest-logs-{os.getpid()}-{time.time_ns() % 10**9}") as log:
        client.force_login(clinician)
        response = client.post(
            reverse("screening:pdf_request", args=[screening.pk]), headers={"X-Request-ID": request_id}
        )
        assert response.status_code == 302 and response["X-Request-ID"] == request_id
        wait_ready({"screening": screening})
        time.sleep(0.5)  # the task's last lines (succeeded) follow the row's update
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    # every line is JSON but what Celery prints itself, not logs (on its way out)
    assert [line for line in lines if not line.startswith("{")] == ["worker: Warm shutdown (MainProcess)"]
    records = parsed([line for line in lines if line.startswith("{")])
    mine = [r for r in records if r.get("request_id") == request_id]
    events = [r["event"] for r in mine]
    assert "task_started" in events and "task_succeeded" in events, events
    assert any(event.startswith("pdf ready pdf_id=") for event in events), events
    assert {r.get("user_id") for r in mine} == {clinician.pk}
    # the worker's other lines (its start, the next task received) carry no request's id
    assert not [r for r in records if r.get("request_id") not in (None, request_id)]


# -- no patient data on any line --------------------------------------------------------------------------

GIVEN, FAMILY, MRN = "Zephyrine", "Quillfeather", "MRN-ZQ-731946"
BORN = date(1961, 7, 23)
BORN_WRITTEN = (
    "1961-07-23",
    "1961/07/23",
    "19610723",
    "07/23/1961",
    "7/23/1961",
    "23/07/1961",
    "23.07.1961",
    "July 23, 1961",
    "Jul 23, 1961",
    "23 July 1961",
    "23 Jul 1961",
)


def phi_in(text: str) -> list[str]:
    """Which of the patient's identifiers the text holds (names and MRN in any case)."""
    lowered = text.lower()
    found = [value for value in (GIVEN, FAMILY, MRN) if value.lower() in lowered]
    return found + [written for written in BORN_WRITTEN if written.lower() in lowered]


def test_the_detector_finds_each_identifier():
    assert phi_in(f"x {GIVEN.upper()} y") == [GIVEN]
    assert phi_in(f"{FAMILY.lower()}") == [FAMILY]
    assert phi_in(f"mrn={MRN.lower()}") == [MRN]
    for written in BORN_WRITTEN:
        assert written in phi_in(f"born {written}.")
    assert phi_in("pdf ready pdf_id=3 screening_id=9") == []


@pytest.fixture
def patient(clinician):
    load_defaults_for_test()
    doc = json.loads((EXAMPLES / "eligible.json").read_text())
    doc["patient"].update(mrn=MRN, given_name=GIVEN, family_name=FAMILY, date_of_birth=BORN.isoformat())
    patient, _ = intake_import(doc=doc)
    return patient


@pytest.fixture
def eager_tasks():
    """Tasks run in this process, as without a broker (CI has one)."""
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


def test_no_line_names_the_patient_whatever_the_page(
    client,
    patient,
    physician,
    log_lines,
    django_capture_on_commit_callbacks,
    on_assessment_day,
    monkeypatch,
    eager_tasks,
):
    identity = {"mrn": MRN, "given_name": GIVEN, "family_name": FAMILY, "date_of_birth": BORN.isoformat()}
    pk = patient.pk
    answers = []

    def visit(expected: int, method: str, url: str, data=None, **kwargs):
        response = getattr(client, method)(url, *([] if data is None else [data]), **kwargs)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
        answers.append((method, url, response.status_code, expected))
        return response

    client.force_login(physician)
    visit(200, "get", reverse("patients:detail", args=[pk]))
    # searches: POSTed as the pages do, and in a query string as an old link or a hostile client sends them
    for term in (FAMILY, MRN, GIVEN.lower(), BORN.isoformat(), "07/23/1961"):
        for page in (reverse("patients:list"), reverse("screening:report_list")):
            visit(302, "post", page, {"q": term})
            visit(200, "get", page)
            visit(200, "get", f"{page}?q={term}&page=1")
    visit(200, "get", reverse("screening:worklists"))
    # forms refused: the same MRN again, a date written another way, an edit with a bad weight
    visit(400, "post", reverse("patients:create"), {**identity, "sex_at_birth": "female", "weight_kg": "70"})
    visit(
        400, "post", reverse("patients:create"), {**identity, "mrn": f"{MRN}X", "date_of_birth": "23/07/1961"}
    )
    visit(
        400, "post", reverse("patients:edit", args=[pk]), {**identity, "weight_kg": "heavy", "version": "1"}
    )
    visit(200, "get", reverse("patients:edit", args=[pk]))
    visit(404, "get", reverse("patients:section", args=[pk, "no-such-section"]))
    # the same MRN stored by another request between the form's check and the save: a 409, and a warning
    with monkeypatch.context() as race:
        race.setattr(PatientForm, "validate_unique", lambda self: None)
        race.setattr(PatientForm, "clean_mrn", lambda self: self.cleaned_data["mrn"].strip())
        race.setattr(Patient, "validate_constraints", lambda self, exclude=None: None)
        again = {**identity, "sex_at_birth": "female", "pregnancy": "not_pregnant", "weight_kg": "70"}
        visit(409, "post", reverse("patients:create"), again)
    # a screening, its report, its PDF requested, rendered (in this process, as without a broker: eager)
    # and downloaded
    visit(302, "post", reverse("screening:screen_now", args=[pk]))
    screening = Screening.objects.filter(patient=patient).latest("pk")
    visit(200, "get", reverse("screening:detail", args=[screening.pk]))
    with django_capture_on_commit_callbacks(execute=True):
        visit(302, "post", reverse("screening:pdf_request", args=[screening.pk]))
    assert ReportPdf.objects.get(screening=screening).status == ReportPdf.Status.READY
    visit(200, "get", reverse("screening:pdf_status", args=[screening.pk]))
    visit(200, "get", reverse("screening:pdf_download", args=[screening.pk]))
    visit(200, "get", reverse("patients:export", args=[pk]))
    visit(200, "get", reverse("patients:history", args=[pk]))
    visit(200, "get", reverse("screening:patient_screenings", args=[pk]))
    # the API: intake documents that name the patient but are refused, a FHIR Bundle that is not one
    api = {"Authorization": f"Bearer {api_token_create(user=physician)[1]}"}
    bad = json.loads((EXAMPLES / "eligible.json").read_text())
    bad["patient"].update(identity, weight_kg="heavy", date_of_birth="1961-07-23T00:00")
    visit(400, "post", "/api/v1/intakes", json.dumps(bad), content_type="application/json", headers=api)
    broken = f'{{"patient": {{"mrn": "{MRN}", "given_name": "{GIVEN}"'
    visit(400, "post", "/api/v1/intakes", broken, content_type="application/json", headers=api)
    person = {
        "resourceType": "Patient",
        "name": [{"family": FAMILY, "given": [GIVEN]}],
        "birthDate": "1961-07-23",
    }
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": person}]}
    visit(
        400, "post", "/api/v1/fhir/Bundle", json.dumps(bundle), content_type="application/json", headers=api
    )
    visit(200, "get", f"/api/v1/patients/{pk}/intake", headers=api)
    visit(200, "get", f"/api/v1/patients/{pk}/intake?mrn={MRN}", headers=api)
    # wrong ids, and sign-ins that fail (their next= a search)
    visit(404, "get", reverse("patients:detail", args=[pk + 1000]))
    visit(404, "get", reverse("screening:detail", args=[screening.pk + 1000]))
    client.logout()
    login = reverse("login") + f"?next=/patients/%3Fq%3D{FAMILY}"
    visit(200, "get", login)
    visit(200, "post", login, {"username": physician.username, "password": "not-the-password"})
    visit(200, "post", f"{reverse('login')}?next=/patients/?q={MRN}", {"username": "nobody", "password": "x"})

    # the pages did what they should, so their lines were written
    assert [answer for answer in answers if answer[2] != answer[3]] == []
    lines = log_lines()
    records = parsed(lines)
    assert sum(r["event"] == "request_finished" for r in records) == len(answers)  # every request logged
    assert any(r["level"] == "debug" for r in records)  # DEBUG lines were written, and checked
    assert any(r["event"].startswith("pdf ready pdf_id=") for r in records)
    assert any(r["event"].startswith("patient create refused") for r in records)
    assert any(r.get("request") == "GET /patients/" for r in records)
    assert [(phi_in(line), line) for line in lines if phi_in(line)] == []


def test_an_exceptions_message_never_reaches_a_line_its_class_and_frames_do(log_lines):
    """A database error quotes the row (DETAIL: Key (mrn)=(...)), a parsing error the text: withheld, chained
    causes too; Celery's own lines on a failed or retried task name the class only."""
    log = logging.getLogger("core")
    unreadable, duplicate = "date of birth 1961-07-23 for Quillbrook", "Key (mrn)=(MH-7310) already exists"
    try:
        try:
            raise ValueError(unreadable)
        except ValueError as cause:
            raise RuntimeError(duplicate) from cause
    except RuntimeError as exc:
        log.exception("request failed")
        log.error("task_failed", extra={"error": str(exc)})
    trace = logging.getLogger("celery.app.trace")
    trace.error(
        "Task %(name)s[%(id)s] raised unexpected: %(exc)s",
        {"name": "t", "id": "1", "exc": "KeyError('MH-7310')"},
    )
    trace.info(
        "Task %(name)s[%(id)s] retry: %(exc)s", {"name": "t", "id": "2", "exc": "Retry in 1s: Quillbrook"}
    )
    text = "\n".join(log_lines())
    assert (
        "builtins.ValueError (message withheld)" in text
        and "builtins.RuntimeError (message withheld)" in text
    )
    assert "test_logging.py" in text  # the frames are kept
    assert (
        "raised unexpected: KeyError (message withheld)" in text and "retry: Retry (message withheld)" in text
    )
    for secret in ("1961-07-23", "Quillbrook", "MH-7310"):
        assert secret not in text
