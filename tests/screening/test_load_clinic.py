"""A short run of scripts/load_clinic.py on the real stack: ten users for twenty seconds against a live
server over PostgreSQL, PDFs rendered by a real Celery worker; no request may fail (issue 15)."""

import importlib.util
import sys

import pytest
from django.conf import settings

from tests.conftest import ROOT, service_unavailable

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def load_script():
    spec = importlib.util.spec_from_file_location("load_clinic", ROOT / "scripts" / "load_clinic.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_ten_users_for_twenty_seconds_get_no_error_and_their_pdfs(celery_worker_process, live_server):
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        service_unavailable(
            "DATABASE_URL is not PostgreSQL: the worker cannot share the live server's database"
        )
    load = load_script()
    load.prepare(10)

    summary = load.run(base_url=live_server.url, users=10, staff=3, duration=20)

    print(summary)  # the numbers, with -s
    assert summary["errors"] == 0, summary["first_errors"]
    assert summary["steps"]["screen now"]["count"] > 0
    assert summary["pdfs_downloaded"] > 0
