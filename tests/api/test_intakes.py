"""POST /api/v1/intakes (create or update a patient from ketamine-intake/1, all or nothing) and
GET /api/v1/patients/{id}/intake (the record back as ketamine-intake/1). Bad input: test_bad_input.py."""

from datetime import datetime

import pytest
from django.db import IntegrityError
from django.utils import timezone

from patients.models import Patient
from screening.intake import validate_intake

from .conftest import changed, example

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------------------------------------- storing


def test_a_new_mrn_creates_a_patient(clinician_api, defaults):
    response = clinician_api.post("/intakes", example("eligible"))
    assert response.status_code == 201
    patient = Patient.objects.get()
    assert response.json() == {"patient_id": patient.pk, "mrn": "KT-0001", "created": True}


def test_the_same_mrn_again_updates_that_patient(clinician_api, defaults):
    first = clinician_api.post("/intakes", example("eligible")).json()
    second = clinician_api.post("/intakes", changed("eligible", ("patient", "given_name"), "Anna"))
    assert second.status_code == 201
    assert second.json() == {"patient_id": first["patient_id"], "mrn": "KT-0001", "created": False}
    assert Patient.objects.get().given_name == "Anna"


def test_the_mrn_matches_whatever_its_case(clinician_api, defaults):
    first = clinician_api.post("/intakes", example("eligible")).json()
    second = clinician_api.post("/intakes", changed("eligible", ("patient", "mrn"), "kt-0001")).json()
    assert second["patient_id"] == first["patient_id"]
    assert second["created"] is False


def test_a_record_the_database_refuses_is_409(clinician_api, defaults, monkeypatch):
    # e.g. the same new MRN sent twice at once: the second insert breaks the unique MRN
    def refused(**kwargs):
        raise IntegrityError("UNIQUE constraint failed: patients_patient.mrn")

    monkeypatch.setattr("api.views.intake.intake_import", refused)
    response = clinician_api.post("/intakes", example("eligible"))
    assert response.status_code == 409
    assert "nothing stored" in response.json()["error"]


# ---------------------------------------------------------------------------------------------- reading


def comparable(doc) -> dict:
    """The document as the server understands it; a reading's time as an instant (it is stored in UTC)."""
    valid = validate_intake(doc)
    valid["blood_pressure"] = [
        {**r, "taken_at": datetime.fromisoformat(r["taken_at"])} for r in valid["blood_pressure"]
    ]
    return valid


@pytest.fixture
def stored_eligible(clinician_api, defaults):
    return clinician_api.post("/intakes", example("eligible")).json()["patient_id"]


def test_a_record_reads_back_as_the_document_it_came_from(clinician_api, stored_eligible):
    response = clinician_api.get(f"/patients/{stored_eligible}/intake", {"assessed_on": "2026-11-20"})
    assert response.status_code == 200
    assert comparable(response.json()) == comparable(example("eligible"))


@pytest.mark.parametrize(
    "section",
    [
        "patient",
        "diagnoses",
        "treatment_history",
        "psychiatric",
        "cardiovascular",
        "other_medical",
        "support",
    ],
)
def test_each_section_reads_back_as_sent(clinician_api, stored_eligible, section):
    read = clinician_api.get(f"/patients/{stored_eligible}/intake", {"assessed_on": "2026-11-20"}).json()
    sent = example("eligible")[section]
    if section == "diagnoses":  # a diagnosis without a note reads back with its documented default, ""
        sent = [{"note": "", **diagnosis} for diagnosis in sent]
    assert read[section] == sent


def test_the_record_is_read_as_ketamine_intake_1_of_today_by_default(clinician_api, stored_eligible):
    read = clinician_api.get(f"/patients/{stored_eligible}/intake").json()
    assert (read["format"], read["assessed_on"]) == ("ketamine-intake/1", timezone.localdate().isoformat())


def test_an_unknown_patient_is_404(clinician_api, defaults):
    response = clinician_api.get("/patients/999999/intake")
    assert response.status_code == 404
    assert set(response.json()) == {"error"}


@pytest.mark.parametrize("patient_id", [2**63, 10**30, 0, -1, "abc"])
def test_an_id_outside_the_database_range_is_400(clinician_api, defaults, patient_id):
    response = clinician_api.get(f"/patients/{patient_id}/intake")
    assert response.status_code == 400
    assert [e["path"] for e in response.json()["errors"]] == ["patient_id"]


def test_the_largest_id_is_simply_not_found(clinician_api, defaults):
    assert clinician_api.get(f"/patients/{2**63 - 1}/intake").status_code == 404


def test_an_invalid_assessment_date_is_400(clinician_api, stored_eligible):
    response = clinician_api.get(f"/patients/{stored_eligible}/intake", {"assessed_on": "2026-13-01"})
    assert response.status_code == 400
    assert [e["path"] for e in response.json()["errors"]] == ["assessed_on"]
