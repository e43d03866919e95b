"""Psychiatric rules and the psychiatric flags that must be answered (criteria.md, 'Psychiatric')."""

import pytest

from screening.engine.facts import Diagnosis

from .builders import (
    PSYCHIATRIC_FLAGS,
    active,
    answers,
    answers_without,
    baseline_facts,
    fires,
    screen,
    silent,
    with_answers,
    with_diagnoses,
)

QUALIFYING = active("F33.2", "severe")
# One code under each psychosis prefix of criteria.md: F20-F29, F30.2, F32.3, F33.3, F31.2, F31.5, F31.64.
# fmt: off
PSYCHOTIC_CODES = (
    "F20.9", "F21", "F22", "F23", "F24", "F25.0", "F26", "F27", "F28", "F29", "F30.2", "F32.3", "F33.3", "F31.2",
    "F31.5", "F31.64",
)
# fmt: on


def with_extra_diagnosis(code: str):
    return with_diagnoses(QUALIFYING, active(code))


FIRES = [
    fires("PSY-PSYCHOSIS-CURRENT", "flag yes", with_answers(psychotic_symptoms_current="yes")),
    *[
        fires("PSY-PSYCHOSIS-CURRENT", f"active {code}", with_extra_diagnosis(code))
        for code in PSYCHOTIC_CODES
    ],
    fires("PSY-PSYCHOSIS-HISTORY", "history yes, current no", with_answers(psychosis_history="yes")),
    fires(
        "PSY-PSYCHOSIS-HISTORY",
        "history yes, psychotic dx only in history",
        with_diagnoses(QUALIFYING, Diagnosis("F20.9", "history"), answers=answers(psychosis_history="yes")),
    ),
    # 2026.2: a psychotic diagnosis in remission or history is psychosis history, whatever the answer says
    *[
        fires(
            "PSY-PSYCHOSIS-HISTORY",
            f"{code} {status}, answer no",
            with_diagnoses(QUALIFYING, Diagnosis(code, status), answers=answers(psychosis_history="no")),
        )
        for code in ("F20.9", "F25.1", "F30.2", "F31.64")
        for status in ("in_remission", "history")
    ],
    fires("PSY-MANIA-CURRENT", "flag yes", with_answers(mania_current="yes")),
    *[
        fires("PSY-MANIA-CURRENT", f"active {code}", with_extra_diagnosis(code))
        for code in ("F30.10", "F30.2", "F31.0", "F31.11", "F31.13", "F31.2", "F31.60", "F31.62", "F31.64")
    ],
    fires("PSY-SUICIDE-IMMINENT", "intent or plan yes", with_answers(suicidal_intent_or_plan="yes")),
    fires("PSY-SUD-CURRENT", "substance use current", with_answers(substance_use_disorder="current")),
    fires(
        "PSY-SUD-HISTORY", "substance use in remission", with_answers(substance_use_disorder="in_remission")
    ),
    *[
        fires("PSY-FLAG-UNKNOWN", f"{flag} unknown", with_answers(**{flag: "unknown"}))
        for flag in PSYCHIATRIC_FLAGS
    ],
    fires(
        "PSY-FLAG-UNKNOWN",
        "an absent flag reads as unknown",
        baseline_facts(answers=answers_without("mania_current")),
    ),
]

