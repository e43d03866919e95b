"""Other medical conditions (criteria.md, 'Other medical')."""

import pytest

from .builders import (
    OTHER_MEDICAL_FLAGS,
    answers_without,
    baseline_facts,
    fires,
    screen,
    silent,
    with_answers,
)

YES_FLAG_RULES = {
    "MED-KETAMINE-ALLERGY": "ketamine_hypersensitivity",
    "MED-RAISED-ICP": "raised_intracranial_pressure",
    "MED-GLAUCOMA": "glaucoma",
    "MED-CYSTITIS": "interstitial_cystitis",
    "MED-COGNITIVE": "dementia_or_delirium",
    "MED-SLEEP-APNEA": "severe_sleep_apnea",
}
VERDICT_FOR_YES = {
    "MED-KETAMINE-ALLERGY": "contraindicated",
    "MED-RAISED-ICP": "contraindicated",
    "MED-GLAUCOMA": "clinician_review",
    "MED-CYSTITIS": "eligible_with_precautions",
    "MED-COGNITIVE": "clinician_review",
    "MED-SLEEP-APNEA": "eligible_with_precautions",
}

FIRES = [
    *[fires(code, f"{flag} yes", with_answers(**{flag: "yes"})) for code, flag in YES_FLAG_RULES.items()],
    fires(
        "MED-THYROID-PORPHYRIA",
        "hyperthyroidism uncontrolled",
        with_answers(hyperthyroidism_uncontrolled="yes"),
    ),
    fires("MED-THYROID-PORPHYRIA", "porphyria", with_answers(porphyria="yes")),
    fires("MED-HEPATIC-SEVERE", "hepatic impairment severe", with_answers(hepatic_impairment="severe")),
    fires("MED-HEPATIC-MODERATE", "hepatic impairment moderate", with_answers(hepatic_impairment="moderate")),
    *[
        fires("MED-FLAG-UNKNOWN", f"{flag} unknown", with_answers(**{flag: "unknown"}))
        for flag in OTHER_MEDICAL_FLAGS
    ],
    fires(
        "MED-FLAG-UNKNOWN",
        "an absent answer reads as unknown",
        baseline_facts(answers=answers_without("hepatic_impairment")),
    ),
]

SILENT = [
    *[silent(code, f"{flag} no", with_answers(**{flag: "no"})) for code, flag in YES_FLAG_RULES.items()],
    *[
        silent(code, f"{flag} unknown (asked for instead)", with_answers(**{flag: "unknown"}))
        for code, flag in YES_FLAG_RULES.items()
    ],
    silent(
        "MED-THYROID-PORPHYRIA", "both no", with_answers(hyperthyroidism_uncontrolled="no", porphyria="no")
    ),
    silent("MED-HEPATIC-SEVERE", "hepatic impairment moderate", with_answers(hepatic_impairment="moderate")),
    silent("MED-HEPATIC-MODERATE", "hepatic impairment mild", with_answers(hepatic_impairment="mild")),
    silent(
        "MED-HEPATIC-MODERATE",
        "hepatic impairment severe (review instead)",
        with_answers(hepatic_impairment="severe"),
    ),
    silent("MED-FLAG-UNKNOWN", "every answer given", baseline_facts()),
    silent(
        "MED-FLAG-UNKNOWN", "hepatic impairment mild is an answer", with_answers(hepatic_impairment="mild")
    ),
]


@pytest.mark.parametrize(("code", "facts"), FIRES)
def test_rule_fires(code, facts):
    assert code in screen(facts).rule_codes


@pytest.mark.parametrize(("code", "facts"), SILENT)
def test_rule_is_silent(code, facts):
    assert code not in screen(facts).rule_codes


@pytest.mark.parametrize(("code", "verdict"), VERDICT_FOR_YES.items())
def test_condition_alone_gives_its_verdict(code, verdict):
    assert screen(with_answers(**{YES_FLAG_RULES[code]: "yes"})).verdict == verdict


@pytest.mark.parametrize(
    ("hepatic", "verdict"),
    [
        ("none", "eligible"),
        ("mild", "eligible"),
        ("moderate", "eligible_with_precautions"),
        ("severe", "clinician_review"),
        ("unknown", "needs_information"),
    ],
)
def test_hepatic_impairment_grades(hepatic, verdict):
    assert screen(with_answers(hepatic_impairment=hepatic)).verdict == verdict
