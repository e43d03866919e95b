"""The patient page counts every requirement of a screening and links to what is missing (issue 17): a
record with every answer given but no diagnosis, no reading and an unattested medication list is not
"ready"."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from patients.models import ANSWER_SECTIONS, Patient
from patients.selectors import patient_record
from patients.services import intake_import
from rules.models import RuleSet
from screening.readiness import screening_readiness
from tests.conftest import EXAMPLES
from tests.defaults_snapshot import load_defaults_for_test
from tests.patients.factories import BloodPressureReadingFactory, DiagnosisFactory, PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def defaults():
    load_defaults_for_test()


def answered(patient: Patient) -> Patient:
    """Every tri-state answer given ("no"), nothing else."""
    for fields in ANSWER_SECTIONS.values():
        for name in fields:
            field = Patient._meta.get_field(name)
            value = "no" if field.choices and "no" in dict(field.flatchoices) else 1
            setattr(patient, name, value)
    patient.save()
    return patient


def labels(readiness) -> list[str]:
    return [r.label for r in readiness.missing]


def test_answers_alone_do_not_make_a_record_ready(defaults):
    patient = answered(PatientFactory(weight_kg=70))
    readiness = screening_readiness(patient_record(patient.pk))
    assert not readiness.complete
    assert labels(readiness) == [
        "An active diagnosis",
        "Medication list attested as complete",
        "A blood pressure reading in the last 30 days",
    ]
    assert readiness.total == 4 + len(ANSWER_SECTIONS) and readiness.met == readiness.total - 3


def test_each_requirement_is_met_by_what_it_names(defaults):
    patient = answered(PatientFactory(weight_kg=None))
    DiagnosisFactory(patient=patient, icd10="F33.2", status="history")  # not active
    BloodPressureReadingFactory(patient=patient, taken_at=timezone.now() - timedelta(days=31))  # too old
    assert labels(screening_readiness(patient_record(patient.pk)))[:2] == [
        "Weight recorded",
        "An active diagnosis",
    ]
    assert "A blood pressure reading in the last 30 days" in labels(
        screening_readiness(patient_record(patient.pk))
    )

    Patient.objects.filter(pk=patient.pk).update(weight_kg=70, medications_reconciled=True)
    DiagnosisFactory(patient=patient, icd10="F32.2", status="active")
    BloodPressureReadingFactory(patient=patient, taken_at=timezone.now() - timedelta(days=1))
    readiness = screening_readiness(patient_record(patient.pk))
    assert readiness.complete and readiness.missing == []


def test_without_an_active_rule_set_the_reading_is_not_taken_as_recent():
    patient = PatientFactory()
    BloodPressureReadingFactory(patient=patient, taken_at=timezone.now())
    assert not RuleSet.objects.filter(is_active=True).exists()
    missing = labels(screening_readiness(patient_record(patient.pk)))
    assert "A blood pressure reading (no active rule set: its window is unknown)" in missing


def test_the_page_links_each_missing_requirement_and_says_ready_only_when_it_is(defaults, clinician_client):
    patient = answered(PatientFactory(weight_kg=70))
    page = clinician_client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    detail = reverse("patients:detail", args=[patient.pk])
    assert "Ready to screen" not in page
    assert f"{4 + len(ANSWER_SECTIONS) - 3} of {4 + len(ANSWER_SECTIONS)} screening requirements met" in page
    for anchor in ("#diagnoses", "#medications", "#blood-pressure"):
        assert f'href="{detail}{anchor}"' in page

    doc = json.loads((EXAMPLES / "eligible.json").read_text())
    ready, _ = intake_import(doc=doc)
    page = clinician_client.get(reverse("patients:detail", args=[ready.pk])).content.decode()
    readiness = screening_readiness(patient_record(ready.pk))
    assert readiness.complete == ("Ready to screen: every requirement is met" in page)