SILENT = [
    silent("PSY-PSYCHOSIS-CURRENT", "flag no", with_answers(psychotic_symptoms_current="no")),
    silent(
        "PSY-PSYCHOSIS-CURRENT",
        "flag unknown (asked for instead)",
        with_answers(psychotic_symptoms_current="unknown"),
    ),
    *[
        silent("PSY-PSYCHOSIS-CURRENT", f"active {code}", with_extra_diagnosis(code))
        for code in (
            "F19.20",
            "F30.10",
            "F31.0",
            "F31.4",
            "F31.32",
            "F31.6",
            "F31.63",
            "F32.2",
            "F33.2",
            "F34.1",
        )
    ],
    silent(
        "PSY-PSYCHOSIS-CURRENT",
        "F20.9 only in history",
        with_diagnoses(QUALIFYING, Diagnosis("F20.9", "history")),
    ),
    silent(
        "PSY-PSYCHOSIS-CURRENT",
        "F32.3 in remission",
        with_diagnoses(QUALIFYING, Diagnosis("F32.3", "in_remission", "severe")),
    ),
    silent("PSY-PSYCHOSIS-HISTORY", "history no", with_answers(psychosis_history="no")),
    silent(
        "PSY-PSYCHOSIS-HISTORY",
        "history yes but psychotic now (flag)",
        with_answers(psychosis_history="yes", psychotic_symptoms_current="yes"),
    ),
    *[
        silent(
            "PSY-PSYCHOSIS-HISTORY",
            f"history yes but psychotic now ({code})",
            with_diagnoses(QUALIFYING, active(code), answers=answers(psychosis_history="yes")),
        )
        for code in PSYCHOTIC_CODES
    ],
    *[
        silent(
            "PSY-PSYCHOSIS-HISTORY",
            f"{code} in remission is not psychosis",
            with_diagnoses(
                QUALIFYING, Diagnosis(code, "in_remission"), answers=answers(psychosis_history="no")
            ),
        )
        for code in ("F41.1", "F31.63", "F30.10")
    ],
    silent("PSY-MANIA-CURRENT", "flag no", with_answers(mania_current="no")),
    *[
        silent("PSY-MANIA-CURRENT", f"active {code}", with_extra_diagnosis(code))
        for code in ("F31.30", "F31.4", "F31.5", "F31.70", "F31.81", "F31.9", "F32.2")
    ],
    silent(
        "PSY-MANIA-CURRENT",
        "F31.11 in remission",
        with_diagnoses(QUALIFYING, Diagnosis("F31.11", "in_remission")),
    ),
    silent("PSY-SUICIDE-IMMINENT", "intent or plan no", with_answers(suicidal_intent_or_plan="no")),
    silent(
        "PSY-SUICIDE-IMMINENT",
        "active ideation without intent or plan",
        with_answers(suicidal_ideation="active", suicidal_intent_or_plan="no"),
    ),
    silent(
        "PSY-SUD-CURRENT", "substance use in remission", with_answers(substance_use_disorder="in_remission")
    ),
    silent("PSY-SUD-CURRENT", "substance use none", with_answers(substance_use_disorder="none")),
    silent("PSY-SUD-HISTORY", "substance use current", with_answers(substance_use_disorder="current")),
    silent("PSY-SUD-HISTORY", "substance use none", with_answers(substance_use_disorder="none")),
    silent("PSY-FLAG-UNKNOWN", "every flag answered", baseline_facts()),
    silent(
        "PSY-FLAG-UNKNOWN",
        "every flag answered, some of them positive",
        with_answers(
            psychotic_symptoms_current="yes",
            suicidal_ideation="passive",
            substance_use_disorder="in_remission",
        ),
    ),
]


@pytest.mark.parametrize(("code", "facts"), FIRES)
def test_rule_fires(code, facts):
    assert code in screen(facts).rule_codes


@pytest.mark.parametrize(("code", "facts"), SILENT)
def test_rule_is_silent(code, facts):
    assert code not in screen(facts).rule_codes


def test_current_psychosis_is_a_contraindication():
    assert screen(with_answers(psychotic_symptoms_current="yes")).verdict == "contraindicated"


def test_psychotic_depression_is_a_contraindication_though_it_qualifies():
    report = screen(with_diagnoses(active("F33.3", "severe")))

    assert report.verdict == "contraindicated"
    assert "IND-NO-QUALIFYING" not in report.rule_codes


def test_bipolar_with_current_mania_is_deferred_though_it_qualifies():
    report = screen(with_diagnoses(active("F31.13")))

    assert report.verdict == "deferred"
    assert "IND-NO-QUALIFYING" not in report.rule_codes


def test_suicidal_intent_defers():
    assert screen(with_answers(suicidal_intent_or_plan="yes")).verdict == "deferred"


def test_unknown_psychiatric_flag_needs_information_and_names_the_flag():
    report = screen(with_answers(mania_current="unknown"))
    finding = next(f for f in report.findings if f.rule == "PSY-FLAG-UNKNOWN")

    assert report.verdict == "needs_information"
    assert finding.evidence == "unknown: mania current"


def test_psychosis_history_evidence_names_the_answer():
    finding = next(
        f for f in screen(with_answers(psychosis_history="yes")).findings if f.rule == "PSY-PSYCHOSIS-HISTORY"
    )

    assert "psychosis history: yes" in finding.evidence
