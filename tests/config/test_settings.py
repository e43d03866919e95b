import json

import pytest

from tests.config.settings_probe import run_settings
from tests.conftest import ROOT


def test_no_environment_means_sqlite_in_project_folder_and_eager_tasks():
    result = run_settings({"DJANGO_DEBUG": "1"})
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django_prometheus.db.backends.sqlite3"  # SQLite, counting its queries
    assert values["name"] == str(ROOT / "db.sqlite3")
    assert values["eager"] is True
    assert values["debug"] is True
    assert values["tz"] is True


def test_service_urls_switch_to_postgresql_and_a_real_broker():
    result = run_settings(
        {
            "DJANGO_DEBUG": "1",
            "DATABASE_URL": "postgres://u@db.example:5432/clinic",
            "CELERY_BROKER_URL": "redis://127.0.0.1:6379/9",
        }
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django_prometheus.db.backends.postgresql"  # counting its queries
    assert values["name"] == "clinic"
    assert values["eager"] is False


def test_debug_is_off_unless_asked_for():
    result = run_settings({"DJANGO_SECRET_KEY": "x" * 60})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["debug"] is False


@pytest.mark.parametrize("debug_value", ["", "0", "false"])
def test_missing_secret_key_without_debug_is_an_error(debug_value):
    result = run_settings({"DJANGO_DEBUG": debug_value})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr
