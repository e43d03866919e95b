"""`import_intake` and `export_intake`: the ketamine-intake/1 examples go in whole or not at all, come out
equal, and screen to the same verdict after the round trip."""

import json
import re
from datetime import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from patients.models import BloodPressureReading, Diagnosis, MedicationEntry, Patient
from screening.intake import validate_intake
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.django_db

EXPECTED = json.loads((EXAMPLES / "expected.json").read_text(encoding="utf-8"))
VALID = sorted(name for name, expected in EXPECTED.items() if "verdict" in expected)
REJECTED = "rejected-bad-input"
COMPARED = (
    "patient",
    "treatment_history",
    "psychiatric",
    "cardiovascular",
    "other_medical",
    "support",
    "diagnoses",
    "medications",
)


def example_path(name: str):
    return EXAMPLES / f"{name}.json"


def example(name: str) -> dict:
    return json.loads(example_path(name).read_text(encoding="utf-8"))


def import_intake(*paths) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_intake", *map(str, paths), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write(tmp_path, doc: dict, name: str = "intake.json"):
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def export_intake(tmp_path, mrn: str) -> dict:
    path = tmp_path / "exported.json"
    call_command(
        "export_intake", mrn, "--assessed-on", "2026-11-20", "--output", str(path), stdout=StringIO()
    )
    return json.loads(path.read_text(encoding="utf-8"))


def readings(valid: dict) -> list[tuple]:
    """Readings as instants and values: the export writes them in the server's time zone."""
    return [
        (datetime.fromisoformat(r["taken_at"]), r["systolic"], r["diastolic"], r["heart_rate"])
        for r in valid["blood_pressure"]
    ]


@pytest.mark.parametrize("name", VALID)
def test_importing_a_valid_example_creates_the_patient(name):
    doc = example(name)
    out, _ = import_intake(example_path(name))
    patient = Patient.objects.get()
    assert "created" in out
    assert (patient.mrn, patient.given_name, patient.family_name) == (
        doc["patient"]["mrn"],
        doc["patient"]["given_name"],
        doc["patient"]["family_name"],
    )
    assert (patient.diagnoses.count(), patient.medications.count(), patient.bp_readings.count()) == (
        len(doc["diagnoses"]),
        len(doc["medications"]["items"]),
        len(doc["blood_pressure"]),
    )


@pytest.mark.parametrize("name", VALID)
def test_importing_the_same_file_again_updates_without_duplicating(name):
    doc = example(name)
    import_intake(example_path(name))
    out, _ = import_intake(example_path(name))
    assert "updated" in out
    assert Patient.objects.count() == 1
    assert (
        Diagnosis.objects.count(),
        MedicationEntry.objects.count(),
        BloodPressureReading.objects.count(),
    ) == (len(doc["diagnoses"]), len(doc["medications"]["items"]), len(doc["blood_pressure"]))


def test_re_import_replaces_diagnoses_medications_and_readings(tmp_path, defaults):
    import_intake(example_path("eligible"))
    doc = example("eligible")
    doc["patient"]["weight_kg"] = 80
    doc["diagnoses"] = [{"icd10": "F32.2", "status": "active", "severity": "severe"}]
    doc["medications"]["items"] = [
        {"name": "Klonopin", "dose_mg": 0.5, "times_per_day": 2, "as_needed": False}
    ]
    doc["blood_pressure"] = [{"taken_at": "2026-11-20T09:00:00-07:00", "systolic": 130, "diastolic": 85}]
    import_intake(write(tmp_path, doc))
    patient = Patient.objects.get()
    assert patient.weight_kg == 80
    assert list(patient.diagnoses.values_list("icd10", flat=True)) == ["F32.2"]
    assert list(patient.medications.values_list("name", "formulary_entry__generic")) == [
        ("Klonopin", "clonazepam")
    ]
    assert list(patient.bp_readings.values_list("systolic", "diastolic")) == [(130, 85)]


def test_the_bad_example_is_rejected_whole_and_names_the_path():
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_intake", str(example_path(REJECTED)), stdout=StringIO(), stderr=err)
    assert EXPECTED[REJECTED]["reject"] == "blood_pressure[0].systolic"
    assert "blood_pressure[0].systolic" in err.getvalue()
    assert "nothing stored" in err.getvalue()
    assert (
        Patient.objects.count(),
        Diagnosis.objects.count(),
        MedicationEntry.objects.count(),
        BloodPressureReading.objects.count(),
    ) == (0, 0, 0, 0)


def test_a_bad_re_import_leaves_the_stored_patient_as_it_was(tmp_path):
    import_intake(example_path("eligible"))
    doc = example("eligible")
    doc["diagnoses"] = []
    doc["blood_pressure"][0]["systolic"] = 400
    with pytest.raises(CommandError):
        import_intake(write(tmp_path, doc))
    assert Diagnosis.objects.count() == 1
    assert sorted(BloodPressureReading.objects.values_list("systolic", flat=True)) == [122, 126]


