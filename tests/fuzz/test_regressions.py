"""The worst inputs of the mutation run before issue 15, kept as explicit cases: through the command line
(exit 2, every problem named by a non-empty path, never a traceback) and the API (400, every error with a
non-empty path), nothing stored; and the database refuses a date it could not give back."""

import json
import re
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from django.urls import reverse

from patients.models import BloodPressureReading, Patient
from tests.api.conftest import API, bearer
from tests.patients.factories import PatientFactory

from .mutations import example

pytestmark = pytest.mark.django_db


def document(path: tuple = (), value=None, *, text: str = "") -> bytes:
    """The eligible example with one value replaced, as UTF-8 JSON (a "\\ud800" stays an escape), or
    `text` put in place of the first reading's "systolic" number when given."""
    doc = example("eligible")
    if path:
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    raw = json.dumps(doc)
    if text:
        raw = raw.replace('"systolic": 126', f'"systolic": {text}', 1)
    return raw.encode("utf-8")


NUL = "\x00"
CASES = {
    "nested 1,100 levels": b'{"format": ' + b"[" * 1100 + b"]" * 1100 + b"}",
    "nested 100,000 levels": b"[" * 100_000 + b"]" * 100_000,
    "not UTF-8": b'{"format": "ketamine-intake/1", "note": "\xff\xfe"}',
    "a UTF-8 byte-order mark": b"\xef\xbb\xbf" + document(),
    "a 5,000-digit integer": document(text="9" * 5000),
    "a 21-digit integer": document(text="9" * 21),
    "NaN": document(text="NaN"),
    "1e400": document(text="1e400"),
    "assessed_on in year 1": document(("assessed_on",), "0001-01-01"),
    "assessed_on in year 9999": document(("assessed_on",), "9999-12-31"),
    "date_of_birth in year 1": document(("patient", "date_of_birth"), "0001-01-01"),
    "NUL in a name": document(("patient", "given_name"), f"Ana{NUL}"),
    "NUL in a note": document(("diagnoses", 0, "note"), f"a{NUL}b"),
    "NUL in a key": document(("patient", f"x{NUL}"), "y"),
    "a lone surrogate in a name": document(("patient", "family_name"), "Silva\ud800"),
    "a lone surrogate in a key": document(("\udc00",), 1),
    "an empty key": document(("",), 1),
    "an empty key in a section": document(("psychiatric", ""), "yes"),
    "a repeated key": document().replace(b'"given_name": "Ana"', b'"given_name": "Ana", "given_name": "Eve"'),
    "taken_at 0001-01-01T00:00:00+14:00": document(
        ("blood_pressure", 0, "taken_at"), "0001-01-01T00:00:00+14:00"
    ),
    "taken_at 9999-12-31T23:59:59-12:00": document(
        ("blood_pressure", 0, "taken_at"), "9999-12-31T23:59:59-12:00"
    ),
    "taken_at 1900-01-01T00:00:00+14:00 (1899 in UTC)": document(
        ("blood_pressure", 0, "taken_at"), "1900-01-01T00:00:00+14:00"
    ),
    "taken_at the day after assessed_on": document(
        ("blood_pressure", 0, "taken_at"), "2026-11-21T00:00:00+14:00"
    ),
    "a 100,000-character name": document(("patient", "given_name"), "A" * 100_000),
    "a medication name of 201 characters": document(("medications", "items", 0, "name"), "A" * 201),
}
# "file: path: message" for an unreadable document; "  path: message" under "file: rejected, ..."
PROBLEM_LINE = re.compile(r"^\s*[^\s:][^:]*: \S")


def problem_lines(stderr: str, source: str) -> list[str]:
    lines = stderr.strip().splitlines()
    if "rejected" in lines[0]:
        return lines[1:]
    return [lines[0].removeprefix(f"{source}: ")]


@pytest.fixture
def intake_file(tmp_path):
    def write(raw: bytes) -> str:
        path = tmp_path / "intake.json"
        path.write_bytes(raw)
        return str(path)

    return write


@pytest.fixture
def api(client, clinician):
    headers = bearer(clinician)

    def post(operation: str, raw: bytes):
        return client.post(API + operation, data=raw, content_type="application/json", headers=headers)

    return post


@pytest.mark.parametrize("raw", CASES.values(), ids=CASES.keys())
def test_screen_exits_2_naming_a_path(defaults, intake_file, raw):
    source, err = intake_file(raw), StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("screen", source, stdout=StringIO(), stderr=err)
    assert exited.value.code == 2
    lines = problem_lines(err.getvalue(), source)
    assert lines and all(PROBLEM_LINE.match(line) for line in lines), err.getvalue()


@pytest.mark.parametrize("raw", CASES.values(), ids=CASES.keys())
def test_import_intake_exits_2_naming_a_path_and_stores_nothing(defaults, intake_file, raw):
    source, err = intake_file(raw), StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("import_intake", source, stdout=StringIO(), stderr=err)
    assert failed.value.returncode == 2
    lines = problem_lines(err.getvalue(), source)
    assert lines and all(PROBLEM_LINE.match(line) for line in lines), err.getvalue()
    assert Patient.objects.count() == 0


@pytest.mark.parametrize("raw", CASES.values(), ids=CASES.keys())
@pytest.mark.parametrize("operation", ["/screen", "/intakes"])
def test_the_api_answers_400_naming_a_path_and_stores_nothing(defaults, api, raw, operation):
    response = api(operation, raw)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors and all(error["path"] and error["message"] for error in errors)
    assert Patient.objects.count() == 0


def test_a_reading_at_the_end_of_assessed_on_in_its_own_offset_is_accepted(defaults, api):
    raw = document(("blood_pressure", 0, "taken_at"), "2026-11-20T23:59:59-12:00")
    assert api("/intakes", raw).status_code == 201


@pytest.mark.parametrize("taken_at", [datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC)])
def test_the_database_refuses_a_reading_outside_1900_to_2100(db, taken_at):
    patient = PatientFactory()
    reading = BloodPressureReading(patient=patient, taken_at=taken_at, systolic=120, diastolic=80)
    with pytest.raises(ValidationError):
        reading.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        reading.save()


def test_the_database_refuses_a_date_of_birth_outside_1900_to_2100(db):
    patient = PatientFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Patient.objects.filter(pk=patient.pk).update(date_of_birth="1899-12-31")


@pytest.mark.parametrize("taken_on", ["0001-01-01", "9999-12-31", "1899-12-31"])
def test_a_reading_time_outside_1900_to_2100_is_a_field_error(clinician_client, taken_on):
    patient = PatientFactory()
    response = clinician_client.post(
        reverse("patients:reading_add", kwargs={"pk": patient.pk}),
        {"taken_on": taken_on, "taken_time": "23:59", "systolic": "120", "diastolic": "80"},
    )
    assert response.status_code == 400
    assert response.context["bp_form"].errors["taken_on"] == ["Enter a date from 1900-01-01 to 2100-12-31."]
    assert not BloodPressureReading.objects.exists()
