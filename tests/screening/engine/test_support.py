"""Escort and support person (criteria.md, 'Support and logistics')."""

import pytest

from .builders import answers_without, baseline_facts, fires, screen, silent, with_answers

FIRES = [
    fires("SUP-NO-ESCORT", "escort no", with_answers(escort_available="no")),
    fires("SUP-NO-SUPPORT", "support person no", with_answers(support_person="no")),
    fires("SUP-UNKNOWN", "escort unknown", with_answers(escort_available="unknown")),
    fires("SUP-UNKNOWN", "support person unknown", with_answers(support_person="unknown")),
    fires("SUP-UNKNOWN", "escort absent", baseline_facts(answers=answers_without("escort_available"))),
]

SILENT = [
    silent("SUP-NO-ESCORT", "escort yes", with_answers(escort_available="yes")),
    silent("SUP-NO-ESCORT", "escort unknown (asked for instead)", with_answers(escort_available="unknown")),
    silent("SUP-NO-SUPPORT", "support person yes", with_answers(support_person="yes")),
    silent("SUP-NO-SUPPORT", "support unknown (asked for instead)", with_answers(support_person="unknown")),
    silent("SUP-UNKNOWN", "both answered yes", baseline_facts()),
    silent("SUP-UNKNOWN", "both answered no", with_answers(escort_available="no", support_person="no")),
]


@pytest.mark.parametrize(("code", "facts"), FIRES)
def test_rule_fires(code, facts):
    assert code in screen(facts).rule_codes


@pytest.mark.parametrize(("code", "facts"), SILENT)
def test_rule_is_silent(code, facts):
    assert code not in screen(facts).rule_codes


def test_no_escort_is_a_precaution():
    assert screen(with_answers(escort_available="no")).verdict == "eligible_with_precautions"


def test_unknown_support_needs_information():
    assert screen(with_answers(support_person="unknown")).verdict == "needs_information"
