"""The dose range: 0.5-1.0 mg/kg of actual body weight, rounded to 0.1 mg (criteria.md, 'Dose range')."""

import pytest

from screening.engine import ruleset_from_data

from .builders import (
    age_day_before_birthday,
    baseline_facts,
    default_ruleset_data,
    fires,
    reading,
    screen,
    silent,
    with_answers,
    with_bp,
)

FIRES = [
    fires("DATA-NO-WEIGHT", "weight not recorded", baseline_facts(weight_kg=None)),
]

SILENT = [
    silent("DATA-NO-WEIGHT", "weight recorded", baseline_facts(weight_kg=70.0)),
    silent("DATA-NO-WEIGHT", "a light patient's weight is still a weight", baseline_facts(weight_kg=25.0)),
]


@pytest.mark.parametrize(("code", "facts"), FIRES)
def test_rule_fires(code, facts):
    assert code in screen(facts).rule_codes


@pytest.mark.parametrize(("code", "facts"), SILENT)
def test_rule_is_silent(code, facts):
    assert code not in screen(facts).rule_codes


@pytest.mark.parametrize(
    ("weight", "low", "high"),
    [
        (70.0, 35.0, 70.0),
        (68.25, 34.1, 68.3),  # 34.125 -> 34.1; 68.25 -> 68.3 (half up, not half even)
        (60.1, 30.1, 60.1),  # 30.05 -> 30.1
        (82.35, 41.2, 82.4),  # 41.175 -> 41.2; 82.35 -> 82.4
        (25.0, 12.5, 25.0),
    ],
)
def test_dose_is_half_to_one_mg_per_kg_rounded_half_up_to_a_tenth(weight, low, high):
    dose = screen(baseline_facts(weight_kg=weight)).dose

    assert (dose.weight_kg, dose.low_mg, dose.high_mg) == (weight, low, high)


def test_dose_carries_infusion_minutes_and_sources():
    dose = screen(baseline_facts()).dose

    assert dose.minutes == (40, 60)
    assert dose.sources == ("S4", "A4", "A3")


@pytest.mark.parametrize(
    ("facts", "verdict"),
    [
        (baseline_facts(), "eligible"),
        (with_answers(escort_available="no"), "eligible_with_precautions"),
        (with_answers(glaucoma="yes"), "clinician_review"),
        (with_bp(reading(165, 95)), "deferred"),
        (with_bp(), "needs_information"),
    ],
)
def test_dose_is_shown_for_every_other_verdict(facts, verdict):
    report = screen(facts)

    assert report.verdict == verdict
    assert report.dose is not None


@pytest.mark.parametrize(
    ("facts", "verdict"),
    [
        (with_answers(pregnancy="pregnant"), "contraindicated"),
        (baseline_facts(date_of_birth=age_day_before_birthday(18)), "not_a_candidate"),
    ],
)
def test_dose_is_not_shown_when_contraindicated_or_not_a_candidate(facts, verdict):
    report = screen(facts)

    assert report.verdict == verdict
    assert report.dose is None


def test_dose_is_not_shown_without_a_weight():
    report = screen(baseline_facts(weight_kg=None))

    assert report.verdict == "needs_information"
    assert report.dose is None


def test_dose_per_kg_is_rule_set_data():
    data = default_ruleset_data()
    data["protocol"]["dose_mg_per_kg"] = [0.25, 0.5]

    dose = screen(baseline_facts(weight_kg=70.0), ruleset=ruleset_from_data(data)).dose

    assert (dose.low_mg, dose.high_mg) == (17.5, 35.0)
