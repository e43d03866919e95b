"""Diagnoses: ICD-10-CM codes checked against the simple-icd-10-cm list, normalised, one per code per
patient, with the official description stored."""

import pytest
from django.urls import reverse

from patients.models import Diagnosis

from .factories import DiagnosisFactory, PatientFactory
from .pages import input_value, shows

pytestmark = pytest.mark.django_db

F33_2 = "Major depressive disorder, recurrent severe without psychotic features"


def add_diagnosis(client, patient, icd10, **values):
    data = {"icd10": icd10, "status": "active", "severity": "severe", "note": "", **values}
    return client.post(reverse("patients:diagnosis_add", args=[patient.pk]), data)


@pytest.mark.parametrize("typed", ["F33.2", "f332", "f33.2", " F33.2 ", "F332"])
def test_listed_code_is_stored_normalised_with_its_description(clinician_client, patient, typed):
    response = add_diagnosis(clinician_client, patient, typed)
    diagnosis = Diagnosis.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:detail", args=[patient.pk]) + "#diagnoses"
    assert (diagnosis.patient, diagnosis.icd10, diagnosis.description) == (patient, "F33.2", F33_2)


def test_status_severity_and_note_are_stored(clinician_client, patient):
    add_diagnosis(
        clinician_client,
        patient,
        "F31.81",
        status="in_remission",
        severity="moderate",
        note="Bipolar II, euthymic",
    )
    diagnosis = Diagnosis.objects.get()
    assert (diagnosis.icd10, diagnosis.status, diagnosis.severity, diagnosis.note) == (
        "F31.81",
        "in_remission",
        "moderate",
        "Bipolar II, euthymic",
    )


def test_patient_page_shows_the_code_and_its_description(clinician_client, patient):
    add_diagnosis(clinician_client, patient, "F33.2")
    response = clinician_client.get(reverse("patients:detail", args=[patient.pk]))
    assert b"<code>F33.2</code>" in response.content
    assert F33_2.encode() in response.content


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("F33.9999", "'F33.9999' is not in the ICD-10-CM code list."),
        ("f33.99", "'F33.99' is not in the ICD-10-CM code list."),
        ("Z99.99", "'Z99.99' is not in the ICD-10-CM code list."),
        ("F3", "'F3' is not an ICD-10-CM code (a letter, two digits, then optional characters, e.g. F33.2)."),
        (
            "33.2",
            "'33.2' is not an ICD-10-CM code (a letter, two digits, then optional characters, e.g. F33.2).",
        ),
        (
            "F33-2",
            "'F33-2' is not an ICD-10-CM code (a letter, two digits, then optional characters, e.g. F33.2).",
        ),
        ("", "This field is required."),
    ],
)
def test_code_outside_the_list_is_refused_with_a_message(clinician_client, patient, typed, message):
    response = add_diagnosis(clinician_client, patient, typed)
    assert response.status_code == 400
    assert response.context["diagnosis_form"].errors["icd10"] == [message]
    assert shows(response, message)
    assert Diagnosis.objects.count() == 0


def test_refused_diagnosis_keeps_the_entered_values(clinician_client, patient):
    response = add_diagnosis(clinician_client, patient, "F33.9999", note="from referral letter")
    assert (input_value(response, "icd10"), input_value(response, "note")) == (
        "F33.9999",
        "from referral letter",
    )


def test_the_same_code_twice_for_one_patient_is_refused(clinician_client, patient):
    DiagnosisFactory(patient=patient, icd10="F33.2")
    response = add_diagnosis(clinician_client, patient, "f332")
    assert response.status_code == 400
    assert response.context["diagnosis_form"].errors["icd10"] == [
        "F33.2 is already recorded for this patient."
    ]
    assert Diagnosis.objects.count() == 1


def test_the_same_code_for_another_patient_is_accepted(clinician_client, patient):
    DiagnosisFactory(patient=PatientFactory(), icd10="F33.2")
    assert add_diagnosis(clinician_client, patient, "F33.2").status_code == 302
    assert Diagnosis.objects.filter(patient=patient).count() == 1


def edit_diagnosis(client, diagnosis, icd10, **values):
    from patients.selectors import diagnosis_fingerprint

    data = {
        "icd10": icd10,
        "status": "active",
        "severity": "severe",
        "note": "",
        "seen": diagnosis_fingerprint(diagnosis),
        **values,
    }
    return client.post(reverse("patients:diagnosis_edit", args=[diagnosis.patient_id, diagnosis.pk]), data)


def test_editing_a_diagnosis_keeps_its_own_code_and_updates_the_rest(clinician_client, patient):
    diagnosis = DiagnosisFactory(patient=patient, icd10="F33.2")
    response = edit_diagnosis(clinician_client, diagnosis, "F33.2", status="in_remission")
    diagnosis.refresh_from_db()
    assert response.status_code == 302
    assert (diagnosis.icd10, diagnosis.status) == ("F33.2", "in_remission")


def test_changing_a_code_stores_the_new_description(clinician_client, patient):
    diagnosis = DiagnosisFactory(patient=patient, icd10="F33.2")
    edit_diagnosis(clinician_client, diagnosis, "f331")
    diagnosis.refresh_from_db()
    assert (diagnosis.icd10, diagnosis.description) == (
        "F33.1",
        "Major depressive disorder, recurrent, moderate",
    )


def test_editing_to_a_code_the_patient_already_has_is_refused(clinician_client, patient):
    DiagnosisFactory(patient=patient, icd10="F33.2")
    second = DiagnosisFactory(patient=patient, icd10="F41.1")
    response = edit_diagnosis(clinician_client, second, "F33.2")
    assert response.status_code == 400
    assert response.context["form"].errors["icd10"] == ["F33.2 is already recorded for this patient."]
    second.refresh_from_db()
    assert second.icd10 == "F41.1"


def test_removing_a_diagnosis_deletes_it(clinician_client, patient):
    diagnosis = DiagnosisFactory(patient=patient)
    response = clinician_client.post(reverse("patients:diagnosis_delete", args=[patient.pk, diagnosis.pk]))
    assert response.status_code == 302
    assert Diagnosis.objects.count() == 0


def test_a_diagnosis_changed_by_someone_else_meanwhile_is_not_overwritten(clinician_client, patient):
    from patients.models import Diagnosis
    from patients.selectors import diagnosis_fingerprint

    dx = Diagnosis.objects.create(patient=patient, icd10="F33.2", status="active", severity="severe")
    opened = diagnosis_fingerprint(dx)
    Diagnosis.objects.filter(pk=dx.pk).update(note="changed by another clinician")
    response = clinician_client.post(
        reverse("patients:diagnosis_edit", args=[patient.pk, dx.pk]),
        {"icd10": "F33.2", "status": "in_remission", "severity": "severe", "note": "", "seen": opened},
    )
    dx.refresh_from_db()
    assert response.status_code == 409
    assert (dx.status, dx.note) == ("active", "changed by another clinician")
    assert "NOT saved" in response.content.decode()
