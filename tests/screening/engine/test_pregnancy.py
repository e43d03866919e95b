"""Pregnancy and lactation (criteria.md, 'Pregnancy')."""

import pytest

from .builders import (
    age_day_before_birthday,
    answers,
    baseline_facts,
    birthday,
    fires,
    screen,
    silent,
    with_answers,
)


def pregnancy_unknown(sex_at_birth: str = "female", date_of_birth=None):
    return baseline_facts(
        sex_at_birth=sex_at_birth,
        date_of_birth=date_of_birth or birthday(30),
        answers=answers(pregnancy="unknown"),
    )


FIRES = [
    fires("PREG-PREGNANT", "pregnant", with_answers(pregnancy="pregnant")),
    fires("PREG-BREASTFEEDING", "breastfeeding", with_answers(pregnancy="breastfeeding")),
    fires("PREG-UNKNOWN", "female, 30", pregnancy_unknown()),
    fires("PREG-UNKNOWN", "intersex, 30", pregnancy_unknown("intersex")),
    # criteria.md names female and intersex; the rule set also asks when sex at birth is itself unknown
    fires("PREG-UNKNOWN", "sex at birth unknown, 30", pregnancy_unknown("unknown")),
    fires("PREG-UNKNOWN", "female, 12th birthday today", pregnancy_unknown(date_of_birth=birthday(12))),
    fires(
        "PREG-UNKNOWN",
        "female, 55, turning 56 tomorrow",
        pregnancy_unknown(date_of_birth=age_day_before_birthday(56)),
    ),
]

SILENT = [
    silent("PREG-PREGNANT", "not pregnant", with_answers(pregnancy="not_pregnant")),
    silent("PREG-PREGNANT", "breastfeeding", with_answers(pregnancy="breastfeeding")),
    silent("PREG-PREGNANT", "unknown (asked for instead)", pregnancy_unknown()),
    silent("PREG-BREASTFEEDING", "not pregnant", with_answers(pregnancy="not_pregnant")),
    silent("PREG-BREASTFEEDING", "pregnant", with_answers(pregnancy="pregnant")),
    silent("PREG-UNKNOWN", "male, 30", pregnancy_unknown("male")),
    silent(
        "PREG-UNKNOWN",
        "female, 11, turning 12 tomorrow",
        pregnancy_unknown(date_of_birth=age_day_before_birthday(12)),
    ),
    silent("PREG-UNKNOWN", "female, 56th birthday today", pregnancy_unknown(date_of_birth=birthday(56))),
    silent("PREG-UNKNOWN", "female, 30, not applicable", with_answers(pregnancy="not_applicable")),
    silent("PREG-UNKNOWN", "female, 30, not pregnant", with_answers(pregnancy="not_pregnant")),
]


@pytest.mark.parametrize(("code", "facts"), FIRES)
def test_rule_fires(code, facts):
    assert code in screen(facts).rule_codes


@pytest.mark.parametrize(("code", "facts"), SILENT)
def test_rule_is_silent(code, facts):
    assert code not in screen(facts).rule_codes


def test_pregnancy_is_a_contraindication():
    assert screen(with_answers(pregnancy="pregnant")).verdict == "contraindicated"


def test_breastfeeding_needs_clinician_review():
    assert screen(with_answers(pregnancy="breastfeeding")).verdict == "clinician_review"


def test_unknown_pregnancy_status_of_a_woman_of_childbearing_age_needs_information():
    assert screen(pregnancy_unknown()).verdict == "needs_information"


def test_unknown_pregnancy_status_of_a_man_is_not_asked_for():
    assert screen(pregnancy_unknown("male")).verdict == "eligible"
