"""The patient page's actions (issue 17): every Remove button asks before it acts (data-confirm, which
static/js/confirm.js turns into the browser's dialog; tests/e2e/test_remove_rows.py clicks Cancel and OK),
and "Attest" is offered only while the medication list is not attested."""

import re

import pytest
from django.urls import reverse

from .factories import BloodPressureReadingFactory, DiagnosisFactory, MedicationEntryFactory

pytestmark = pytest.mark.django_db


def test_every_remove_button_names_what_it_removes_and_asks(clinician_client, patient):
    MedicationEntryFactory(patient=patient, name="lithium", formulary_entry=None)
    DiagnosisFactory(patient=patient, icd10="F33.2")
    BloodPressureReadingFactory(patient=patient, systolic=128, diastolic=84)
    page = clinician_client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    buttons = re.findall(r"<button[^>]*>\s*Remove\s*</button>", page)
    assert len(buttons) == 3
    asks = [re.search(r'data-confirm="([^"]+)"', b) for b in buttons]
    assert all(asks), buttons
    assert {a.group(1).split(" ")[1] for a in asks} == {"lithium", "diagnosis", "the"}
    assert '<script src="/static/js/confirm.js"></script>' in page


def test_attest_is_offered_only_while_the_list_is_not_attested(clinician_client, patient):
    from patients.selectors import medication_list_fingerprint

    def page():
        return clinician_client.get(reverse("patients:detail", args=[patient.pk])).content.decode()

    assert "Attest: no current medications" in page()
    clinician_client.post(
        reverse("patients:medications_reconcile", args=[patient.pk]),
        {"seen": medication_list_fingerprint(patient.medications.all())},
    )
    html = page()
    assert "Attest:" not in html and 'data-testid="reconciled-note"' in html
    clinician_client.post(
        reverse("patients:medication_add", args=[patient.pk]),
        {"name": "lithium", "dose_mg": "300", "times_per_day": "2"},
    )
    html = page()
    assert "Attest: this list is complete" in html and "reconciled-note" not in html
