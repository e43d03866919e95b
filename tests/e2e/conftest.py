import shutil
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import service_unavailable

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium (never a downloaded browser build)."""
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        service_unavailable("Chromium is not installed (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": path, "args": CHROMIUM_ARGS}


@pytest.fixture
def pdf_worker(request):
    """With a broker configured (CI), PDFs are made by a real Celery worker; without one, eagerly in-process."""
    if settings.BROKER_FROM_ENV:
        return request.getfixturevalue("celery_worker_process")
    return None
