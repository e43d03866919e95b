import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import hotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.roles import CLINICIAN, PHYSICIAN, REPORT_STAFF, RULES_ADMIN, role_group
from core.twofactor import must_verify

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"  # in-repo copies of the contract examples (.ci/run compares them)


def service_unavailable(reason: str):
    """Skip on a laptop; fail when the caller said the real services are required (CI)."""
    if settings.REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def require_celery_broker(*, shares_database: bool = True) -> None:
    """Skip (fail in CI) unless a real Celery broker is configured and answers and, for a worker that shares
    the test database (`shares_database`), that database is PostgreSQL. Nothing in the reason names the
    broker's credentials."""
    broker = settings.BROKER_FROM_ENV
    if not broker:
        service_unavailable("CELERY_BROKER_URL is not set: no real Celery worker can be started")
    if shares_database and not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        service_unavailable("DATABASE_URL is not PostgreSQL: the worker cannot share the test database")
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
    except Exception as exc:  # noqa: BLE001
        service_unavailable(f"the Celery broker at {broker.split('@')[-1]} is not reachable ({exc})")


def stop_group(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """Signal a child started with start_new_session=True and its whole process group; SIGKILL after 20 s."""
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


def venv_bin(name: str) -> str:
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else (shutil.which(name) or name)


def database_url_for_test_db() -> str | None:
    """DATABASE_URL of the test database pytest-django created, for a child process (worker, gunicorn)."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        user = db.get("USER") or "postgres"
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    if db["ENGINE"].endswith("sqlite3") and not str(db["NAME"]).startswith("file:memorydb"):
        return f"sqlite:///{db['NAME']}"
    return None


# This test run's own Celery queue: a worker of another run (or a developer's worker) on the same Redis
# never takes its tasks, and its worker never takes theirs.
TEST_QUEUE = f"pytest-{os.getpid()}-{time.time_ns() % 10**9}"


@pytest.fixture(scope="session", autouse=True)
def celery_test_queue():
    from config.celery import app

    before = app.conf.task_default_queue
    app.conf.task_default_queue = TEST_QUEUE
    yield TEST_QUEUE
    app.conf.task_default_queue = before
    if settings.BROKER_FROM_ENV:  # leave nothing of this run's queue in the broker
        # an unreachable broker was reported by the tests that used it
        with contextlib.suppress(Exception), app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
            conn.default_channel.client.delete(
                TEST_QUEUE, f"_kombu.binding.{TEST_QUEUE}", f"_kombu.binding_permanent.{TEST_QUEUE}"
            )


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    url = database_url_for_test_db()
    if url:
        env["DATABASE_URL"] = url
    env["CELERY_QUEUE"] = TEST_QUEUE
    env.update(extra)
    return env


def authenticator(user) -> TOTPDevice:
    """The user's confirmed authenticator app, made on first use. It accepts codes a few time steps ahead,
    so that several sign-ins within one 30-second step each have an unused code (next_code)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    return device or TOTPDevice.objects.create(
        user=user, name="test authenticator", confirmed=True, tolerance=5
    )


def next_code(device: TOTPDevice) -> str:
    """A code the device has not accepted yet: this time step's (as the device reckons it, with the drift it
    has learnt), or the step after the last one it took."""
    device.refresh_from_db()
    step = max((int(time.time()) - device.t0) // device.step + device.drift, device.last_t + 1)
    return f"{hotp(device.bin_key, step, device.digits):0{device.digits}d}"


@pytest.fixture(autouse=True)
def force_login_gives_the_second_factor(monkeypatch):
    """Two-factor sign-in is enforced in tests as in production. `client.force_login(user)` signs in as a
    user who has also given their code (a physician, a rules admin...: those who must) would be; tests of
    the code step itself use `client.force_login_password_only(user)`."""
    password_only = Client.force_login

    def force_login(self, user, backend=None):
        password_only(self, user, backend)
        fresh = type(user).objects.get(pk=user.pk)  # roles are cached on an instance; the test's stays clean
        if must_verify(fresh):
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = authenticator(fresh).persistent_id
            session.save()

    monkeypatch.setattr(Client, "force_login", force_login)
    monkeypatch.setattr(Client, "force_login_password_only", password_only, raising=False)


@pytest.fixture
def make_user(django_user_model):
    def make(username: str = "user", *roles: str, password: str = "a-long-test-password-1"):
        user = django_user_model.objects.create_user(username=username, password=password)
        # get_or_create: a transactional test's flush also removes the groups the data migration made
        user.groups.set([role_group(role) for role in roles])
        return user

    return make


@pytest.fixture
def clinician(make_user):
    return make_user("clin", CLINICIAN)


@pytest.fixture
def on_assessment_day(monkeypatch):
    """Today is the examples' assessment day (2026-11-20): a screening of the examples stays current (its
    blood pressure inside the window, younger than the validity) whenever the suite runs."""
    from datetime import date

    from django.utils import timezone

    real = timezone.localdate
    monkeypatch.setattr(
        timezone, "localdate", lambda value=None, tz=None: real(value, tz) if value else date(2026, 11, 20)
    )


@pytest.fixture
def physician(make_user):
    return make_user("doc1", PHYSICIAN)


@pytest.fixture
def physician2(make_user):
    """A second, different physician (co-signatures)."""
    return make_user("doc2", PHYSICIAN)


@pytest.fixture
def physician_client(client, physician):
    client.force_login(physician)
    return client


@pytest.fixture
def rules_admin(make_user):
    return make_user("admin1", RULES_ADMIN)


@pytest.fixture
def rules_admin2(make_user):
    """A second, different rules admin (the reviewer who approves a draft)."""
    return make_user("admin2", RULES_ADMIN)


@pytest.fixture
def report_staff(make_user):
    return make_user("staff1", REPORT_STAFF)


@pytest.fixture
def clinician_client(client, clinician):
    client.force_login(clinician)
    return client


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """A real Celery worker process over the configured broker (Redis in CI), never eager."""
    require_celery_broker(shares_database=False)
    from config.celery import app

    with django_db_blocker.unblock():
        env = child_env()
    proc = subprocess.Popen(
        [
            venv_bin("celery"),
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"pytest-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"celery worker exited at start:\n{proc.stdout.read()}", pytrace=False)
            # this run's worker only: another on the same Redis (a developer's, another run's) must not answer
            replies = app.control.ping(
                destination=[f"pytest-{os.getpid()}@{socket.gethostname()}"], timeout=1.0
            )
            if replies:
                break
        else:
            pytest.fail("celery worker did not answer a ping within 30 s", pytrace=False)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(autouse=True)
def fresh_row_estimates():
    """Each test's tables start anew: a table's row estimate kept by an earlier test is not this one's."""
    from core import pagination

    pagination._estimates.clear()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """PBKDF2 at production strength costs ~1 s per user here; tests only need a working hash."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def s3_endpoint():
    """The URL of an S3 emulator (tests.servers.s3_emulator) shared by the session's tests; each makes its
    own bucket."""
    from tests.servers import s3_emulator

    with s3_emulator() as url:
        yield url


@pytest.fixture
def fake_aws_credentials(monkeypatch, tmp_path):
    """boto3 sees made-up keys and nothing of the machine's own (no credentials file, no profile, no
    instance metadata), and reaches a local emulator directly."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "fake-aws-secret-never-shown",
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "NO_PROXY": "127.0.0.1,localhost",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def weasyprint():
    """WeasyPrint (the PDF renderer) importable, else skipped on a laptop and failed in CI."""
    from screening import pdf as pdf_module
    from screening.pdf import PdfUnavailable

    try:
        pdf_module._weasyprint()
    except PdfUnavailable as exc:
        service_unavailable(str(exc))
