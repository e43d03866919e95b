import os
import subprocess
import sys

from tests.conftest import ROOT


def run_worker_test(**env_changes: str) -> subprocess.CompletedProcess:
    """The real-worker test in a nested pytest run without a broker. It runs on SQLite (in memory) so that it
    never touches the outer run's PostgreSQL test database."""
    env = {k: v for k, v in os.environ.items() if k not in {"CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"}}
    env.update(DATABASE_URL="sqlite:///unused-nested-run.sqlite3", **env_changes)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:randomly",
            "tests/config/test_celery_worker.py",
            "-k",
            "real_worker",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_missing_service_fails_when_services_are_required():
    result = run_worker_test(REQUIRE_SERVICES="1")
    assert result.returncode != 0
    assert "REQUIRE_SERVICES=1 but CELERY_BROKER_URL is not set" in result.stdout


def test_a_missing_service_is_a_skip_on_a_laptop():
    result = run_worker_test(REQUIRE_SERVICES="0")
    assert result.returncode == 0
    assert "1 skipped" in result.stdout
