"""config/gunicorn.py: gunicorn's settings from the environment, checked at start, and the server it makes:
as many workers as asked, and on SIGTERM a graceful stop (requests in flight answered, exit 0)."""

import json
import runpy
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, child_env, database_url_for_test_db, venv_bin
from tests.servers import fetch, gunicorn_process

CONF = ROOT / "config" / "gunicorn.py"
NAMES = (
    "WEB_CONCURRENCY",
    "GUNICORN_BIND",
    "GUNICORN_WORKERS",
    "GUNICORN_THREADS",
    "GUNICORN_TIMEOUT",
    "GUNICORN_GRACEFUL_TIMEOUT",
    "GUNICORN_KEEPALIVE",
    "GUNICORN_MAX_REQUESTS",
    "GUNICORN_MAX_REQUESTS_JITTER",
)


@pytest.fixture
def conf(monkeypatch):
    """The config module's settings as gunicorn reads them, under the given variables alone."""
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)

    def load(**env: str) -> dict:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(CONF))

    return load


def test_the_defaults(conf):
    c = conf()
    assert c["bind"] == ["0.0.0.0:8000"]
    assert (c["workers"], c["threads"], c["timeout"], c["graceful_timeout"]) == (3, 1, 30, 30)
    assert (c["max_requests"], c["max_requests_jitter"], c["keepalive"]) == (1000, 100, 5)
    assert c["accesslog"] is None  # its lines would carry query strings
    assert c["worker_tmp_dir"] == ("/dev/shm" if Path("/dev/shm").is_dir() else None)


def test_every_value_from_the_environment(conf):
    c = conf(
        GUNICORN_BIND="127.0.0.1:9000",
        GUNICORN_WORKERS="5",
        GUNICORN_THREADS="4",
        GUNICORN_TIMEOUT="60",
        GUNICORN_GRACEFUL_TIMEOUT="20",
        GUNICORN_KEEPALIVE="10",
        GUNICORN_MAX_REQUESTS="500",
        GUNICORN_MAX_REQUESTS_JITTER="50",
    )
    assert c["bind"] == ["127.0.0.1:9000"]
    assert (c["workers"], c["threads"], c["timeout"], c["graceful_timeout"], c["keepalive"]) == (
        5,
        4,
        60,
        20,
        10,
    )
    assert (c["max_requests"], c["max_requests_jitter"]) == (500, 50)


def test_web_concurrency_is_the_fallback_and_blanks_are_unset(conf):
    assert conf(WEB_CONCURRENCY="7")["workers"] == 7
    assert conf(GUNICORN_WORKERS="2", WEB_CONCURRENCY="7")["workers"] == 2
    assert conf(GUNICORN_WORKERS=" ", WEB_CONCURRENCY="")["workers"] == 3


def test_max_requests_zero_never_recycles_and_has_no_jitter(conf):
    c = conf(GUNICORN_MAX_REQUESTS="0", GUNICORN_MAX_REQUESTS_JITTER="50")
    assert (c["max_requests"], c["max_requests_jitter"]) == (0, 0)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GUNICORN_WORKERS", "abc"),
        ("GUNICORN_WORKERS", "0"),
        ("GUNICORN_WORKERS", "-2"),
        ("GUNICORN_WORKERS", "2.5"),
        ("WEB_CONCURRENCY", "many"),
        ("GUNICORN_THREADS", "0"),
        ("GUNICORN_TIMEOUT", "30s"),
        ("GUNICORN_GRACEFUL_TIMEOUT", "0"),
        ("GUNICORN_MAX_REQUESTS", "-1"),
    ],
)
def test_a_bad_value_is_refused_with_its_name(conf, name, value):
    with pytest.raises(ValueError, match=rf"^{name} must be a whole number from \d+ to \d+, not '{value}'$"):
        conf(**{name: value})


def test_gunicorn_itself_stops_at_start_on_a_bad_value():
    done = subprocess.run(
        [venv_bin("gunicorn"), "-c", "config/gunicorn.py", "--check-config", "config.wsgi:application"],
        cwd=ROOT,
        env=child_env(GUNICORN_WORKERS="lots", DJANGO_DEBUG="1"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "GUNICORN_WORKERS must be a whole number from 1 to 64, not 'lots'" in done.stderr


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[1]) == pid:  # the field after the state: the parent's id
            found.append(int(stat.parent.name))
    return found


def test_the_server_runs_as_many_workers_as_asked():
    with gunicorn_process(GUNICORN_WORKERS="2", ICD10_PRELOAD="0") as (_, master):
        deadline = time.monotonic() + 30
        while len(children(master.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(0.5)  # no third one follows
        assert len(children(master.pid)) == 2


def test_sigterm_lets_the_request_in_flight_finish_and_exits_0(tmp_path):
    """A readiness probe held for 2 s by a broker that never answers is in flight when the master gets
    SIGTERM: it is answered in full, and gunicorn exits 0 well within the graceful timeout."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        env = {
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{silent.getsockname()[1]}/13",
            "READYZ_TIMEOUT_SECONDS": "2",
            "GUNICORN_GRACEFUL_TIMEOUT": "10",
            "DATABASE_URL": database_url_for_test_db() or f"sqlite:///{tmp_path / 'probe.sqlite3'}",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "ICD10_PRELOAD": "0",
        }
        with gunicorn_process(**env) as (base, master):
            assert fetch(f"{base}/healthz")[0] == 200  # a worker is up
            answers = []
            request = threading.Thread(target=lambda: answers.append(fetch(f"{base}/readyz")))
            request.start()
            time.sleep(0.5)
            stopped = time.monotonic()
            master.send_signal(signal.SIGTERM)
            assert master.wait(timeout=15) == 0
            request.join(timeout=5)
            assert time.monotonic() - stopped < 10
    (status, _, body) = answers[0]
    assert status == 503
    assert json.loads(body)["checks"]["broker"] in ("timeout", "failed (TimeoutError)")
