"""Cardiovascular history flags (criteria.md, 'Cardiovascular and blood pressure')."""

import pytest

from .builders import (
    CARDIOVASCULAR_FLAGS,
    answers_without,
    baseline_facts,
    fires,
    screen,
    silent,
    with_answers,
)

ABSOLUTE = {
    "CV-ANEURYSM": "aneurysmal_vascular_disease",
    "CV-AVM": "arteriovenous_malformation",
    "CV-ICH-HISTORY": "intracerebral_hemorrhage_history",
}
UNSTABLE = (
    "recent_myocardial_infarction",
    "unstable_angina",
    "decompensated_heart_failure",
    "uncontrolled_arrhythmia",
)
STABLE = (
    "stable_coronary_disease",
    "heart_failure_compensated",
    "valvular_disease",
    "stroke_history",
    "hypertensive_encephalopathy_history",
)

FIRES = [
    *[fires(code, f"{flag} yes", with_answers(**{flag: "yes"})) for code, flag in ABSOLUTE.items()],
    *[fires("CV-UNSTABLE", f"{flag} yes", with_answers(**{flag: "yes"})) for flag in UNSTABLE],
    *[fires("CV-STABLE-DISEASE", f"{flag} yes", with_answers(**{flag: "yes"})) for flag in STABLE],
    *[
        fires("CV-FLAG-UNKNOWN", f"{flag} unknown", with_answers(**{flag: "unknown"}))
        for flag in CARDIOVASCULAR_FLAGS
    ],
    fires(
        "CV-FLAG-UNKNOWN",
        "an absent flag reads as unknown",
        baseline_facts(answers=answers_without("valvular_disease")),
    ),
]

SILENT = [
    *[silent(code, f"{flag} no", with_answers(**{flag: "no"})) for code, flag in ABSOLUTE.items()],
    *[
        silent(code, f"{flag} unknown (asked for instead)", with_answers(**{flag: "unknown"}))
        for code, flag in ABSOLUTE.items()
    ],
    silent("CV-UNSTABLE", "every unstable condition no", with_answers(**dict.fromkeys(UNSTABLE, "no"))),
    silent("CV-UNSTABLE", "stable disease is not unstable", with_answers(stable_coronary_disease="yes")),
    silent("CV-STABLE-DISEASE", "every stable condition no", with_answers(**dict.fromkeys(STABLE, "no"))),
    silent("CV-STABLE-DISEASE", "unstable disease is deferred instead", with_answers(unstable_angina="yes")),
    silent("CV-FLAG-UNKNOWN", "every flag answered", baseline_facts()),
    silent(
        "CV-FLAG-UNKNOWN",
        "every flag answered, some of them yes",
        with_answers(aneurysmal_vascular_disease="yes", valvular_disease="yes"),
    ),
]


@pytest.mark.parametrize(("code", "facts"), FIRES)
def test_rule_fires(code, facts):
    assert code in screen(facts).rule_codes


@pytest.mark.parametrize(("code", "facts"), SILENT)
def test_rule_is_silent(code, facts):
    assert code not in screen(facts).rule_codes


@pytest.mark.parametrize("flag", ABSOLUTE.values())
def test_vascular_malformation_or_bleed_is_a_contraindication(flag):
    assert screen(with_answers(**{flag: "yes"})).verdict == "contraindicated"


@pytest.mark.parametrize("flag", UNSTABLE)
def test_unstable_heart_condition_defers(flag):
    assert screen(with_answers(**{flag: "yes"})).verdict == "deferred"


@pytest.mark.parametrize("flag", STABLE)
def test_stable_heart_disease_needs_clinician_review(flag):
    assert screen(with_answers(**{flag: "yes"})).verdict == "clinician_review"


def test_unknown_cardiac_flags_are_all_named():
    report = screen(with_answers(unstable_angina="unknown", stroke_history="unknown"))
    finding = next(f for f in report.findings if f.rule == "CV-FLAG-UNKNOWN")

    assert report.verdict == "needs_information"
    assert finding.evidence == "unknown: unstable angina, stroke history"
