"""Indication (candidacy), age and the required active diagnosis (criteria.md, 'Indication')."""

import pytest

from screening.engine.facts import Diagnosis

from .builders import (
    active,
    age_day_before_birthday,
    answers,
    baseline_facts,
    birthday,
    fires,
    screen,
    silent,
    with_answers,
    with_diagnoses,
)

MODERATE_DEPRESSION = active("F32.1", "moderate")
SEVERE_OCD = active("F42.2", "severe")
# One code under each qualifying prefix of criteria.md, and the depressive ones among them.
QUALIFYING_CODES = ("F32.2", "F32.3", "F33.2", "F33.3", "F31.81", "F43.10", "F40.01", "F41.1", "R45.851")
DEPRESSIVE_QUALIFYING_CODES = ("F32.2", "F32.3", "F33.2", "F33.3", "F31.81")

FIRES = [
    # IND-NO-QUALIFYING
    fires("IND-NO-QUALIFYING", "moderate depression only", with_diagnoses(MODERATE_DEPRESSION)),
    fires("IND-NO-QUALIFYING", "adjustment disorder F43.2 is not PTSD", with_diagnoses(active("F43.23"))),
    fires("IND-NO-QUALIFYING", "mood swings R45.86", with_diagnoses(active("R45.86"))),
    fires(
        "IND-NO-QUALIFYING", "homicidal ideation R45.850 is not R45.851", with_diagnoses(active("R45.850"))
    ),
    fires(
        "IND-NO-QUALIFYING", "non-qualifying dx marked moderate", with_diagnoses(active("F42.2", "moderate"))
    ),
    fires(
        "IND-NO-QUALIFYING",
        "qualifying dx only in remission",
        with_diagnoses(MODERATE_DEPRESSION, Diagnosis("F33.2", "in_remission", "severe")),
    ),
    # IND-UNSUITABLE
    fires("IND-UNSUITABLE", "F32.0 mild depression", with_diagnoses(active("F32.0", "mild"))),
    fires("IND-UNSUITABLE", "F32.1 moderate depression", with_diagnoses(MODERATE_DEPRESSION)),
    fires("IND-UNSUITABLE", "F33.0 recurrent mild", with_diagnoses(active("F33.0", "mild"))),
    fires("IND-UNSUITABLE", "F33.1 recurrent moderate", with_diagnoses(active("F33.1", "moderate"))),
    fires("IND-UNSUITABLE", "F43.21 adjustment disorder", with_diagnoses(active("F43.21"))),
    fires("IND-UNSUITABLE", "R45.86 mood swings", with_diagnoses(active("R45.86"))),
    fires(
        "IND-UNSUITABLE",
        "shown beside a qualifying dx",
        with_diagnoses(active("F33.2", "severe"), active("F43.20")),
    ),
    # IND-OTHER-SEVERE
    fires("IND-OTHER-SEVERE", "severe OCD, nothing qualifying", with_diagnoses(SEVERE_OCD)),
    fires(
        "IND-OTHER-SEVERE",
        "severe non-qualifying dx beside an unsuitable one",
        with_diagnoses(SEVERE_OCD, MODERATE_DEPRESSION),
    ),
    # IND-NOT-TREATMENT-RESISTANT
    fires(
        "IND-NOT-TREATMENT-RESISTANT",
        "F33.2 with 1 failed trial",
        baseline_facts(failed_antidepressant_trials=1),
    ),
    fires(
        "IND-NOT-TREATMENT-RESISTANT",
        "F33.2 with 0 failed trials",
        baseline_facts(failed_antidepressant_trials=0),
    ),
    fires(
        "IND-NOT-TREATMENT-RESISTANT",
        "F33.2 with trials unknown",
        baseline_facts(failed_antidepressant_trials=None),
    ),
    *[
        fires(
            "IND-NOT-TREATMENT-RESISTANT",
            f"{code} with 1 trial",
            with_diagnoses(active(code, "severe"), failed_antidepressant_trials=1),
        )
        for code in DEPRESSIVE_QUALIFYING_CODES
    ],
    fires(
        "IND-NOT-TREATMENT-RESISTANT",
        "depressive dx beside PTSD with 1 trial",
        with_diagnoses(active("F43.10"), active("F33.2", "severe"), failed_antidepressant_trials=1),
    ),
    # IND-NOT-WITH-PSYCHOTHERAPY
    fires("IND-NOT-WITH-PSYCHOTHERAPY", "psychotherapy no", with_answers(psychotherapy_current="no")),
    fires(
        "IND-NOT-WITH-PSYCHOTHERAPY", "psychotherapy unknown", with_answers(psychotherapy_current="unknown")
    ),
    # AGE
    fires(
        "AGE-UNDER-18", "17, turning 18 tomorrow", baseline_facts(date_of_birth=age_day_before_birthday(18))
    ),
    fires("AGE-65-PLUS", "65th birthday today", baseline_facts(date_of_birth=birthday(65))),
    fires("AGE-65-PLUS", "age 90", baseline_facts(date_of_birth=birthday(90))),
    # DATA-NO-DIAGNOSIS
    fires("DATA-NO-DIAGNOSIS", "no diagnosis", with_diagnoses()),
    fires(
        "DATA-NO-DIAGNOSIS", "only in remission", with_diagnoses(Diagnosis("F33.2", "in_remission", "severe"))
    ),
    fires("DATA-NO-DIAGNOSIS", "only history", with_diagnoses(Diagnosis("F43.10", "history"))),
]

