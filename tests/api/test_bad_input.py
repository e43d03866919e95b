"""Bad input to the document operations (POST /intakes, POST /screen): 400 {"errors": [{"path", "message"}]}
naming every problem as the command line does, never a 500, nothing stored; a body over the limit is 413."""

import json
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from patients.models import Patient
from screening.intake import IntakeInvalid, validate_intake
from tests.conftest import EXAMPLES

from .conftest import changed, example

pytestmark = pytest.mark.django_db

DOCUMENT_OPERATIONS = ["/intakes", "/screen"]


def cli_problems(doc) -> list[dict[str, str]]:
    """What the command line (`manage.py screen`) reports for the document: every problem by path."""
    with pytest.raises(IntakeInvalid) as rejected:
        validate_intake(doc)
    return [problem.as_dict() for problem in rejected.value.problems]


def several_problems() -> dict:
    doc = changed("eligible", ("blood_pressure", 0, "systolic"), 400)
    doc["assessed_on"] = "2026-02-30"
    doc["patient"]["shoe_size"] = 42
    doc["psychiatric"]["mania_current"] = "maybe"
    del doc["patient"]["family_name"]
    return doc


# ---------------------------------------------------------------------------------------------- 400


@pytest.mark.parametrize(
    "doc",
    [
        example("rejected-bad-input"),
        several_problems(),
        changed("eligible", ("format",), "ketamine-intake/2"),
        changed("eligible", ("blood_pressure", 1, "taken_at"), "2026-11-20T08:46:00"),
        [],
        "an intake",
    ],
    ids=["rejected example", "several problems", "wrong format", "no UTC offset", "a list", "a string"],
)
@pytest.mark.parametrize("operation", DOCUMENT_OPERATIONS)
def test_an_invalid_document_is_400_with_the_problems_the_cli_names(clinician_api, defaults, doc, operation):
    response = clinician_api.post(operation, doc)
    assert response.status_code == 400
    assert response.json() == {"errors": cli_problems(doc)}


def test_the_rejected_example_names_the_systolic_reading(clinician_api, defaults, expected):
    response = clinician_api.post("/intakes", example("rejected-bad-input"))
    assert expected["rejected-bad-input"]["reject"] in [e["path"] for e in response.json()["errors"]]


def test_the_problems_read_as_the_lines_the_cli_prints(clinician_api, defaults):
    printed = StringIO()
    with pytest.raises(SystemExit):
        call_command("screen", str(EXAMPLES / "rejected-bad-input.json"), stdout=StringIO(), stderr=printed)
    errors = clinician_api.post("/intakes", example("rejected-bad-input")).json()["errors"]
    assert [f"{e['path']}: {e['message']}" for e in errors] == [
        line.strip() for line in printed.getvalue().splitlines()[1:]
    ]


def test_every_problem_is_named_at_once(clinician_api, defaults):
    paths = [e["path"] for e in clinician_api.post("/intakes", several_problems()).json()["errors"]]
    assert {"assessed_on", "blood_pressure[0].systolic", "patient.family_name", "patient.shoe_size"} <= set(
        paths
    )


@pytest.mark.parametrize("doc", [example("rejected-bad-input"), several_problems()])
def test_nothing_is_stored_from_an_invalid_document(clinician_api, defaults, doc):
    clinician_api.post("/intakes", doc)
    assert Patient.objects.count() == 0


def test_an_invalid_update_leaves_the_stored_patient_as_it_was(clinician_api, defaults):
    clinician_api.post("/intakes", example("eligible"))
    doc = changed("rejected-bad-input", ("patient", "mrn"), "KT-0001")
    assert clinician_api.post("/intakes", doc).status_code == 400
    assert Patient.objects.get().given_name == "Ana"


def test_an_unknown_icd10_code_is_400_by_its_path(clinician_api, defaults):
    response = clinician_api.post("/intakes", changed("eligible", ("diagnoses", 0, "icd10"), "F99.99"))
    assert response.status_code == 400
    assert [e["path"] for e in response.json()["errors"]] == ["diagnoses[0].icd10"]


@pytest.mark.parametrize(
    "body", ["{", "", "not json", b"\xff\xfe{}"], ids=["cut", "empty", "words", "not utf-8"]
)
@pytest.mark.parametrize("operation", DOCUMENT_OPERATIONS)
def test_a_body_that_is_not_json_is_400_at_the_document(clinician_api, defaults, body, operation):
    response = clinician_api.post(operation, body=body)
    assert response.status_code == 400
    [problem] = response.json()["errors"]
    assert problem["path"] == "document"
    assert problem["message"].startswith(("not valid JSON", "not UTF-8 text"))


@pytest.mark.parametrize("operation", DOCUMENT_OPERATIONS)
def test_a_deeply_nested_body_is_400_not_500(clinician_api, defaults, operation):
    response = clinician_api.post(operation, body='{"patient": ' + "[" * 5000 + "]" * 5000 + "}")
    assert response.status_code == 400


