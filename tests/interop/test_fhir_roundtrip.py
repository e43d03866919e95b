"""The round trip: a record screened, the screening exported as FHIR (interop.fhir.export.screening_bundle),
the Bundle imported into a database without the patient: the record reads back as the very intake the
screening stored, with the same screening data hash (intake_sha256), and only the screening's own
findings are left unmapped.

"A database without the patient": the record is stored, screened and exported inside a savepoint that is
then rolled back, so the import meets the same MRN as a stranger (created, not updated) while the rule set
and formulary the screening used stay loaded.
"""

from __future__ import annotations

import contextlib
import copy
import json
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from interop.fhir.export import screening_bundle
from interop.services import fhir_import
from patients.management.commands.load_demo import shifted_to
from patients.models import Patient
from patients.selectors import patient_record
from patients.services import intake_export, intake_import
from screening.intake import intake_sha256
from screening.services import screening_run
from tests.conftest import EXAMPLES
from tests.defaults_snapshot import load_defaults_for_test

pytestmark = pytest.mark.django_db

EXPECTED = json.loads((EXAMPLES / "expected.json").read_text(encoding="utf-8"))
STORED_EXAMPLES = sorted(name for name, expected in EXPECTED.items() if "verdict" in expected)
DEMO = json.loads((Path(settings.BASE_DIR) / "fixtures" / "demo-patients.json").read_text(encoding="utf-8"))
DEMO_MRNS = [doc["patient"]["mrn"] for doc in DEMO["patients"]]
OWN_FINDINGS = ("RiskAssessment", "DetectedIssue", "Provenance")


class Forget(Exception):
    """Raised to roll the savepoint back: nothing of the exported patient stays in the database."""


@pytest.fixture
def defaults(db):
    load_defaults_for_test()


def exported_then_forgotten(doc: dict, as_of: date, user) -> tuple[dict, dict, str]:
    """Store `doc`, screen it and export the screening; then roll all of it back. Answers the Bundle, the
    screening's intake snapshot and its intake_sha256."""
    captured = {}
    with contextlib.suppress(Forget), transaction.atomic():
        patient, _ = intake_import(doc=doc)
        screening = screening_run(patient=patient, requested_by=user, as_of=as_of)
        captured = {
            "bundle": json.loads(json.dumps(screening_bundle(screening))),  # as it travels: JSON
            "intake": screening.intake,
            "sha256": screening.intake_sha256,
        }
        raise Forget
    assert not Patient.objects.exists()
    return captured["bundle"], captured["intake"], captured["sha256"]


def round_trip(doc: dict, as_of: date, user) -> None:
    bundle, intake, sha256 = exported_then_forgotten(doc, as_of, user)
    imported = fhir_import(bundle=bundle, user=user)
    assert imported.created and imported.notes == []
    unmapped = imported.unmapped
    back = intake_export(patient=patient_record(imported.patient.pk), assessed_on=as_of)
    assert back == intake
    assert intake_sha256(back) == sha256
    kinds = {item["message"].split(":", 1)[0] for item in unmapped}
    assert kinds <= set(OWN_FINDINGS), unmapped
    assert all(item["path"].endswith(".resource") for item in unmapped), unmapped


@pytest.mark.parametrize("name", STORED_EXAMPLES)
def test_each_stored_example_reads_back_as_the_screenings_intake(defaults, clinician, name):
    doc = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    round_trip(doc, date.fromisoformat(doc["assessed_on"]), clinician)


@pytest.mark.parametrize("mrn", DEMO_MRNS)
def test_each_demo_patient_reads_back_as_the_screenings_intake(defaults, clinician, mrn):
    doc = shifted_to(next(d for d in DEMO["patients"] if d["patient"]["mrn"] == mrn), timezone.now())
    round_trip(doc, timezone.localdate(), clinician)


