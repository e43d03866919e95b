import json
from datetime import date

import pytest

from patients.services import intake_import
from rules.services import rule_update
from screening.impact import impact_preview_run, impact_preview_start
from screening.models import ImpactPreview
from screening.services import screening_run
from tests.conftest import EXAMPLES
from tests.rules.conftest import rule

pytestmark = pytest.mark.django_db


def test_impact_preview_counts_verdict_transitions_on_a_known_population(
    active, draft, clinician, rules_admin
):
    for name in ("eligible", "deferred-bp-and-benzodiazepine", "contraindicated-avm"):
        patient, _ = intake_import(doc=json.loads((EXAMPLES / f"{name}.json").read_text()))
        screening_run(patient=patient, requested_by=clinician, as_of=date(2026, 11, 20))
    # raise the stage 2 threshold: 166/101 becomes "elevated" (review) instead of "stage 2" (defer)
    rule_update(
        rule=rule(draft, "BP-STAGE2"),
        values={"predicate": {"kind": "bp_mean_at_least", "params": {"systolic": 170, "diastolic": 110}}},
    )
    rule_update(
        rule=rule(draft, "BP-ELEVATED"),
        values={
            "predicate": {
                "kind": "all",
                "params": {
                    "of": [
                        {"kind": "bp_mean_above", "params": {"systolic": 140, "diastolic": 90}},
                        {
                            "kind": "not",
                            "params": {
                                "predicate": {
                                    "kind": "bp_mean_at_least",
                                    "params": {"systolic": 170, "diastolic": 110},
                                }
                            },
                        },
                    ]
                },
            }
        },
    )
    draft.refresh_from_db()
    preview = impact_preview_start(ruleset=draft, user=rules_admin, limit=500)
    preview = impact_preview_run(preview_id=preview.pk)
    assert preview.status == ImpactPreview.Status.DONE
    assert preview.total == 3
    transitions = {(t["old"], t["new"]): t["count"] for t in preview.result["transitions"]}
    assert transitions == {
        ("deferred", "clinician_review"): 1,
        ("eligible", "eligible"): 1,
        ("contraindicated", "contraindicated"): 1,
    }
    assert preview.result["changed_verdicts"] == 1
    (affected,) = preview.result["affected"]
    assert affected["mrn"] == "KT-0002"
    assert affected["added"] == ["BP-ELEVATED"] and affected["removed"] == ["BP-STAGE2"]


def test_impact_preview_respects_the_limit(active, draft, clinician, rules_admin):
    patient, _ = intake_import(doc=json.loads((EXAMPLES / "eligible.json").read_text()))
    for _ in range(3):
        screening_run(patient=patient, requested_by=clinician, as_of=date(2026, 11, 20))
    preview = impact_preview_run(preview_id=impact_preview_start(ruleset=draft, user=rules_admin, limit=2).pk)
    assert preview.total == 2
