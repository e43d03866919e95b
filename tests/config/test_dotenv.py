"""The local `.env`: scripts/make_env.py writes it once, and the settings read it under the real environment.

Every file lives under tmp_path: a developer's own .env in the project folder is never read or touched.
"""

import json
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from dotenv import dotenv_values

from tests.config.settings_probe import run_settings
from tests.conftest import ROOT

MAKE_ENV = ROOT / "scripts" / "make_env.py"


def make_env(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(MAKE_ENV), str(path)],
        cwd=path.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def probe(env_overrides: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """The settings with only these variables set; DJANGO_ENV_FILE unset unless given."""
    return run_settings({"DJANGO_ENV_FILE": None, **env_overrides}, cwd=cwd)


def loaded(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def write_env(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def project_copy(tmp_path):
    """The project with a copy of config/ (so BASE_DIR, where the default .env is looked for, is the copy)
    and links to the rest: a .env can sit in its default place without touching the real project folder."""
    copy = tmp_path / "project"
    copy.mkdir()
    shutil.copytree(ROOT / "config", copy / "config", ignore=shutil.ignore_patterns("__pycache__"))
    for entry in ROOT.iterdir():
        if entry.name not in {"config", ".env", ".git", "db.sqlite3"}:
            (copy / entry.name).symlink_to(entry)
    write_env(copy / ".env", "DJANGO_DEBUG=1\n")
    return copy


# -- scripts/make_env.py -----------------------------------------------------------------------------------


def test_make_env_turns_debug_on(tmp_path):
    make_env(tmp_path / ".env")
    assert dotenv_values(tmp_path / ".env")["DJANGO_DEBUG"] == "1"


def test_make_env_writes_a_long_secret_key(tmp_path):
    make_env(tmp_path / ".env")
    assert len(dotenv_values(tmp_path / ".env")["DJANGO_SECRET_KEY"]) >= 50


def test_make_env_writes_a_new_secret_key_each_time(tmp_path):
    make_env(tmp_path / "one.env")
    make_env(tmp_path / "two.env")
    keys = {dotenv_values(tmp_path / name)["DJANGO_SECRET_KEY"] for name in ("one.env", "two.env")}
    assert len(keys) == 2


def test_make_env_points_at_sqlite_beside_the_file(tmp_path):
    make_env(tmp_path / ".env")
    url = dotenv_values(tmp_path / ".env")["DATABASE_URL"]
    assert url == f"sqlite:///{tmp_path.resolve() / 'db.sqlite3'}"


def test_make_env_sets_no_broker(tmp_path):
    make_env(tmp_path / ".env")
    assert "CELERY_BROKER_URL" not in dotenv_values(tmp_path / ".env")


def test_make_env_file_is_readable_by_its_owner_only(tmp_path):
    make_env(tmp_path / ".env")
    assert stat.S_IMODE((tmp_path / ".env").stat().st_mode) == 0o600


def test_make_env_never_overwrites_an_existing_file(tmp_path):
    existing = write_env(tmp_path / ".env", "DJANGO_DEBUG=0\nMY_OWN=kept\n")
    existing.chmod(0o644)
    result = make_env(existing)
    assert existing.read_text(encoding="utf-8") == "DJANGO_DEBUG=0\nMY_OWN=kept\n"
    assert stat.S_IMODE(existing.stat().st_mode) == 0o644
    assert "exists" in result.stdout


def test_make_env_file_is_enough_to_start_the_settings(tmp_path):
    make_env(tmp_path / ".env")
    values = loaded(probe({"DJANGO_ENV_FILE": str(tmp_path / ".env")}))
    assert values["debug"] is True
    assert values["engine"] == "django_prometheus.db.backends.sqlite3"  # SQLite, counting its queries
    assert values["name"] == str(tmp_path.resolve() / "db.sqlite3")


# -- the settings and DJANGO_ENV_FILE ----------------------------------------------------------------------


def test_settings_read_the_file_named_by_django_env_file(tmp_path):
    env_file = write_env(tmp_path / "dev.env", "DJANGO_DEBUG=1\n")
    assert loaded(probe({"DJANGO_ENV_FILE": str(env_file)}))["debug"] is True


def test_a_real_environment_variable_wins_over_the_file(tmp_path):
    env_file = write_env(tmp_path / "dev.env", "DJANGO_DEBUG=1\n")
    values = loaded(
        probe({"DJANGO_ENV_FILE": str(env_file), "DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "x" * 60})
    )
    assert values["debug"] is False


def test_without_django_env_file_the_settings_read_the_env_beside_manage_py(project_copy):
    values = loaded(probe({}, cwd=project_copy))
    assert values["base"] == str(project_copy)
    assert values["debug"] is True


def test_an_empty_django_env_file_ignores_the_env_file(project_copy):
    result = probe({"DJANGO_ENV_FILE": ""}, cwd=project_copy)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr


def test_without_debug_or_secret_key_the_settings_still_refuse_to_start():
    result = probe({"DJANGO_ENV_FILE": ""})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr


def test_a_missing_env_file_is_no_error_and_gives_no_debug(tmp_path):
    result = probe({"DJANGO_ENV_FILE": str(tmp_path / "absent.env")})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr
