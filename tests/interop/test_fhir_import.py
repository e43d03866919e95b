"""Importing FHIR: interop.services.fhir_import, POST /api/v1/fhir/Bundle and `manage.py import_fhir`. A
Bundle goes in whole or not at all; what it holds beyond the intake is listed; refusals name FHIR paths."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from core.models import AuditEvent
from interop.fhir import codes
from interop.fhir.read import FhirInvalid
from interop.services import fhir_import
from patients.models import Patient
from tests.api.conftest import ApiClient, bearer
from tests.defaults_snapshot import load_defaults_for_test

from .fhir_builders import (
    EHR_MRN_SYSTEM,
    bundle,
    condition,
    ehr_bundle,
    ehr_resources,
    measured,
    patient,
    questionnaires,
)

pytestmark = pytest.mark.django_db

EHR_UNMAPPED = [
    {
        "path": "entry[0].resource.gender",
        "message": "Patient.gender: not read (administrative gender is not sex at birth)",
    },
    {"path": "entry[2].resource", "message": "Condition: no ICD-10-CM code (SNOMED CT 38341003); not mapped"},
    {
        "path": "entry[8].resource",
        "message": "AllergyIntolerance: not mapped (the intake has no place for it)",
    },
]


@pytest.fixture
def defaults(db):
    load_defaults_for_test()


@pytest.fixture(autouse=True)
def ehr_mrn_system(settings, on_assessment_day):
    """The EHR's MRN system is configured (FHIR_MRN_SYSTEMS); today is 2026-11-20 (the examples' day)."""
    settings.FHIR_MRN_SYSTEMS = [EHR_MRN_SYSTEM]


def refused(value, **kwargs) -> list[tuple[str, str]]:
    with pytest.raises(FhirInvalid) as exc:
        fhir_import(bundle=value, **kwargs)
    return [(p["path"], p["message"]) for p in exc.value.problems]


def with_resource(index: int, resource: dict) -> dict:
    resources = ehr_resources()
    resources[index] = resource
    return bundle(resources)


# ------------------------------------------------------------------------------------------------ service


def test_an_ehr_bundle_creates_the_patient_with_every_answer_unknown_and_the_list_not_reconciled(
    defaults, clinician
):
    imported = fhir_import(bundle=ehr_bundle(), user=clinician)
    patient = Patient.objects.get()
    assert (imported.patient, imported.created, imported.unmapped, imported.notes) == (
        patient,
        True,
        EHR_UNMAPPED,
        [],
    )
    assert (patient.mrn, patient.given_name, patient.family_name, patient.sex_at_birth) == (
        "EHR-1001",
        "Beatriz",
        "Costa",
        "female",
    )
    assert (float(patient.weight_kg), float(patient.height_cm), patient.pregnancy) == (68.5, 165.0, "unknown")
    assert [(d.icd10, d.status, d.severity) for d in patient.diagnoses.all()] == [
        ("F33.1", "active", "moderate")
    ]
    assert sorted(m.name for m in patient.medications.all()) == ["Lorazepam", "Sertraline"]
    assert [(r.systolic, r.diastolic, r.heart_rate) for r in patient.bp_readings.all()] == [(128, 82, 72)]
    assert patient.medications_reconciled is False
    assert (patient.psychotic_symptoms_current, patient.escort_available, patient.hepatic_impairment) == (
        "unknown",
        "unknown",
        "unknown",
    )
    assert patient.failed_antidepressant_trials is None


def test_the_same_mrn_again_updates_the_patient(defaults):
    first = fhir_import(bundle=ehr_bundle()).patient
    again = fhir_import(bundle=with_resource(6, measured(codes.BODY_WEIGHT, 70, "kg")))
    assert (again.patient.pk, again.created, float(Patient.objects.get().weight_kg)) == (
        first.pk,
        False,
        70.0,
    )


OTHER_HOSPITAL = "https://other-hospital.example/fhir/sid/mrn"


def test_an_mrn_of_another_hospital_is_not_the_mrn_and_refuses_the_bundle(defaults, settings):
    fhir_import(bundle=ehr_bundle())
    settings.FHIR_MRN_SYSTEMS = []
    resources = ehr_resources()
    resources[0]["name"][1]["family"] = "Other"  # another hospital's patient who has the number EHR-1001
    [(path, message)] = refused(bundle(resources))
    assert path == "entry[0].resource.identifier" and message.startswith("no MRN")
    assert Patient.objects.get().family_name == "Costa"


def test_the_same_mrn_with_another_birth_date_or_family_name_is_refused_and_nothing_changes(defaults):
    fhir_import(bundle=ehr_bundle())
    born = with_resource(0, patient(birthDate="1980-05-14"))
    born_problem = (
        "entry[0].resource.birthDate",
        "differs from the date of birth of the patient recorded with this MRN: is this another patient? "
        "Nothing stored",
    )
    assert refused(born) == [born_problem]
    renamed = patient()
    renamed["name"][1]["family"] = "Castro"
    assert refused(with_resource(0, renamed)) == [
        (
            "entry[0].resource.name[1].family",
            "differs from the family name of the patient recorded with this MRN: is this another patient? "
            "Nothing stored",
        )
    ]
    stored = Patient.objects.get()
    assert (stored.date_of_birth.isoformat(), stored.family_name) == ("1979-05-14", "Costa")


@pytest.mark.parametrize("mrn", [" EHR-1001", "EHR-1001 ", "EHR-1001\n", "ehr-1001"])
def test_the_identity_check_finds_the_patient_the_import_would_update(defaults, mrn):
    """The MRN is looked up as intake_import reads it (trimmed, any case): spaces around it must not skip
    the check and let another patient's Bundle overwrite the record."""
    fhir_import(bundle=ehr_bundle())
    other = patient(birthDate="1990-01-01")
    other["identifier"][1]["value"] = mrn
    other["name"][1]["family"] = "Intruder"
    problems = refused(with_resource(0, other))
    assert [path for path, _ in problems] == [
        "entry[0].resource.birthDate",
        "entry[0].resource.name[1].family",
    ]
    stored = Patient.objects.get()
    assert (stored.date_of_birth.isoformat(), stored.family_name) == ("1979-05-14", "Costa")


@pytest.mark.parametrize(
    ("recorded", "sent"), [("Mu\u0308ller", "Müller"), ("García López", "garcía  LÓPEZ")]
)
def test_the_family_name_is_compared_in_one_unicode_form_ignoring_spaces(defaults, recorded, sent):
    first = patient()
    first["name"][1]["family"] = recorded
    fhir_import(bundle=with_resource(0, first))
    again = patient()
    again["name"][1]["family"] = sent
    assert fhir_import(bundle=with_resource(0, again)).created is False


def test_the_family_name_is_compared_ignoring_case(defaults):
    fhir_import(bundle=ehr_bundle())
    shouted = patient()
    shouted["name"][1]["family"] = "COSTA"
    assert fhir_import(bundle=with_resource(0, shouted)).created is False


def test_an_ehr_bundle_onto_a_known_patient_says_which_answers_it_resets_to_unknown(defaults, clinician):
    first = fhir_import(bundle=bundle([*ehr_resources(), *questionnaires()]), user=clinician)
    assert first.notes == []
    assert Patient.objects.get().medications_reconciled is True
    again = fhir_import(bundle=ehr_bundle(), user=clinician)
    assert again.notes == [
        {
            "path": "treatment_history",
            "message": "failed_antidepressant_trials: the record's answers are now unknown (the Bundle does "
            "not carry them)",
        },
        {
            "path": "psychiatric",
            "message": "suicidal_ideation: the record's answers are now unknown (the Bundle does not carry "
            "them)",
        },
        {
            "path": "support",
            "message": "escort_available: the record's answers are now unknown (the Bundle does not carry "
            "them)",
        },
        {
            "path": "medications.reconciled",
            "message": "the record's medication list was reconciled; the list imported is not reconciled",
        },
    ]
    stored = Patient.objects.get()
    assert (stored.suicidal_ideation, stored.medications_reconciled) == ("unknown", False)


def test_a_value_the_bundle_no_longer_reads_is_noted_when_it_resets_the_records(defaults):
    fhir_import(bundle=ehr_bundle())
    resources = ehr_resources()
    resources[6]["effectiveDateTime"] = "2012-05-01"  # too old to be read
    again = fhir_import(bundle=bundle(resources))
    assert again.notes == [
        {
            "path": "patient.weight_kg",
            "message": "the record's value is now unknown (the Bundle carries none that is read)",
        }
    ]
    assert Patient.objects.get().weight_kg is None


