"""A patient cleared for infusions: the eligible example, screened on 2026-11-20 and signed cleared by a
physician; today is that day (on_assessment_day), so the screening stays current whenever the suite runs."""

import json
from datetime import date

import pytest

from patients.services import intake_import
from screening.review import screening_sign
from screening.services import screening_run
from tests.conftest import EXAMPLES
from tests.defaults_snapshot import load_defaults_for_test

DAY = date(2026, 11, 20)
PHQ9 = [2, 2, 2, 2, 2, 2, 2, 2, 0]  # total 16, item 9 = 0
CSSRS_CLEAR = {
    "wish_to_be_dead": False,
    "suicidal_thoughts": False,
    "behavior_ever": False,
}
CSSRS_INTENT = {
    "wish_to_be_dead": True,
    "suicidal_thoughts": True,
    "thoughts_with_method": True,
    "intent": True,
    "intent_with_plan": False,
    "behavior_ever": False,
}


def cleared_patient(clinician, physician, example="eligible.json", measures=None):
    load_defaults_for_test()
    doc = json.loads((EXAMPLES / example).read_text())
    if measures is not None:
        doc["measures"] = measures
    patient, _ = intake_import(doc=doc)
    screening = screening_run(patient=patient, requested_by=clinician, as_of=DAY)
    screening_sign(screening=screening, user=physician, decision="cleared")
    return patient


@pytest.fixture
def cleared(clinician, physician, on_assessment_day):
    return cleared_patient(clinician, physician)


CHECK = {
    "weight_kg": "74",
    "pre_systolic": "128",
    "pre_diastolic": "82",
    "pre_heart_rate": "72",
    "checklist_fasting": "yes",
    "checklist_escort_present": "yes",
    "checklist_consent_current": "yes",
    "checklist_pregnancy_test_negative": "yes",
}
