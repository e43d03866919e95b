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


@pytest.fixture(autouse=True)
def small_cohorts_shown(settings):
    """These populations are of three screenings: below the minimum a preview is withheld at."""
    settings.RULES_IMPACT_MIN_SCREENINGS = 1


def test_impact_preview_counts_verdict_transitions_on_a_known_population(
    active, draft, clinician, rules_admin
):
    screened = {}
    for name in ("eligible", "deferred-bp-and-benzodiazepine", "contraindicated-avm"):
        patient, _ = intake_import(doc=json.loads((EXAMPLES / f"{name}.json").read_text()))
        screened[name] = screening_run(patient=patient, requested_by=clinician, as_of=date(2026, 11, 20)).pk
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
    transitions = {(t["old"], t["new"]): (t["count"], t["screenings"]) for t in preview.result["transitions"]}
    assert transitions == {
        ("deferred", "clinician_review"): (1, [screened["deferred-bp-and-benzodiazepine"]]),
        ("eligible", "eligible"): (1, [screened["eligible"]]),
        ("contraindicated", "contraindicated"): (1, [screened["contraindicated-avm"]]),
    }
    assert preview.result["changed_verdicts"] == 1
    assert preview.result["rules"] == [
        {
            "code": "BP-ELEVATED",
            "newly_firing": 1,
            "no_longer_firing": 0,
            "screenings_newly": [screened["deferred-bp-and-benzodiazepine"]],
            "more_newly": 0,
            "screenings_no_longer": [],
            "more_no_longer": 0,
        },
        {
            "code": "BP-STAGE2",
            "newly_firing": 0,
            "no_longer_firing": 1,
            "screenings_newly": [],
            "more_newly": 0,
            "screenings_no_longer": [screened["deferred-bp-and-benzodiazepine"]],
            "more_no_longer": 0,
        },
    ]
    assert "affected" not in preview.result


def test_impact_preview_respects_the_limit(active, draft, clinician, rules_admin):
    patient, _ = intake_import(doc=json.loads((EXAMPLES / "eligible.json").read_text()))
    for _ in range(3):
        screening_run(patient=patient, requested_by=clinician, as_of=date(2026, 11, 20))
    preview = impact_preview_run(preview_id=impact_preview_start(ruleset=draft, user=rules_admin, limit=2).pk)
    assert preview.total == 2
