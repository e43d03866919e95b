"""Load the settings in a fresh process with only the given variables (and a PATH) set, and read them back."""

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'engine': settings.DATABASES['default']['ENGINE'], "
    "'name': str(settings.DATABASES['default']['NAME']), 'eager': settings.CELERY_TASK_ALWAYS_EAGER, "
    "'debug': settings.DEBUG, 'tz': settings.USE_TZ, 'base': str(settings.BASE_DIR)}))"
)
KEPT = {"PATH", "HOME", "LANG", "SYSTEMROOT", "VIRTUAL_ENV", "PYTHONPATH"}


def run_settings(env_overrides: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """DJANGO_ENV_FILE is "" unless given: a developer's .env (from `make setup`) must not answer for the
    environment under test. Pass DJANGO_ENV_FILE=None to leave it unset (the default .env is then read)."""
    env = {k: v for k, v in os.environ.items() if k in KEPT}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_ENV_FILE": ""})
    env.update(env_overrides)
    env = {k: v for k, v in env.items() if v is not None}
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
