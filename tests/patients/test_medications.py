"""Medications: validated rows added and removed in place with htmx, resolved against the formulary,
and a reconciliation attestation that any change to the list clears."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from patients.models import MedicationEntry
from patients.selectors import medication_list_fingerprint

from .factories import MedicationEntryFactory
from .pages import input_value, shows

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def add_url(patient) -> str:
    return reverse("patients:medication_add", args=[patient.pk])


def add_medication(client, patient, headers=None, **values):
    data = {"name": "sertraline", "dose_mg": "100", "times_per_day": "1", "max_doses_per_day": "", **values}
    return client.post(add_url(patient), data, **(headers or {}))


@pytest.fixture
def reconciled(patient, clinician):
    patient.medications_reconciled = True
    patient.medications_reconciled_by = clinician
    patient.medications_reconciled_at = timezone.now()
    patient.save()
    return patient


def test_adding_a_medication_stores_it(clinician_client, patient, defaults):
    add_medication(clinician_client, patient, name="  Klonopin ", dose_mg="0.5", times_per_day="2")
    entry = MedicationEntry.objects.get()
    assert (entry.patient, entry.name, float(entry.dose_mg), entry.times_per_day, entry.as_needed) == (
        patient,
        "Klonopin",
        0.5,
        2,
        False,
    )


def test_a_brand_name_resolves_to_its_generic(clinician_client, patient, defaults):
    response = add_medication(clinician_client, patient, HTMX, name="Klonopin", dose_mg="0.5")
    assert MedicationEntry.objects.get().formulary_entry.generic == "clonazepam"
    assert b"Klonopin" in response.content
    assert b"clonazepam" in response.content
    assert b"Not in formulary" not in response.content


def test_an_unknown_name_is_kept_and_marked_not_in_formulary(clinician_client, patient, defaults):
    response = add_medication(clinician_client, patient, HTMX, name="Zzyzxol")
    entry = MedicationEntry.objects.get()
    assert (entry.name, entry.formulary_entry) == ("Zzyzxol", None)
    assert b"Zzyzxol" in response.content
    assert b"Not in formulary" in response.content


def test_patient_page_marks_the_unresolved_row(clinician_client, patient, defaults):
    MedicationEntryFactory(patient=patient, name="Zzyzxol")
    response = clinician_client.get(reverse("patients:detail", args=[patient.pk]))
    assert b"Not in formulary" in response.content


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"dose_mg": "0"}, "dose_mg", "The dose must be greater than 0 mg (leave empty if unknown)."),
        ({"dose_mg": "-5"}, "dose_mg", "The dose must be greater than 0 mg (leave empty if unknown)."),
        ({"name": ""}, "name", "This field is required."),
        ({"name": "   "}, "name", "This field is required."),
        (
            {"as_needed": "on", "times_per_day": "3", "max_doses_per_day": ""},
            "max_doses_per_day",
            "For as-needed use, record the most doses taken in a day.",
        ),
        ({"times_per_day": "13"}, "times_per_day", "Ensure this value is less than or equal to 12."),
    ],
)
def test_invalid_medication_is_refused_with_a_message(clinician_client, patient, values, field, message):
    response = add_medication(clinician_client, patient, **values)
    assert response.status_code == 400
    assert response.context["medication_form"].errors[field] == [message]
    assert shows(response, message)
    assert MedicationEntry.objects.count() == 0


@pytest.mark.parametrize(
    "values",
    [
        {"dose_mg": "", "times_per_day": ""},
        {"as_needed": "on", "times_per_day": "3", "max_doses_per_day": "3"},
        {"as_needed": "on", "times_per_day": "", "max_doses_per_day": ""},
    ],
)
def test_unknown_dose_or_frequency_may_be_left_empty(clinician_client, patient, values):
    assert add_medication(clinician_client, patient, **values).status_code == 302
    assert MedicationEntry.objects.count() == 1


def test_refused_medication_keeps_the_entered_values(clinician_client, patient):
    response = add_medication(clinician_client, patient, name="Klonopin", dose_mg="0", times_per_day="2")
    assert {name: input_value(response, name) for name in ("name", "dose_mg", "times_per_day")} == {
        "name": "Klonopin",
        "dose_mg": "0",
        "times_per_day": "2",
    }


# -- htmx ---------------------------------------------------------------------------------------------


def test_htmx_add_returns_only_the_medications_block(clinician_client, patient):
    response = add_medication(clinician_client, patient, HTMX)
    assert response.status_code == 200
    assert b'id="medications"' in response.content
    assert b"<html" not in response.content
    assert b'id="blood-pressure"' not in response.content
    assert MedicationEntry.objects.count() == 1


def test_htmx_add_with_errors_returns_the_block_with_the_message(clinician_client, patient):
    response = add_medication(clinician_client, patient, HTMX, dose_mg="0")
    assert b'id="medications"' in response.content
    assert b"<html" not in response.content
    assert shows(response, "The dose must be greater than 0 mg (leave empty if unknown).")
    assert MedicationEntry.objects.count() == 0


def test_htmx_remove_returns_only_the_medications_block(clinician_client, patient):
    medication = MedicationEntryFactory(patient=patient, name="sertraline")
    response = clinician_client.post(
        reverse("patients:medication_delete", args=[patient.pk, medication.pk]), **HTMX
    )
    assert response.status_code == 200
    assert b'id="medications"' in response.content
    assert b"<html" not in response.content
    assert b"No medications listed." in response.content
    assert MedicationEntry.objects.count() == 0


def test_without_htmx_add_redirects_to_the_medications_section(clinician_client, patient):
    response = add_medication(clinician_client, patient)
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:detail", args=[patient.pk]) + "#medications"


def test_without_htmx_remove_redirects_to_the_medications_section(clinician_client, patient):
    medication = MedicationEntryFactory(patient=patient)
    response = clinician_client.post(reverse("patients:medication_delete", args=[patient.pk, medication.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:detail", args=[patient.pk]) + "#medications"
    assert MedicationEntry.objects.count() == 0


def test_a_medication_cannot_be_removed_through_another_patients_page(clinician_client, patient):
    medication = MedicationEntryFactory()
    response = clinician_client.post(reverse("patients:medication_delete", args=[patient.pk, medication.pk]))
    assert response.status_code == 404
    assert MedicationEntry.objects.count() == 1


# -- reconciliation -----------------------------------------------------------------------------------


def test_reconcile_records_who_attested_and_when(clinician_client, clinician, patient):
    response = clinician_client.post(
        reverse("patients:medications_reconcile", args=[patient.pk]),
        {"seen": medication_list_fingerprint(patient.medications.all())},
    )
    patient.refresh_from_db()
    assert response.status_code == 302
    assert (patient.medications_reconciled, patient.medications_reconciled_by) == (True, clinician)
    assert abs(patient.medications_reconciled_at - timezone.now()) < timedelta(minutes=1)


def test_patient_page_shows_who_reconciled(clinician_client, reconciled):
    response = clinician_client.get(reverse("patients:detail", args=[reconciled.pk]))
    assert b"Reconciled by clin" in response.content


@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "plain"])
def test_adding_a_medication_clears_the_attestation(clinician_client, reconciled, headers):
    add_medication(clinician_client, reconciled, headers)
    reconciled.refresh_from_db()
    assert reconciled.medications_reconciled is False


@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "plain"])
def test_removing_a_medication_clears_the_attestation(clinician_client, reconciled, headers):
    medication = MedicationEntryFactory(patient=reconciled)
    clinician_client.post(
        reverse("patients:medication_delete", args=[reconciled.pk, medication.pk]), **headers
    )
    reconciled.refresh_from_db()
    assert reconciled.medications_reconciled is False


def test_the_returned_block_shows_the_cleared_attestation(clinician_client, reconciled):
    response = add_medication(clinician_client, reconciled, HTMX)
    assert b"Not reconciled" in response.content


def test_a_refused_medication_keeps_the_attestation(clinician_client, reconciled):
    add_medication(clinician_client, reconciled, dose_mg="0")
    reconciled.refresh_from_db()
    assert reconciled.medications_reconciled is True


def test_attesting_a_list_that_changed_since_it_was_shown_is_refused(clinician_client, patient):
    shown = medication_list_fingerprint(patient.medications.all())
    clinician_client.post(
        reverse("patients:medication_add", args=[patient.pk]),
        {"name": "sertraline", "dose_mg": "50", "times_per_day": "1"},
    )  # someone else adds one
    response = clinician_client.post(
        reverse("patients:medications_reconcile", args=[patient.pk]), {"seen": shown}, follow=True
    )
    patient.refresh_from_db()
    assert patient.medications_reconciled is False
    assert "changed after you opened it" in response.content.decode()


def test_a_dose_above_the_labelled_maximum_is_warned_about_before_it_is_saved(
    clinician_client, patient, defaults
):
    """Alprazolam 10 mg three times a day is 30 mg/day, above the 10 mg/day maximum (A15): the form comes
    back with a warning and every value; ticking the box keeps the dose."""
    values = {"name": "alprazolam", "dose_mg": "10", "times_per_day": "3"}

    response = add_medication(clinician_client, patient, **values)

    page = response.content.decode()
    assert 'data-testid="dose-warning"' in page
    assert "30 mg a day is above the labelled maximum of 10 mg a day for alprazolam" in page
    assert 'value="alprazolam"' in page
    assert not patient.medications.exists()

    add_medication(clinician_client, patient, confirm_dose="on", **values)

    assert patient.medications.get().dose_mg == 10


def test_a_dose_within_the_maximum_is_saved_without_a_warning(clinician_client, patient, defaults):
    add_medication(clinician_client, patient, name="alprazolam", dose_mg="1", times_per_day="3")

    assert patient.medications.count() == 1