def test_with_one_bad_file_among_several_the_good_ones_are_stored():
    err = StringIO()
    files = [example_path("eligible"), example_path(REJECTED), example_path("contraindicated-avm")]
    with pytest.raises(CommandError, match="1 of 3 file"):
        call_command("import_intake", *map(str, files), stdout=StringIO(), stderr=err)
    assert sorted(Patient.objects.values_list("mrn", flat=True)) == sorted(
        [example("eligible")["patient"]["mrn"], example("contraindicated-avm")["patient"]["mrn"]]
    )
    assert not Patient.objects.filter(mrn=example(REJECTED)["patient"]["mrn"]).exists()
    assert "blood_pressure[0].systolic" in err.getvalue()


def test_unreadable_and_malformed_files_are_reported(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError, match="2 of 2 file"):
        call_command(
            "import_intake", str(broken), str(tmp_path / "missing.json"), stdout=StringIO(), stderr=err
        )
    assert "not valid JSON" in err.getvalue()
    assert "cannot read" in err.getvalue()


@pytest.mark.parametrize("name", VALID)
def test_export_passes_validation_and_equals_what_was_imported(tmp_path, name):
    import_intake(example_path(name))
    exported = validate_intake(export_intake(tmp_path, example(name)["patient"]["mrn"]))
    imported = validate_intake(example(name))
    assert {key: exported[key] for key in COMPARED} == {key: imported[key] for key in COMPARED}
    assert readings(exported) == readings(imported)
    assert exported["assessed_on"] == "2026-11-20"


@pytest.mark.parametrize("name", VALID)
def test_round_trip_screens_to_the_expected_verdict(tmp_path, defaults, name):
    import_intake(example_path(name))
    path = tmp_path / "exported.json"
    call_command(
        "export_intake",
        example(name)["patient"]["mrn"],
        "--assessed-on",
        "2026-11-20",
        "--output",
        str(path),
        stdout=StringIO(),
    )
    out = StringIO()
    call_command("screen", str(path), stdout=out, stderr=StringIO())
    report = json.loads(out.getvalue())
    assert report["verdict"] == EXPECTED[name]["verdict"]
    assert set(EXPECTED[name]["has"]) <= {finding["rule"] for finding in report["findings"]}


def test_export_of_an_unknown_mrn_is_an_error():
    with pytest.raises(CommandError, match="no patient with MRN KT-9999"):
        call_command("export_intake", "KT-9999", stdout=StringIO())


def test_export_refuses_a_malformed_date(patient):
    with pytest.raises(CommandError, match="--assessed-on must be YYYY-MM-DD"):
        call_command("export_intake", patient.mrn, "--assessed-on", "20/11/2026", stdout=StringIO())


def test_export_writes_to_stdout_without_output(patient):
    out = StringIO()
    call_command("export_intake", patient.mrn, "--assessed-on", "2026-11-20", stdout=out)
    assert json.loads(out.getvalue())["patient"]["mrn"] == patient.mrn


def test_export_download_is_an_attachment_named_by_id_only(clinician_client):
    import_intake(example_path("eligible"))
    patient = Patient.objects.get()
    response = clinician_client.get(reverse("patients:export", args=[patient.pk]))
    disposition = response["Content-Disposition"]
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert re.fullmatch(rf'attachment; filename="[a-z-]*{patient.pk}\.json"', disposition)
    assert validate_intake(json.loads(response.content))["patient"]["mrn"] == patient.mrn


def test_patient_page_links_to_the_export(clinician_client, patient):
    response = clinician_client.get(reverse("patients:detail", args=[patient.pk]))
    assert (
        f'href="{reverse("patients:export", args=[patient.pk])}">Export intake JSON'.encode()
        in response.content
    )


def _doc_with(**changes):
    import copy

    doc = copy.deepcopy(json.loads((EXAMPLES / "eligible.json").read_text()))
    for key, value in changes.items():
        doc[key] = value
    return doc


def test_import_refuses_a_code_outside_the_icd10_list_naming_its_path(defaults, tmp_path):
    path = tmp_path / "unknown-code.json"
    path.write_text(
        json.dumps(
            _doc_with(
                diagnoses=[{"icd10": "F33.2", "status": "active"}, {"icd10": "F99.99", "status": "active"}]
            )
        )
    )
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_intake", str(path), stdout=StringIO(), stderr=err)
    assert "diagnoses[1].icd10: F99.99 is not in the ICD-10-CM code list" in err.getvalue()
    assert not Patient.objects.exists()


def test_import_refuses_the_same_code_twice_naming_its_path(defaults, tmp_path):
    path = tmp_path / "twice.json"
    path.write_text(json.dumps(_doc_with(diagnoses=[{"icd10": "F33.2"}, {"icd10": "f33.2"}])))
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_intake", str(path), stdout=StringIO(), stderr=err)
    assert "diagnoses[1].icd10: F33.2 is listed twice" in err.getvalue()
    assert not Patient.objects.exists()


def test_export_finds_the_patient_whatever_the_case_of_the_mrn(defaults, tmp_path):
    call_command("import_intake", str(EXAMPLES / "eligible.json"), stdout=StringIO())
    out = tmp_path / "x.json"
    call_command("export_intake", "kt-0001", "-o", str(out))
    assert json.loads(out.read_text())["patient"]["mrn"] == "KT-0001"