def everything() -> dict:
    """What the examples and the demo patients leave out: measures of every instrument, an as-needed
    medication, a dose or frequency not known, a name the formulary does not know, each diagnosis status,
    severity and a note, no weight, readings in three offsets, one without a heart rate, unknown answers."""
    doc = json.loads((EXAMPLES / "eligible.json").read_text(encoding="utf-8"))
    doc["patient"].update(
        {"sex_at_birth": "intersex", "pregnancy": "not_applicable", "weight_kg": None, "height_cm": 181.5}
    )
    doc["diagnoses"] = [
        {"icd10": "F33.2", "status": "active", "severity": "severe", "note": "Third episode since 2019"},
        {"icd10": "F41.1", "status": "in_remission", "severity": "mild"},
        {"icd10": "F43.10", "status": "history"},
    ]
    doc["treatment_history"] = {"psychotherapy_current": "unknown"}
    doc["psychiatric"]["substance_use_disorder"] = "in_remission"
    del doc["support"]
    doc["medications"]["items"] = [
        {"name": "Xanax", "dose_mg": 0.25, "as_needed": True, "max_doses_per_day": 3},
        {"name": "Lexapro", "times_per_day": 2},
        {"name": "Zorblax 5 mg"},
    ]
    doc["blood_pressure"] = [
        {"taken_at": "2026-11-20T08:40:00-07:00", "systolic": 126, "diastolic": 80},
        {"taken_at": "2026-11-20T15:46:00+00:00", "systolic": 122, "diastolic": 78, "heart_rate": 68},
        {"taken_at": "2026-11-20T21:20:00+05:30", "systolic": 124, "diastolic": 79, "heart_rate": 66},
    ]
    doc["measures"] = [
        {"instrument": "phq9", "administered_on": "2026-11-13", "answers": [1, 2, 1, 2, 2, 1, 2, 2, 1]},
        {"instrument": "gad7", "administered_on": "2026-11-20", "answers": [1, 1, 0, 0, 2, 1, 0]},
        {
            "instrument": "cssrs_screener",
            "administered_on": "2026-11-20",
            "answers": {
                "wish_to_be_dead": True,
                "suicidal_thoughts": True,
                "thoughts_with_method": False,
                "intent": False,
                "intent_with_plan": False,
                "behavior_ever": True,
                "behavior_past_3_months": False,
            },
        },
        {
            "instrument": "cssrs_screener",
            "administered_on": "2026-11-06",
            "answers": {"wish_to_be_dead": False, "suicidal_thoughts": False, "behavior_ever": False},
        },
    ]
    return doc


def test_a_record_with_everything_the_examples_leave_out_reads_back_as_the_screenings_intake(
    defaults, clinician
):
    round_trip(everything(), date(2026, 11, 20), clinician)


def varied(**changes) -> dict:
    doc = json.loads((EXAMPLES / "eligible.json").read_text(encoding="utf-8"))
    for path, value in changes.items():
        section, _, name = path.partition("__")
        if name:
            doc.setdefault(section, {})[name] = value
        elif value is None:
            doc.pop(section, None)
        else:
            doc[section] = value
    return doc


CSSRS_POSITIVE = {
    "instrument": "cssrs_screener",
    "administered_on": "2026-11-20",
    "answers": {
        "wish_to_be_dead": True,
        "suicidal_thoughts": True,
        "thoughts_with_method": True,
        "intent": True,
        "intent_with_plan": False,
        "behavior_ever": True,
        "behavior_past_3_months": True,
    },
}
VARIANTS = {
    "breastfeeding": varied(patient__pregnancy="breastfeeding"),
    "no height": varied(patient__height_cm=None),
    "not reconciled, with items": varied(
        medications={"reconciled": False, "items": [{"name": "Lexapro", "dose_mg": 10, "times_per_day": 1}]}
    ),
    "C-SSRS with positive follow-ups": varied(measures=[CSSRS_POSITIVE]),
    "0 failed trials": varied(treatment_history__failed_antidepressant_trials=0),
    "failed trials unknown": varied(treatment_history__failed_antidepressant_trials=None),
    "as needed, times a day and most doses": varied(
        medications={
            "reconciled": True,
            "items": [
                {
                    "name": "Lorazepam",
                    "dose_mg": 0.5,
                    "times_per_day": 2,
                    "as_needed": True,
                    "max_doses_per_day": 3,
                }
            ],
        }
    ),
    "the same medication name twice": varied(
        medications={
            "reconciled": True,
            "items": [
                {"name": "Lexapro", "dose_mg": 10, "times_per_day": 1},
                {"name": "Lexapro", "dose_mg": 5, "times_per_day": 1},
            ],
        }
    ),
    "a diagnosis note": varied(
        diagnoses=[
            {
                "icd10": "F33.1",
                "status": "active",
                "severity": "moderate",
                "note": "Partial response to sertraline",
            }
        ]
    ),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_each_variant_reads_back_as_the_screenings_intake(defaults, clinician, variant):
    round_trip(copy.deepcopy(VARIANTS[variant]), date(2026, 11, 20), clinician)
