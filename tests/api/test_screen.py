"""POST /api/v1/screen: a document in, the ketamine-screening/1 report out, nothing stored; the same report
the command line prints (`manage.py screen FILE`) and the verdicts of examples/expected.json."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from patients.models import Patient
from rules.models import RuleSet
from screening.models import Screening
from tests.conftest import EXAMPLES

from .conftest import example

pytestmark = pytest.mark.django_db

SCREENABLE = ["eligible", "contraindicated-avm", "deferred-bp-and-benzodiazepine", "needs-information"]


@pytest.mark.parametrize("name", SCREENABLE)
def test_each_example_gets_its_expected_verdict(clinician_api, defaults, expected, name):
    response = clinician_api.post("/screen", example(name))
    assert response.status_code == 200
    assert response.json()["verdict"] == expected[name]["verdict"]


@pytest.mark.parametrize("name", SCREENABLE)
def test_each_example_has_its_expected_findings(clinician_api, defaults, expected, name):
    report = clinician_api.post("/screen", example(name)).json()
    assert set(expected[name]["has"]) <= {f["rule"] for f in report["findings"]}


@pytest.mark.parametrize("name", SCREENABLE)
def test_the_report_is_the_one_the_command_line_prints(clinician_api, defaults, name):
    out = StringIO()
    call_command("screen", str(EXAMPLES / f"{name}.json"), stdout=out, stderr=StringIO())
    assert clinician_api.post("/screen", example(name)).json() == json.loads(out.getvalue())


def test_the_report_is_ketamine_screening_1(clinician_api, defaults):
    assert clinician_api.post("/screen", example("eligible")).json()["format"] == "ketamine-screening/1"


@pytest.mark.parametrize("name", SCREENABLE)
def test_screening_a_document_stores_nothing(clinician_api, defaults, name):
    clinician_api.post("/screen", example(name))
    assert (Patient.objects.count(), Screening.objects.count()) == (0, 0)


def test_screening_a_document_of_a_stored_patient_changes_nothing(clinician_api, import_example):
    patient = import_example("eligible")
    doc = example("eligible")
    doc["patient"]["given_name"] = "Someone else"
    clinician_api.post("/screen", doc)
    patient.refresh_from_db()
    assert (patient.given_name, Screening.objects.count()) == ("Ana", 0)


def test_the_rejected_example_is_400_at_its_path(clinician_api, defaults, expected):
    response = clinician_api.post("/screen", example("rejected-bad-input"))
    assert response.status_code == 400
    assert expected["rejected-bad-input"]["reject"] in [e["path"] for e in response.json()["errors"]]


def test_the_rejected_example_stores_nothing(clinician_api, defaults):
    clinician_api.post("/screen", example("rejected-bad-input"))
    assert (Patient.objects.count(), Screening.objects.count()) == (0, 0)


def test_without_an_active_rule_set_screening_is_409(clinician_api, defaults):
    RuleSet.objects.update(is_active=False)
    response = clinician_api.post("/screen", example("eligible"))
    assert response.status_code == 409
    assert "No active rule set" in response.json()["error"]


def test_an_invalid_document_is_400_even_without_an_active_rule_set(clinician_api, defaults):
    RuleSet.objects.update(is_active=False)
    assert clinician_api.post("/screen", example("rejected-bad-input")).status_code == 400