SILENT = [
    # IND-NO-QUALIFYING: each qualifying code, by prefix
    *[
        silent("IND-NO-QUALIFYING", f"{code} qualifies", with_diagnoses(active(code)))
        for code in (*QUALIFYING_CODES, "F31.4", "F43.1", "F43.12")
    ],
    silent("IND-NO-QUALIFYING", "code written without dot or capitals", with_diagnoses(active("f4310"))),
    # 2026.2: unknown suicidal ideation is asked for (PSY-FLAG-UNKNOWN), not "not a candidate"
    silent(
        "IND-NO-QUALIFYING",
        "suicidal ideation unknown: it could qualify",
        with_diagnoses(MODERATE_DEPRESSION, answers=answers(suicidal_ideation="unknown")),
    ),
    silent(
        "IND-NO-QUALIFYING",
        "suicidal ideation passive",
        with_diagnoses(MODERATE_DEPRESSION, answers=answers(suicidal_ideation="passive")),
    ),
    silent(
        "IND-NO-QUALIFYING",
        "suicidal ideation active",
        with_diagnoses(MODERATE_DEPRESSION, answers=answers(suicidal_ideation="active")),
    ),
    silent(
        "IND-NO-QUALIFYING", "severe non-qualifying dx goes to review instead", with_diagnoses(SEVERE_OCD)
    ),
    silent("IND-NO-QUALIFYING", "no active dx at all is missing data instead", with_diagnoses()),
    silent(
        "IND-NO-QUALIFYING",
        "qualifying dx beside an unsuitable one",
        with_diagnoses(MODERATE_DEPRESSION, active("F33.2", "severe")),
    ),
    # IND-UNSUITABLE
    silent("IND-UNSUITABLE", "F32.2 severe depression", with_diagnoses(active("F32.2", "severe"))),
    silent("IND-UNSUITABLE", "F33.2 recurrent severe", with_diagnoses(active("F33.2", "severe"))),
    silent("IND-UNSUITABLE", "F43.10 PTSD", with_diagnoses(active("F43.10"))),
    silent("IND-UNSUITABLE", "R45.851 suicidal ideation", with_diagnoses(active("R45.851"))),
    silent(
        "IND-UNSUITABLE",
        "F32.1 in remission",
        with_diagnoses(active("F33.2", "severe"), Diagnosis("F32.1", "in_remission", "moderate")),
    ),
    # IND-OTHER-SEVERE
    silent(
        "IND-OTHER-SEVERE", "non-qualifying dx not marked severe", with_diagnoses(active("F42.2", "moderate"))
    ),
    *[
        silent(
            "IND-OTHER-SEVERE",
            f"severe non-qualifying dx beside qualifying {code}",
            with_diagnoses(SEVERE_OCD, active(code)),
        )
        for code in QUALIFYING_CODES
    ],
    silent(
        "IND-OTHER-SEVERE",
        "severe non-qualifying dx in remission",
        with_diagnoses(Diagnosis("F42.2", "in_remission", "severe"), MODERATE_DEPRESSION),
    ),
    silent("IND-OTHER-SEVERE", "severe qualifying dx", with_diagnoses(active("F33.2", "severe"))),
    # IND-NOT-TREATMENT-RESISTANT
    silent(
        "IND-NOT-TREATMENT-RESISTANT",
        "F33.2 with 2 failed trials",
        baseline_facts(failed_antidepressant_trials=2),
    ),
    silent(
        "IND-NOT-TREATMENT-RESISTANT",
        "PTSD alone with 0 trials",
        with_diagnoses(active("F43.10"), failed_antidepressant_trials=0),
    ),
    silent(
        "IND-NOT-TREATMENT-RESISTANT",
        "anxiety alone with trials unknown",
        with_diagnoses(active("F41.1"), failed_antidepressant_trials=None),
    ),
    silent(
        "IND-NOT-TREATMENT-RESISTANT",
        "suicidal ideation R45.851 alone with trials unknown",
        with_diagnoses(active("R45.851"), failed_antidepressant_trials=None),
    ),
    silent(
        "IND-NOT-TREATMENT-RESISTANT",
        "moderate depression is not a qualifying depressive dx",
        with_diagnoses(MODERATE_DEPRESSION, failed_antidepressant_trials=0),
    ),
    silent(
        "IND-NOT-TREATMENT-RESISTANT",
        "depressive dx only in remission",
        with_diagnoses(
            active("F43.10"), Diagnosis("F33.2", "in_remission", "severe"), failed_antidepressant_trials=0
        ),
    ),
    # IND-NOT-WITH-PSYCHOTHERAPY
    silent("IND-NOT-WITH-PSYCHOTHERAPY", "psychotherapy yes", with_answers(psychotherapy_current="yes")),
    # AGE
    silent("AGE-UNDER-18", "18th birthday today", baseline_facts(date_of_birth=birthday(18))),
    silent(
        "AGE-65-PLUS", "64, turning 65 tomorrow", baseline_facts(date_of_birth=age_day_before_birthday(65))
    ),
    # DATA-NO-DIAGNOSIS
    silent("DATA-NO-DIAGNOSIS", "an active dx, even a non-qualifying one", with_diagnoses(active("F42.2"))),
    silent(
        "DATA-NO-DIAGNOSIS",
        "active dx beside a historical one",
        with_diagnoses(Diagnosis("F20.9", "history"), active("F33.2", "severe")),
    ),
]