def test_the_import_is_recorded_in_the_audit_trail_as_an_intake_import_is(defaults, clinician):
    patient = fhir_import(bundle=ehr_bundle(), user=clinician).patient
    assert AuditEvent.objects.filter(action="create", patient_id=patient.pk, user_id=clinician.pk).exists()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (bundle([condition()]), [("entry", "no Patient: the input must describe exactly one patient")]),
        (
            bundle([patient(), patient(id="p2")]),
            [("entry[1].resource", "a second Patient: the input must describe exactly one patient")],
        ),
        ({"resourceType": "Patient"}, [("resourceType", "'Patient' is not Bundle")]),
        ([1, 2], [("document", "must be a FHIR Bundle (a JSON object)")]),
        (
            with_resource(0, patient(birthDate="14 May 1979")),
            [("entry[0].resource.birthDate", "Date value string does not match spec regex.")],
        ),
    ],
)
def test_a_refused_bundle_stores_nothing(defaults, value, expected):
    assert refused(value) == expected
    assert not Patient.objects.exists()


def test_a_patient_without_an_mrn_is_refused_at_its_identifiers(defaults):
    [(path, message)] = refused(
        bundle([patient(identifier=[{"system": "https://ehr.example/x", "value": "9"}])])
    )
    assert path == "entry[0].resource.identifier" and message.startswith("no MRN")
    assert not Patient.objects.exists()


def test_what_the_record_refuses_is_named_on_the_fhir_path_it_came_from(defaults):
    resources = ehr_resources()
    resources[0]["identifier"][1]["value"] = "EHR 1001"
    resources[5]["effectiveDateTime"] = "2099-01-01T09:00:00-07:00"
    resources[6]["valueQuantity"]["value"] = 500
    assert refused(bundle(resources)) == [
        (
            "entry[0].resource.identifier[1].value",
            "'EHR 1001' may hold only letters, digits and '-' (1-32 characters)",
        ),
        ("entry[6].resource.valueQuantity", "500 is above 350"),
        (
            "entry[5].resource.effectiveDateTime",
            f"2099-01-01T09:00:00-07:00 is after assessed_on {timezone.localdate().isoformat()}",
        ),
    ]
    assert not Patient.objects.exists()


def test_a_code_missing_from_the_icd10cm_list_is_named_on_its_coding(defaults):
    resources = ehr_resources()
    resources[1]["code"]["coding"][0]["code"] = "F99.99"
    assert refused(bundle(resources)) == [
        ("entry[1].resource.code.coding[0].code", "F99.99 is not in the ICD-10-CM code list")
    ]


def test_a_problem_without_a_fhir_value_of_its_own_is_named_on_the_nearest_one_with_its_intake_path(defaults):
    phq9 = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "questionnaire": codes.MEASURE_QUESTIONNAIRE + "phq9",
        "authored": "2026-11-13",
        "item": [{"linkId": str(n), "answer": [{"valueInteger": 1}]} for n in range(1, 9)],
    }
    assert refused(bundle([*ehr_resources(), phq9])) == [
        ("entry[9].resource", "measures[0].answers[8]: expected a whole number 0 to 3, got null")
    ]


# ------------------------------------------------------------------------------------------------ the API

URL = "/api/v1/fhir/Bundle"


@pytest.fixture
def api(client):
    return lambda user: ApiClient(client, bearer(user))


def post(api_client, value=None, *, body=None, content_type="application/json"):
    body = json.dumps(value) if body is None else body
    return api_client.client.post(URL, data=body, content_type=content_type, headers=api_client.headers)


def test_the_api_stores_a_bundle_and_lists_what_it_did_not_map(defaults, api, clinician):
    response = post(api(clinician), ehr_bundle())
    assert response.status_code == 201
    patient = Patient.objects.get()
    assert response.json() == {
        "patient_id": patient.pk,
        "mrn": "EHR-1001",
        "created": True,
        "unmapped": EHR_UNMAPPED,
        "notes": [],
    }


def test_the_api_lists_the_answers_an_update_resets(defaults, api, clinician):
    post(api(clinician), bundle([*ehr_resources(), *questionnaires()]))
    response = post(api(clinician), ehr_bundle())
    assert response.status_code == 201
    body = response.json()
    assert body["created"] is False
    assert [note["path"] for note in body["notes"]] == [
        "treatment_history",
        "psychiatric",
        "support",
        "medications.reconciled",
    ]


