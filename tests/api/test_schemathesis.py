"""The published OpenAPI schema against the running app: schemathesis (a maintained OpenAPI fuzzer) sends
generated valid and invalid requests to every operation; no server error, every response as documented."""

import json
import subprocess
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from core.roles import CLINICIAN, PHYSICIAN, REPORT_STAFF
from core.tokens import api_token_create
from patients.services import intake_import
from screening.services import screening_run
from tests.conftest import EXAMPLES, child_env, service_unavailable, venv_bin
from tests.servers import gunicorn

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    )
)


def test_fuzzing_the_api_finds_no_server_error_and_every_response_matches_the_schema(make_user, tmp_path):
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        service_unavailable("the fuzzed server must share the test database: set DATABASE_URL to PostgreSQL")
    call_command("load_defaults", stdout=StringIO())
    user = make_user("fuzzer", CLINICIAN, PHYSICIAN, REPORT_STAFF)  # every operation, not only its 403
    _, secret = api_token_create(user=user, name="schemathesis")
    patient, _ = intake_import(doc=json.loads((EXAMPLES / "contraindicated-avm.json").read_text()))
    screening_run(patient=patient, requested_by=user)

    # Eager tasks in the server: a fuzzed PDF request renders in place instead of queueing for no worker.
    with gunicorn(
        DJANGO_ALLOWED_HOSTS="127.0.0.1", DJANGO_SECURE_SSL_REDIRECT="0", CELERY_BROKER_URL=""
    ) as base:
        result = subprocess.run(
            [
                venv_bin("schemathesis"),
                "run",
                f"{base}/api/v1/openapi.json",
                "--header",
                f"Authorization: Bearer {secret}",
                "--checks",
                CHECKS,
                "--max-examples",
                "25",
                "--seed",
                "20261202",
                "--request-timeout",
                "30",
                "--workers",
                "1",
            ],
            cwd=tmp_path,  # its example database (.hypothesis) goes to the throwaway folder
            env=child_env(SCHEMATHESIS_HOOKS="", NO_COLOR="1"),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    summary = result.stdout[-6000:] + result.stderr[-2000:]
    assert result.returncode == 0, summary
    assert " passed" in result.stdout, summary
