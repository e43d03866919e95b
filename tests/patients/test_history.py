"""Every change to a record is kept with its author; the history page shows field, before and after."""

import pytest
from django.test import Client
from django.urls import reverse

from core.roles import CLINICIAN
from patients.models import MedicationEntry, Patient
from patients.selectors import medication_list_fingerprint

from .factories import MedicationEntryFactory

pytestmark = pytest.mark.django_db

PSYCHIATRIC = {
    "psychotic_symptoms_current": "unknown",
    "psychosis_history": "unknown",
    "mania_current": "yes",
    "suicidal_ideation": "unknown",
    "suicidal_intent_or_plan": "unknown",
    "substance_use_disorder": "unknown",
}


@pytest.fixture
def editor(make_user):
    user = make_user("mlopez", CLINICIAN)
    user.first_name, user.last_name = "Maria", "Lopez"
    user.save()
    return user


@pytest.fixture
def editor_client(editor):
    client = Client()
    client.force_login(editor)
    return client


@pytest.fixture
def edited(editor_client, patient):
    editor_client.post(
        reverse("patients:section", args=[patient.pk, "psychiatric"]), {**PSYCHIATRIC, "version": "0"}
    )
    return patient


def test_a_section_edit_records_a_historical_row_by_the_editor(edited, editor):
    latest = edited.history.latest()
    assert (latest.history_type, latest.history_user, latest.mania_current) == ("~", editor, "yes")
    assert latest.prev_record.mania_current == "unknown"


def test_history_page_shows_the_field_before_after_and_editor(editor_client, edited):
    response = editor_client.get(reverse("patients:history", args=[edited.pk]))
    content = response.content.decode()
    assert response.status_code == 200
    assert "<div>Mania current: Unknown → <strong>Yes</strong></div>" in content
    assert "Maria Lopez" in content


def test_history_page_lists_only_the_fields_that_changed(editor_client, edited):
    response = editor_client.get(reverse("patients:history", args=[edited.pk]))
    assert b"Psychosis history" not in response.content
    assert b"row_versions" not in response.content and b"Row versions" not in response.content


def test_an_edit_of_the_details_is_recorded_with_its_editor(editor_client, editor, patient):
    editor_client.post(
        reverse("patients:edit", args=[patient.pk]),
        {
            "mrn": "KT-0001",
            "given_name": "Ana",
            "family_name": "Silva",
            "date_of_birth": "1984-03-02",
            "sex_at_birth": "female",
            "weight_kg": "70",
            "height_cm": "165",
            "pregnancy": "not_pregnant",
            "version": "0",
        },
    )
    response = editor_client.get(reverse("patients:history", args=[patient.pk]))
    assert patient.history.latest().history_user == editor
    assert "<div>Weight (kg): 68 → <strong>70</strong></div>" in response.content.decode()


def test_a_new_patient_is_recorded_as_created_by_the_clinician(editor_client, editor):
    editor_client.post(
        reverse("patients:create"),
        {
            "mrn": "KT-0100",
            "given_name": "Ana",
            "family_name": "Silva",
            "date_of_birth": "1984-03-02",
            "sex_at_birth": "female",
            "weight_kg": "68",
            "height_cm": "165",
            "pregnancy": "not_pregnant",
        },
    )
    record = Patient.history.get()
    assert (record.history_type, record.history_user) == ("+", editor)


def test_removed_medication_appears_in_the_history(editor_client, editor, patient):
    medication = MedicationEntryFactory(patient=patient, name="Klonopin")
    editor_client.post(reverse("patients:medication_delete", args=[patient.pk, medication.pk]))
    response = editor_client.get(reverse("patients:history", args=[patient.pk]))
    assert MedicationEntry.history.latest().history_user == editor
    assert "medication Klonopin" in response.content.decode()
    assert "deleted" in response.content.decode()


def test_clearing_the_attestation_is_credited_to_whoever_changed_the_list(
    editor_client, editor, clinician_client, patient
):
    clinician_client.post(
        reverse("patients:medications_reconcile", args=[patient.pk]),
        {"seen": medication_list_fingerprint(patient.medications.all())},
    )
    editor_client.post(
        reverse("patients:medication_add", args=[patient.pk]),
        {"name": "sertraline", "dose_mg": "50", "times_per_day": "1"},
    )
    clinician_client.post(
        reverse("patients:section", args=[patient.pk, "support"]),
        {"escort_available": "yes", "support_person": "yes", "version": "0"},
    )
    cleared, support = patient.history.order_by("history_date", "history_id")[2:]
    assert (cleared.history_user, cleared.medications_reconciled, cleared.escort_available) == (
        editor,
        False,
        "unknown",
    )
    assert [change.field for change in support.diff_against(cleared).changes] == [
        "escort_available",
        "support_person",
    ]


def test_history_is_in_words_with_local_times(editor_client, editor, patient, settings):
    """A reconciliation shows who by name, yes/no, and the time in the clinic's zone (no microseconds, no
    +0000); a medication's line gives its dose in words."""
    settings.TIME_ZONE = "America/New_York"
    MedicationEntryFactory(
        patient=patient, name="sertraline", dose_mg=50, times_per_day=2, formulary_entry=None
    )
    editor_client.post(
        reverse("patients:medications_reconcile", args=[patient.pk]),
        {"seen": medication_list_fingerprint(patient.medications.all())},
    )
    content = editor_client.get(reverse("patients:history", args=[patient.pk])).content.decode()
    assert "Medications reconciled by: — → <strong>Maria Lopez</strong>" in content
    assert "Medications reconciled: no → <strong>yes</strong>" in content
    reconciled_at = Patient.objects.get(pk=patient.pk).medications_reconciled_at
    local = reconciled_at.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
    assert f"→ <strong>{local:%Y-%m-%d %H:%M}</strong>" in content
    assert "+00:00" not in content and "+0000" not in content
    assert "medication sertraline 50 mg, 2 times a day" in content