@pytest.mark.parametrize(("code", "facts"), FIRES)
def test_rule_fires(code, facts):
    assert code in screen(facts).rule_codes


@pytest.mark.parametrize(("code", "facts"), SILENT)
def test_rule_is_silent(code, facts):
    assert code not in screen(facts).rule_codes


def test_no_qualifying_indication_makes_the_patient_not_a_candidate():
    assert screen(with_diagnoses(MODERATE_DEPRESSION)).verdict == "not_a_candidate"


def test_severe_non_qualifying_dx_needs_clinician_review():
    report = screen(with_diagnoses(SEVERE_OCD))

    assert report.verdict == "clinician_review"
    assert "IND-OTHER-SEVERE" in report.rule_codes


def test_unsuitable_dx_beside_a_qualifying_one_stays_eligible():
    report = screen(with_diagnoses(active("F33.2", "severe"), MODERATE_DEPRESSION))

    assert report.verdict == "eligible"
    assert report.rule_codes == ("IND-UNSUITABLE",)


def test_seventeen_year_old_is_not_a_candidate():
    assert screen(baseline_facts(date_of_birth=age_day_before_birthday(18))).verdict == "not_a_candidate"


def test_no_active_diagnosis_needs_information():
    assert screen(with_diagnoses(Diagnosis("F33.2", "in_remission", "severe"))).verdict == "needs_information"


def test_treatment_resistance_evidence_names_the_trial_count():
    finding = next(
        f
        for f in screen(baseline_facts(failed_antidepressant_trials=1)).findings
        if f.rule == "IND-NOT-TREATMENT-RESISTANT"
    )

    assert "failed antidepressant trials: 1" in finding.evidence
