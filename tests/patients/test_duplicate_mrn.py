"""Two clinicians create the same MRN at once: the second gets a clear message with everything they typed,
never a 500, and no log line names the patient."""

import logging

import pytest
from django.urls import reverse

from patients.forms import PatientForm
from patients.models import Patient

pytestmark = pytest.mark.django_db

FORM = {
    "mrn": "DUP-0001",
    "given_name": "Quinn",
    "family_name": "Concurrent",
    "date_of_birth": "1980-02-03",
    "sex_at_birth": "female",
    "pregnancy": "not_pregnant",
    "weight_kg": "70",
}


@pytest.fixture
def race(monkeypatch):
    """The form's uniqueness checks pass, as they do for the second of two simultaneous requests."""
    monkeypatch.setattr(PatientForm, "validate_unique", lambda self: None)
    monkeypatch.setattr(PatientForm, "clean_mrn", lambda self: self.cleaned_data["mrn"].strip())
    monkeypatch.setattr(Patient, "validate_constraints", lambda self, exclude=None: None)


def test_a_concurrent_duplicate_mrn_is_a_409_with_the_values_kept(race, clinician_client, caplog):
    Patient.objects.create(
        mrn="DUP-0001", given_name="First", family_name="Owner", date_of_birth="1970-01-01"
    )
    with caplog.at_level(logging.INFO):
        response = clinician_client.post(reverse("patients:create"), FORM)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Another patient was given this MRN a moment ago" in page and 'value="Concurrent"' in page
    assert Patient.objects.filter(mrn="DUP-0001").count() == 1
    assert not any("DUP-0001" in record.getMessage() for record in caplog.records)
