"""`load_demo`: synthetic patients for local development that between them show every verdict."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from patients.models import Patient
from patients.selectors import intake_document, patient_record
from screening.services import intake_evaluate

pytestmark = pytest.mark.usefixtures("defaults")

VERDICTS = {
    "eligible",
    "eligible_with_precautions",
    "clinician_review",
    "deferred",
    "needs_information",
    "not_a_candidate",
    "contraindicated",
}


@pytest.fixture
def demo():
    with override_settings(DEBUG=True):
        call_command("load_demo", stdout=StringIO())
    return list(Patient.objects.values_list("pk", flat=True))


def test_demo_patients_are_at_least_twelve_and_cover_all_seven_verdicts(demo):
    today = timezone.localdate()
    verdicts = {intake_evaluate(intake=intake_document(patient_record(pk), today)).verdict for pk in demo}
    assert len(demo) >= 12
    assert verdicts == VERDICTS


@override_settings(DEBUG=False)
def test_demo_refuses_to_load_without_debug():
    with pytest.raises(CommandError, match="local development only"):
        call_command("load_demo", stdout=StringIO())
    assert Patient.objects.count() == 0
