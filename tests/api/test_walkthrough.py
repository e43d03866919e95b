"""A script drives the whole workflow over HTTP (scripts/api_walkthrough.py, docs/api.md): import an intake,
screen, override a contraindication, co-sign it as a second physician, sign, and download the PDF rendered
by the real Celery worker. Two physicians and two tokens come from the documented commands."""

import json
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from patients.management.commands.load_demo import shifted_to
from screening.models import FindingOverride, Screening
from tests.conftest import EXAMPLES, ROOT, service_unavailable
from tests.servers import gunicorn

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def command_output(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def test_a_script_imports_screens_overrides_cosigns_signs_and_downloads_the_pdf(
    celery_worker_process, monkeypatch, tmp_path
):
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        service_unavailable("the server process must share the test database: set DATABASE_URL to PostgreSQL")
    call_command("load_defaults", stdout=StringIO())
    monkeypatch.setenv("WALKTHROUGH_PASSWORD", "a-long-walkthrough-password-9")
    for username in ("dr.first", "dr.second"):
        call_command(
            "create_user",
            username,
            "--role",
            "physician",
            "--password-env",
            "WALKTHROUGH_PASSWORD",
            stdout=StringIO(),
        )
    first, second = command_output("api_token", "dr.first"), command_output("api_token", "dr.second")
    intake = tmp_path / "intake.json"
    doc = shifted_to(json.loads((EXAMPLES / "contraindicated-avm.json").read_text()), timezone.now())
    intake.write_text(json.dumps(doc), encoding="utf-8")

    with gunicorn(DJANGO_ALLOWED_HOSTS="127.0.0.1", DJANGO_SECURE_SSL_REDIRECT="0") as base:
        result = subprocess.run(
            [
                sys.executable,
                str(ROOT / "scripts" / "api_walkthrough.py"),
                base,
                str(intake),
                str(tmp_path / "c.pdf"),
            ],
            env={"PATH": "/usr/bin:/bin", "API_TOKEN": first, "COSIGNER_TOKEN": second},
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )

    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "c.pdf").read_bytes().startswith(b"%PDF")
    override = FindingOverride.objects.get()
    assert (override.rule, override.overridden_by.username, override.cosigned_by.username) == (
        "CV-AVM",
        "dr.first",
        "dr.second",
    )
    signoff = Screening.objects.get().signoff
    assert (signoff.signed_by.username, signoff.decision) == ("dr.first", "cleared")


def test_the_walkthrough_script_explains_its_usage_without_tokens():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "api_walkthrough.py")],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert result.returncode == 2
    assert "API_TOKEN" in result.stderr
