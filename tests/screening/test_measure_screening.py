"""A stored patient's baseline measures reach the rules (issue 18, rule set 2026.3): an imported intake with
a C-SSRS screener answered yes to intent screens as deferred by MEAS-CSSRS-RISK with its evidence, and the
same patient without measures screens as before."""

import copy
import json
from datetime import date

import pytest

from patients.services import intake_import
from screening.services import screening_run
from tests.conftest import EXAMPLES
from tests.defaults_snapshot import load_defaults_for_test

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 11, 20)  # examples/eligible.json's assessment date (its blood pressure is of that day)
INTENT_SCREENER = {
    "instrument": "cssrs_screener",
    "administered_on": "2026-11-18",
    "answers": {
        "wish_to_be_dead": True,
        "suicidal_thoughts": True,
        "thoughts_with_method": False,
        "intent": True,
        "intent_with_plan": False,
        "behavior_ever": False,
    },
}


@pytest.fixture
def defaults(db):
    load_defaults_for_test()


def eligible() -> dict:
    return json.loads((EXAMPLES / "eligible.json").read_text(encoding="utf-8"))


def findings(screening) -> dict[str, dict]:
    return {f["rule"]: f for f in screening.report["findings"]}


def test_a_cssrs_intent_yes_defers_and_removing_the_measures_restores_the_verdict(defaults, clinician):
    patient, _ = intake_import(doc={**eligible(), "measures": [copy.deepcopy(INTENT_SCREENER)]})

    deferred = screening_run(patient=patient, requested_by=clinician, as_of=AS_OF)

    assert deferred.ruleset_version == "2026.4"
    assert deferred.verdict == "deferred"
    finding = findings(deferred)["MEAS-CSSRS-RISK"]
    assert finding["severity"] == "defer"
    assert finding["evidence"] == "C-SSRS screener of 2026-11-18: intent"

    intake_import(doc={**eligible(), "measures": []})  # the document names no measures: they are removed
    again = screening_run(patient=patient, requested_by=clinician, as_of=AS_OF)

    assert again.verdict == "eligible"
    assert set(findings(again)) == set(findings(deferred)) - {"MEAS-CSSRS-RISK"}


def test_a_patient_without_measures_screens_as_before(defaults, clinician):
    patient, _ = intake_import(doc=eligible())

    screening = screening_run(patient=patient, requested_by=clinician, as_of=AS_OF)

    assert screening.verdict == "eligible"
    assert not {"MEAS-CSSRS-RISK", "MEAS-PHQ9-ITEM9"} & set(findings(screening))


def test_a_screener_older_than_the_window_does_not_count(defaults, clinician):
    old = {**copy.deepcopy(INTENT_SCREENER), "administered_on": "2026-10-20"}  # 31 days before
    patient, _ = intake_import(doc={**eligible(), "measures": [old]})

    screening = screening_run(patient=patient, requested_by=clinician, as_of=AS_OF)

    assert screening.verdict == "eligible"
