"""Two clinicians on the same form: the second save is refused (409) instead of silently overwriting."""

import pytest
from django.test import Client
from django.urls import reverse

from core.roles import CLINICIAN

from .pages import input_value, shows

pytestmark = pytest.mark.django_db

STALE = "Another user saved this section after you opened it, so your changes were NOT saved."
PSYCHIATRIC = {
    "psychotic_symptoms_current": "no",
    "psychosis_history": "no",
    "mania_current": "no",
    "suicidal_ideation": "none",
    "suicidal_intent_or_plan": "no",
    "substance_use_disorder": "none",
}
DETAILS = {
    "mrn": "KT-0001",
    "given_name": "Ana",
    "family_name": "Silva",
    "date_of_birth": "1984-03-02",
    "sex_at_birth": "female",
    "weight_kg": "68",
    "height_cm": "165",
    "pregnancy": "not_pregnant",
}


@pytest.fixture
def second_clinician_client(make_user):
    client = Client()
    client.force_login(make_user("clin2", CLINICIAN))
    return client


@pytest.fixture
def section_url(patient):
    return reverse("patients:section", args=[patient.pk, "psychiatric"])


@pytest.fixture
def edit_url(patient):
    return reverse("patients:edit", args=[patient.pk])


def opened_version(client, url) -> str:
    return input_value(client.get(url), "version")


def test_the_second_section_save_is_refused_and_the_first_is_kept(
    clinician_client, second_clinician_client, patient, section_url
):
    first_version = opened_version(clinician_client, section_url)
    second_version = opened_version(second_clinician_client, section_url)
    first = clinician_client.post(
        section_url, {**PSYCHIATRIC, "mania_current": "yes", "version": first_version}
    )
    second = second_clinician_client.post(
        section_url, {**PSYCHIATRIC, "suicidal_ideation": "active", "version": second_version}
    )
    patient.refresh_from_db()
    assert first.status_code == 302
    assert second.status_code == 409
    assert shows(second, STALE)
    assert (patient.mania_current, patient.suicidal_ideation) == ("yes", "none")


def test_the_refused_section_form_keeps_the_second_clinicians_entries(
    clinician_client, second_clinician_client, patient, section_url
):
    clinician_client.post(section_url, {**PSYCHIATRIC, "version": "0"})
    second = second_clinician_client.post(
        section_url, {**PSYCHIATRIC, "suicidal_ideation": "active", "version": "0"}
    )
    assert second.context["form"]["suicidal_ideation"].value() == "active"


def test_saving_again_after_the_refusal_replaces_the_answers(
    clinician_client, second_clinician_client, patient, section_url
):
    clinician_client.post(section_url, {**PSYCHIATRIC, "version": "0"})
    refused = second_clinician_client.post(
        section_url, {**PSYCHIATRIC, "mania_current": "yes", "version": "0"}
    )
    again = second_clinician_client.post(
        section_url, {**PSYCHIATRIC, "mania_current": "yes", "version": input_value(refused, "version")}
    )
    patient.refresh_from_db()
    assert again.status_code == 302
    assert patient.mania_current == "yes"


def test_none_of_these_on_a_stale_form_is_refused_too(
    clinician_client, second_clinician_client, patient, section_url
):
    clinician_client.post(section_url, {**PSYCHIATRIC, "mania_current": "yes", "version": "0"})
    second = second_clinician_client.post(section_url, {**PSYCHIATRIC, "version": "0", "none_of_these": "1"})
    patient.refresh_from_db()
    assert second.status_code == 409
    assert patient.mania_current == "yes"


def test_saving_another_section_does_not_make_this_one_stale(
    clinician_client, second_clinician_client, patient, section_url
):
    second_clinician_client.post(
        reverse("patients:section", args=[patient.pk, "support"]),
        {"escort_available": "yes", "support_person": "yes", "version": "0"},
    )
    response = clinician_client.post(section_url, {**PSYCHIATRIC, "version": "0"})
    assert response.status_code == 302


def test_the_second_details_save_is_refused_and_the_first_is_kept(
    clinician_client, second_clinician_client, patient, edit_url
):
    first_version = opened_version(clinician_client, edit_url)
    second_version = opened_version(second_clinician_client, edit_url)
    first = clinician_client.post(edit_url, {**DETAILS, "weight_kg": "70", "version": first_version})
    second = second_clinician_client.post(edit_url, {**DETAILS, "weight_kg": "90", "version": second_version})
    patient.refresh_from_db()
    assert first.status_code == 302
    assert second.status_code == 409
    assert shows(second, STALE)
    assert input_value(second, "weight_kg") == "90"
    assert patient.weight_kg == 70


def test_a_details_save_without_a_version_after_another_save_is_refused(
    clinician_client, second_clinician_client, patient, edit_url
):
    clinician_client.post(edit_url, {**DETAILS, "weight_kg": "70", "version": "0"})
    second = second_clinician_client.post(edit_url, {**DETAILS, "weight_kg": "90"})
    patient.refresh_from_db()
    assert second.status_code == 409
    assert patient.weight_kg == 70