def test_the_api_refuses_another_patient_under_a_known_mrn_and_an_mrn_of_another_system(
    defaults, api, clinician, settings
):
    post(api(clinician), ehr_bundle())
    response = post(api(clinician), with_resource(0, patient(birthDate="1980-05-14")))
    assert response.status_code == 400
    assert [p["path"] for p in response.json()["errors"]] == ["entry[0].resource.birthDate"]
    settings.FHIR_MRN_SYSTEMS = []
    response = post(api(clinician), ehr_bundle())
    assert response.status_code == 400
    assert [p["path"] for p in response.json()["errors"]] == ["entry[0].resource.identifier"]
    assert Patient.objects.get().date_of_birth.isoformat() == "1979-05-14"


def test_the_api_reads_fhir_json_as_json(defaults, api, physician):
    response = post(api(physician), ehr_bundle(), content_type="application/fhir+json")
    assert response.status_code == 201


def test_the_api_refuses_a_bundle_by_fhir_path_and_stores_nothing(defaults, api, clinician):
    response = post(api(clinician), bundle([patient(identifier=[])]))
    assert response.status_code == 400
    [problem] = response.json()["errors"]
    assert problem["path"] == "entry[0].resource.identifier"
    assert not Patient.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "not valid JSON (line 1, column 2: Expecting property name enclosed in double quotes)"),
        (
            '{"resourceType": "Bundle", "resourceType": "Bundle"}',
            "this key appears more than once in its object",
        ),
    ],
)
def test_the_api_refuses_what_is_not_json(defaults, api, clinician, body, message):
    response = post(api(clinician), body=body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == message
    assert not Patient.objects.exists()


def test_the_api_needs_authentication(defaults, client):
    response = client.post(URL, data=json.dumps(ehr_bundle()), content_type="application/json")
    assert response.status_code == 401
    assert not Patient.objects.exists()


@pytest.mark.parametrize("role", ["report_staff", "rules_admin"])
def test_the_api_needs_a_role_that_edits_records(defaults, api, request, role):
    response = post(api(request.getfixturevalue(role)), ehr_bundle())
    assert response.status_code == 403
    assert not Patient.objects.exists()


def test_the_operation_is_in_the_schema_with_an_example_bundle(api, clinician):
    schema = api(clinician).get("/openapi.json").json()
    operation = schema["paths"][URL]["post"]
    body = operation["requestBody"]["content"]["application/json"]
    assert body["example"]["resourceType"] == "Bundle"
    assert {"201", "400", "401", "403"} <= set(operation["responses"])


# ------------------------------------------------------------------------------------------- the command


def import_fhir(*paths) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_fhir", *map(str, paths), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write(tmp_path, value, name="bundle.json"):
    path = tmp_path / name
    path.write_text(value if isinstance(value, str) else json.dumps(value), encoding="utf-8")
    return path


def test_the_command_imports_a_bundle_and_prints_what_it_did_not_map(defaults, tmp_path):
    path = write(tmp_path, ehr_bundle())
    out, err = import_fhir(path)
    patient = Patient.objects.get()
    assert out.splitlines() == [
        f"{path}: patient id {patient.pk} created",
        f"{path}: 3 not mapped:",
        *(f"  {item['path']}: {item['message']}" for item in EHR_UNMAPPED),
    ]
    assert err == ""


def test_the_command_prints_what_an_update_resets(defaults, tmp_path):
    import_fhir(write(tmp_path, bundle([*ehr_resources(), *questionnaires()]), "first.json"))
    path = write(tmp_path, ehr_bundle())
    out, _ = import_fhir(path)
    lines = out.splitlines()
    assert lines[0].endswith(" updated")
    assert f"{path}: 4 note(s) on the record:" in lines
    assert (
        "  medications.reconciled: the record's medication list was reconciled; "
        "the list imported is not reconciled"
    ) in lines


def test_the_command_exits_2_with_each_problem_by_path_and_still_imports_the_valid_files(defaults, tmp_path):
    good = write(tmp_path, ehr_bundle(), "good.json")
    bad = write(tmp_path, bundle([condition()]), "bad.json")
    broken = write(tmp_path, "{not json", "broken.json")
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import_fhir", str(bad), str(good), str(broken), stdout=out, stderr=err)
    assert exc.value.returncode == 2
    assert str(exc.value) == "2 of 3 file(s) rejected"
    assert err.getvalue().splitlines() == [
        f"{bad}: rejected, nothing stored; 1 problem(s):",
        "  entry: no Patient: the input must describe exactly one patient",
        f"{broken}: document: not valid JSON (line 1, column 2: Expecting property name enclosed in double quotes)",
    ]
    assert Patient.objects.get().mrn == "EHR-1001"