def in_the_year_9999(taken_at: str) -> dict:
    """The eligible example assessed on the last storable day, with its first reading at `taken_at`."""
    doc = changed("eligible", ("assessed_on",), "9999-12-31")
    doc["patient"]["date_of_birth"] = "9950-01-01"
    doc["blood_pressure"][0]["taken_at"] = taken_at
    return doc


@pytest.mark.parametrize(
    "doc",
    [
        changed("eligible", ("blood_pressure", 0, "taken_at"), "0001-01-01T00:00:00+05:00"),
        in_the_year_9999("9999-12-31T23:00:00-05:00"),
    ],
    ids=["before year 1 in UTC", "after year 9999 in UTC"],
)
def test_a_reading_outside_the_storable_time_range_is_400_not_500(clinician_api, defaults, doc):
    response = clinician_api.post("/intakes", doc)
    assert response.status_code == 400


UNSTORABLE_AT = {
    "patient.given_name": ("patient", "given_name"),
    "patient.sex_at_birth": ("patient", "sex_at_birth"),
    "assessed_on": ("assessed_on",),
    "blood_pressure[0].taken_at": ("blood_pressure", 0, "taken_at"),
    "psychiatric.mania_current": ("psychiatric", "mania_current"),
    "medications.items[0].name": ("medications", "items", 0, "name"),
    "diagnoses[0].icd10": ("diagnoses", 0, "icd10"),
    "patient.mrn": ("patient", "mrn"),
}


@pytest.mark.parametrize("character", ["\u0000", "\ud800"], ids=["NUL", "lone surrogate"])
@pytest.mark.parametrize("path", list(UNSTORABLE_AT))
@pytest.mark.parametrize("operation", DOCUMENT_OPERATIONS)
def test_an_unstorable_character_is_400_at_its_path(clinician_api, defaults, character, path, operation):
    response = clinician_api.post(operation, changed("eligible", UNSTORABLE_AT[path], f"Ana{character}"))
    assert response.status_code == 400
    assert path in [e["path"] for e in response.json()["errors"]]


@pytest.mark.parametrize("character", ["\u0000", "\ud800"], ids=["NUL", "lone surrogate"])
def test_an_unstorable_character_in_a_field_name_is_400(clinician_api, defaults, character):
    doc = changed("eligible", ("patient", f"x{character}"), "y")
    response = clinician_api.post("/intakes", doc)
    assert response.status_code == 400
    # the reader refuses the key itself, at the path the validator names it by
    assert [e["path"] for e in response.json()["errors"]] == [p["path"] for p in cli_problems(doc)]


def test_a_lone_surrogate_is_refused_as_sent_in_a_json_escape(clinician_api, defaults):
    body = json.dumps(example("eligible")).replace('"Ana"', '"Ana\\ud800"')
    response = clinician_api.post("/intakes", body=body)
    assert response.json()["errors"] == [
        {"path": "patient.given_name", "message": "contains an invalid character (a lone UTF-16 surrogate)"}
    ]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("patient", "given_name"), "A" * 101),
        (("patient", "family_name"), "S" * 10_000),
        (("patient", "mrn"), "K" * 33),
        (("medications", "items", 0, "name"), "x" * 500_000),
    ],
    ids=["given name", "family name", "mrn", "medication name"],
)
@pytest.mark.parametrize("operation", DOCUMENT_OPERATIONS)
def test_an_over_long_string_is_400(clinician_api, defaults, path, value, operation):
    doc = changed("eligible", path, value)
    response = clinician_api.post(operation, doc)
    assert response.status_code == 400
    assert response.json() == {"errors": cli_problems(doc)}


# ---------------------------------------------------------------------------------------------- 413


def body_of(size: int) -> str:
    """The eligible example, its given name padded so that the body is exactly `size` bytes."""
    doc = changed("eligible", ("patient", "given_name"), "")
    return json.dumps(doc).replace(
        '"given_name": ""', '"given_name": "' + "A" * (size - len(json.dumps(doc))) + '"'
    )


def test_a_body_over_the_limit_is_413(clinician_api, defaults):
    response = clinician_api.post("/intakes", body=body_of(settings.API_MAX_BODY_BYTES + 1))
    assert response.status_code == 413
    assert set(response.json()) == {"error"}


def test_a_body_over_the_limit_stores_nothing(clinician_api, defaults):
    clinician_api.post("/intakes", body=body_of(settings.API_MAX_BODY_BYTES + 1))
    assert Patient.objects.count() == 0


def test_a_body_at_the_limit_is_read(clinician_api, defaults):
    response = clinician_api.post("/intakes", body=body_of(settings.API_MAX_BODY_BYTES))
    assert response.status_code == 400
    assert [e["path"] for e in response.json()["errors"]] == ["patient.given_name"]


@pytest.mark.parametrize("path", ["/intakes", "/screen", "/screenings/1/overrides"])
def test_the_limit_applies_to_every_write(clinician_api, defaults, path):
    assert clinician_api.post(path, body=body_of(settings.API_MAX_BODY_BYTES + 1)).status_code == 413
