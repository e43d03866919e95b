"""The verdict is the worst severity among the findings (criteria.md, 'Severities and the verdict')."""

from itertools import combinations

import pytest

from screening.engine.severity import SEVERITIES, SEVERITY_RANK, verdict_for

from .builders import (
    SERTRALINE,
    age_day_before_birthday,
    answers,
    baseline_facts,
    daily,
    screen,
    with_answers,
)

# For each severity, one change to the baseline that produces exactly one finding of that severity.
ONE_FINDING_OF = {
    "contraindicated": ({}, {"ketamine_hypersensitivity": "yes"}),
    "not_candidate": ({"date_of_birth": age_day_before_birthday(18)}, {}),
    "missing": ({"weight_kg": None}, {}),
    "defer": ({}, {"suicidal_intent_or_plan": "yes"}),
    "review": ({}, {"glaucoma": "yes"}),
    "precaution": ({}, {"escort_available": "no"}),
    "info": ({"medications": (daily(SERTRALINE, 50),)}, {}),
}
VERDICT = {
    "contraindicated": "contraindicated",
    "not_candidate": "not_a_candidate",
    "missing": "needs_information",
    "defer": "deferred",
    "review": "clinician_review",
    "precaution": "eligible_with_precautions",
    "info": "eligible",
}


def facts_with(*severities: str):
    fields, changes = {}, {}
    for severity in severities:
        fields.update(ONE_FINDING_OF[severity][0])
        changes.update(ONE_FINDING_OF[severity][1])
    return baseline_facts(**fields, answers=answers(**changes))


def test_severities_are_ranked_worst_first():
    assert SEVERITIES == (
        "contraindicated",
        "not_candidate",
        "missing",
        "defer",
        "review",
        "precaution",
        "info",
    )


@pytest.mark.parametrize("severity", SEVERITIES)
def test_a_single_finding_gives_the_verdict_of_its_severity(severity):
    report = screen(facts_with(severity))

    assert [f.severity for f in report.findings] == [severity]
    assert report.verdict == VERDICT[severity]


@pytest.mark.parametrize(("worse", "better"), list(combinations(SEVERITIES, 2)))
def test_the_worse_severity_wins(worse, better):
    assert screen(facts_with(worse, better)).verdict == VERDICT[worse]


def test_only_info_findings_give_eligible():
    report = screen(facts_with("info"))

    assert report.findings != ()
    assert report.verdict == "eligible"


def test_no_findings_give_eligible():
    report = screen(baseline_facts())

    assert (report.findings, report.verdict) == ((), "eligible")


def test_verdict_of_no_severities_is_eligible():
    assert verdict_for([]) == "eligible"


def test_findings_are_ordered_worst_first():
    report = screen(facts_with(*reversed(SEVERITIES)))

    assert [f.severity for f in report.findings] == list(SEVERITIES)


def test_findings_of_equal_severity_keep_rule_set_order():
    report = screen(
        with_answers(
            severe_sleep_apnea="yes",
            escort_available="no",
            interstitial_cystitis="yes",
            psychotherapy_current="no",
        )
    )

    assert report.rule_codes == (
        "IND-NOT-WITH-PSYCHOTHERAPY",
        "MED-CYSTITIS",
        "MED-SLEEP-APNEA",
        "SUP-NO-ESCORT",
    )


def test_a_realistic_mix_is_ordered_by_severity():
    report = screen(
        baseline_facts(
            medications=(daily(SERTRALINE, 50),),
            answers=answers(
                glaucoma="yes", escort_available="no", pregnancy="pregnant", support_person="unknown"
            ),
        )
    )

    assert report.rule_codes == (
        "PREG-PREGNANT",
        "SUP-UNKNOWN",
        "MED-GLAUCOMA",
        "SUP-NO-ESCORT",
        "MEDS-COMPATIBLE",
    )
    assert report.verdict == "contraindicated"
    assert [SEVERITY_RANK[f.severity] for f in report.findings] == sorted(
        SEVERITY_RANK[f.severity] for f in report.findings
    )
