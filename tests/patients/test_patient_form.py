"""Creating a patient and editing the details: refused input comes back with the values and one message per
field (status 400); plausible ranges for weight and height; a unique, well-formed MRN."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from patients.models import Patient

from .factories import PatientFactory
from .pages import input_value, selected_option, shows

pytestmark = pytest.mark.django_db

CREATE = reverse("patients:create")
VALID = {
    "mrn": "KT-0100",
    "given_name": "Ana",
    "family_name": "Silva",
    "date_of_birth": "1984-03-02",
    "sex_at_birth": "female",
    "weight_kg": "68",
    "height_cm": "165",
    "pregnancy": "not_pregnant",
}


def create(client, **changes):
    return client.post(CREATE, {**VALID, **changes})


def tomorrow() -> str:
    return (timezone.localdate() + timedelta(days=1)).isoformat()


def test_creating_a_patient_stores_the_details_and_opens_the_patient_page(clinician_client):
    response = create(clinician_client)
    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:detail", args=[patient.pk])
    assert (
        patient.mrn,
        patient.given_name,
        patient.family_name,
        patient.date_of_birth,
        patient.sex_at_birth,
        patient.weight_kg,
        patient.height_cm,
        patient.pregnancy,
    ) == ("KT-0100", "Ana", "Silva", date(1984, 3, 2), "female", 68, 165, "not_pregnant")


def test_a_new_patient_has_every_screening_answer_unknown(clinician_client):
    create(clinician_client)
    patient = Patient.objects.get()
    assert {
        patient.mania_current,
        patient.arteriovenous_malformation,
        patient.escort_available,
        patient.psychotherapy_current,
        patient.suicidal_ideation,
        patient.hepatic_impairment,
    } == {"unknown"}
    assert patient.failed_antidepressant_trials is None


def test_weight_may_be_left_empty_until_measured(clinician_client):
    create(clinician_client, weight_kg="")
    assert Patient.objects.get().weight_kg is None


def test_refused_create_keeps_every_entered_value_and_names_each_problem(clinician_client):
    response = create(
        clinician_client,
        mrn="KT 0100",
        family_name="",
        date_of_birth=tomorrow(),
        sex_at_birth="male",
        weight_kg="5",
        height_cm="99",
        pregnancy="not_applicable",
    )
    assert response.status_code == 400
    assert Patient.objects.count() == 0
    assert {
        name: input_value(response, name)
        for name in ("mrn", "given_name", "family_name", "date_of_birth", "weight_kg", "height_cm")
    } == {
        "mrn": "KT 0100",
        "given_name": "Ana",
        "family_name": "",
        "date_of_birth": tomorrow(),
        "weight_kg": "5",
        "height_cm": "99",
    }
    assert selected_option(response, "sex_at_birth") == "male"
    assert selected_option(response, "pregnancy") == "not_applicable"
    assert sorted(response.context["form"].errors) == [
        "date_of_birth",
        "family_name",
        "height_cm",
        "mrn",
        "weight_kg",
    ]
    for message in (
        "Use 1-32 letters, digits or '-'.",
        "This field is required.",
        "Date of birth cannot be in the future.",
        "5 kg is below the plausible minimum of 25 kg.",
        "99 cm is below the plausible minimum of 100 cm.",
    ):
        assert shows(response, message), message


@pytest.mark.parametrize(
    ("field", "value", "stored"),
    [
        ("weight_kg", "25", 25),
        ("weight_kg", "350", 350),
        ("weight_kg", "68.4", 68.4),
        ("height_cm", "100", 100),
        ("height_cm", "250", 250),
    ],
)
def test_plausible_boundaries_are_accepted(clinician_client, field, value, stored):
    response = create(clinician_client, **{field: value})
    assert response.status_code == 302
    assert float(getattr(Patient.objects.get(), field)) == stored


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("weight_kg", "24.9", "24.9 kg is below the plausible minimum of 25 kg."),
        ("weight_kg", "351", "351 kg is above the plausible maximum of 350 kg."),
        ("weight_kg", "5", "5 kg is below the plausible minimum of 25 kg."),
        ("height_cm", "99.9", "99.9 cm is below the plausible minimum of 100 cm."),
        ("height_cm", "250.1", "250.1 cm is above the plausible maximum of 250 cm."),
    ],
)
def test_implausible_weight_or_height_is_refused_with_the_range(clinician_client, field, value, message):
    response = create(clinician_client, **{field: value})
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert shows(response, message)
    assert Patient.objects.count() == 0


def test_date_of_birth_in_the_future_is_refused(clinician_client):
    response = create(clinician_client, date_of_birth=tomorrow())
    assert response.status_code == 400
    assert response.context["form"].errors["date_of_birth"] == ["Date of birth cannot be in the future."]


def test_date_of_birth_today_is_accepted(clinician_client):
    assert create(clinician_client, date_of_birth=timezone.localdate().isoformat()).status_code == 302


def test_date_of_birth_more_than_120_years_ago_is_refused(clinician_client):
    response = create(clinician_client, date_of_birth="1890-01-01")
    assert response.status_code == 400
    assert response.context["form"].errors["date_of_birth"] == [
        "Date of birth gives an age above 120: check the year."
    ]


@pytest.mark.parametrize("typed", ["same", "lower"])
def test_duplicate_mrn_is_refused_with_a_message_whatever_its_case(clinician_client, patient, typed):
    mrn = patient.mrn if typed == "same" else patient.mrn.lower()
    response = create(clinician_client, mrn=mrn)
    assert response.status_code == 400
    assert response.context["form"].errors["mrn"] == [f"A patient with MRN {mrn} already exists."]
    assert Patient.objects.count() == 1


@pytest.mark.parametrize(
    ("mrn", "message"),
    [
        ("KT 0100", "Use 1-32 letters, digits or '-'."),
        ("KT_0100", "Use 1-32 letters, digits or '-'."),
        ("KT/0100", "Use 1-32 letters, digits or '-'."),
        ("KT-01ä", "Use 1-32 letters, digits or '-'."),
        ("K" * 33, "Ensure this value has at most 32 characters (it has 33)."),
        ("", "This field is required."),
    ],
)
def test_mrn_must_be_1_to_32_letters_digits_or_dashes(clinician_client, mrn, message):
    response = create(clinician_client, mrn=mrn)
    assert response.status_code == 400
    assert response.context["form"].errors["mrn"] == [message]


@pytest.mark.parametrize("mrn", ["K", "K" * 32, "kt-0100-a", "0100"])
def test_well_formed_mrn_is_accepted(clinician_client, mrn):
    create(clinician_client, mrn=mrn)
    assert Patient.objects.get().mrn == mrn


# -- editing the details ----------------------------------------------------------------------------------


def edit_url(patient) -> str:
    return reverse("patients:edit", args=[patient.pk])


def test_edit_form_opens_with_the_current_details_and_version(clinician_client, patient):
    response = clinician_client.get(edit_url(patient))
    assert input_value(response, "mrn") == "KT-0001"
    assert input_value(response, "family_name") == "Silva"
    assert input_value(response, "version") == "0"


def test_saving_the_edit_form_changes_the_details(clinician_client, patient):
    response = clinician_client.post(
        edit_url(patient), {**VALID, "mrn": "KT-0001", "weight_kg": "70.5", "version": "0"}
    )
    patient.refresh_from_db()
    assert response.status_code == 302
    assert (patient.weight_kg, patient.given_name) == (70.5, "Ana")


def test_refused_edit_keeps_the_entered_values_and_the_stored_record(clinician_client, patient):
    response = clinician_client.post(
        edit_url(patient),
        {**VALID, "mrn": "KT-0001", "weight_kg": "351", "height_cm": "99.9", "version": "0"},
    )
    assert response.status_code == 400
    assert (input_value(response, "weight_kg"), input_value(response, "height_cm")) == ("351", "99.9")
    assert response.context["form"].errors == {
        "weight_kg": ["351 kg is above the plausible maximum of 350 kg."],
        "height_cm": ["99.9 cm is below the plausible minimum of 100 cm."],
    }
    patient.refresh_from_db()
    assert patient.weight_kg == 68


def test_edit_to_another_patients_mrn_is_refused_with_a_message(clinician_client, patient):
    other = PatientFactory(mrn="KT-0002")
    response = clinician_client.post(edit_url(other), {**VALID, "mrn": "KT-0001", "version": "0"})
    assert response.status_code == 400
    assert shows(response, "A patient with MRN KT-0001 already exists.")
    other.refresh_from_db()
    assert other.mrn == "KT-0002"
