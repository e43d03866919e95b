"""Every Remove button of the patient page asks before it acts (issue 17): data-confirm, which
static/js/confirm.js turns into the browser's dialog (tests/e2e/test_remove_rows.py clicks Cancel and OK)."""

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
