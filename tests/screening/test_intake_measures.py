"""The optional `measures` list of `ketamine-intake/1` (issue 18, docs/intake-format.md "measures"): each
administration's instrument, date and answers, validated by the pure scorer with every problem at its path
in the document; a document without measures validates and hashes exactly as before the list existed; the
snapshot compares measures in any order and names the ones added or removed."""

import copy
import dataclasses
import json

import pytest

from screening.engine.measures import score
from screening.intake import (
    IntakeInvalid,
    describe_changes,
    facts_from_intake,
    intake_sha256,
    validate_intake,
)
from tests.conftest import EXAMPLES

# intake_sha256(validate_intake(examples/eligible.json)) as computed before `measures` existed: a stored
# screening of such a record stays current across the upgrade.
ELIGIBLE_SHA256 = "766fd0a79ed129f2f43e6d3c7350878bd82ac08e7c086f05d70a7b7d5d7398e5"

PHQ9 = {"instrument": "phq9", "administered_on": "2026-11-13", "answers": [1, 2, 1, 2, 2, 1, 2, 2, 1]}
GAD7 = {"instrument": "gad7", "administered_on": "2026-11-20", "answers": [3, 3, 3, 3, 3, 0, 0]}
CSSRS = {
    "instrument": "cssrs_screener",
    "administered_on": "2026-11-20",
    "answers": {
        "wish_to_be_dead": True,
        "suicidal_thoughts": False,
        "behavior_ever": True,
        "behavior_past_3_months": False,
    },
}


def eligible() -> dict:
    return json.loads((EXAMPLES / "eligible.json").read_text())


def with_measures(*measures) -> dict:
    return {**eligible(), "measures": copy.deepcopy(list(measures))}


def problems(doc) -> list[tuple[str, str]]:
    with pytest.raises(IntakeInvalid) as rejected:
        validate_intake(doc)
    return [(p.path, p.message) for p in rejected.value.problems]


def measure(**changes) -> dict:
    """A PHQ-9 with some fields replaced; a value of ... removes the field."""
    out = {**copy.deepcopy(PHQ9), **changes}
    return {key: value for key, value in out.items() if value is not ...}


# ---------------------------------------------------------------------------------------------- valid


def test_valid_measures_are_kept_in_order_and_the_cssrs_is_written_out_in_full():
    valid = validate_intake(with_measures(PHQ9, GAD7, CSSRS))
    assert valid["measures"] == [
        PHQ9,
        GAD7,
        {
            "instrument": "cssrs_screener",
            "administered_on": "2026-11-20",
            "answers": {
                "wish_to_be_dead": True,
                "suicidal_thoughts": False,
                "thoughts_with_method": None,
                "intent": None,
                "intent_with_plan": None,
                "behavior_ever": True,
                "behavior_past_3_months": False,
            },
        },
    ]


def test_a_measure_of_the_assessment_day_is_accepted():
    assert validate_intake(with_measures(measure(administered_on="2026-11-20")))["measures"][0][
        "administered_on"
    ]


def test_a_validated_document_validates_to_itself():
    valid = validate_intake(with_measures(PHQ9, CSSRS))
    assert validate_intake(valid) == valid


def test_measures_reach_the_facts_and_change_nothing_else():
    # the rules over measures (rule set 2026.3) read them; everything else the rules read is as before
    def resolve(name):
        return None

    with_them = facts_from_intake(validate_intake(with_measures(PHQ9, CSSRS)), resolve)
    without = facts_from_intake(validate_intake(eligible()), resolve)
    assert [(m.instrument, m.day.isoformat(), m.score.summary) for m in with_them.measures] == [
        ("phq9", PHQ9["administered_on"], score("phq9", PHQ9["answers"]).summary),
        ("cssrs_screener", CSSRS["administered_on"], score("cssrs_screener", CSSRS["answers"]).summary),
    ]
    assert without.measures == ()
    assert dataclasses.replace(with_them, measures=()) == without


# ---------------------------------------------------------------------------------------------- absent


def test_an_empty_list_validates_to_no_measures_key():
    assert "measures" not in validate_intake({**eligible(), "measures": []})
    assert validate_intake({**eligible(), "measures": []}) == validate_intake(eligible())


def test_a_document_without_measures_has_no_measures_key():
    assert "measures" not in validate_intake(eligible())


def test_a_document_without_measures_hashes_as_before_measures_existed():
    assert intake_sha256(validate_intake(eligible())) == ELIGIBLE_SHA256
    assert intake_sha256(validate_intake({**eligible(), "measures": []})) == ELIGIBLE_SHA256


def test_an_absent_key_and_an_empty_list_hash_alike_before_validation_too():
    assert intake_sha256({**eligible(), "measures": []}) != intake_sha256(eligible())  # raw: a key is a key
    assert intake_sha256(validate_intake({**eligible(), "measures": []})) == intake_sha256(
        validate_intake(eligible())
    )


def test_measures_change_the_hash():
    assert intake_sha256(validate_intake(with_measures(PHQ9))) != ELIGIBLE_SHA256


def test_the_order_of_the_measures_does_not_change_the_hash():
    first = intake_sha256(validate_intake(with_measures(PHQ9, GAD7, CSSRS)))
    assert intake_sha256(validate_intake(with_measures(CSSRS, PHQ9, GAD7))) == first


def test_a_different_answer_changes_the_hash():
    changed = measure(answers=[0, 2, 1, 2, 2, 1, 2, 2, 1])
    assert intake_sha256(validate_intake(with_measures(changed))) != intake_sha256(
        validate_intake(with_measures(PHQ9))
    )


# ---------------------------------------------------------------------------------------------- refused

CSSRS_NO = {"wish_to_be_dead": False, "suicidal_thoughts": False, "behavior_ever": False}

REFUSED = {
    "not a list": ({"measures": {"instrument": "phq9"}}, [("measures", "must be a list")]),
    "an item that is not an object": (["phq9"], [("measures[0]", "must be an object, got str")]),
    "a score in the document": ([measure(score=14)], [("measures[0].score", "unknown field")]),
    "no instrument": ([measure(instrument=...)], [("measures[0].instrument", "required")]),
    "an unknown instrument": (
        [measure(instrument="phq10")],
        [("measures[0].instrument", "'phq10' is not one of phq9, gad7, cssrs_screener")],
    ),
    "no date": ([measure(administered_on=...)], [("measures[0].administered_on", "required")]),
    "a date that is not one": (
        [measure(administered_on="2026-11-31")],
        [("measures[0].administered_on", "'2026-11-31' is not a date (YYYY-MM-DD)")],
    ),
    "a date after assessed_on": (
        [measure(administered_on="2026-11-21")],
        [("measures[0].administered_on", "2026-11-21 is after assessed_on")],
    ),
    "a date before 1900": (
        [measure(administered_on="1899-12-31")],
        [("measures[0].administered_on", "1899-12-31 is outside 1900-01-01 to 2100-12-31")],
    ),
    "no answers": ([measure(answers=...)], [("measures[0].answers", "required")]),
    "too few answers": (
        [measure(answers=[0] * 8)],
        [("measures[0].answers", "expected 9 answers, got 8")],
    ),
    "an item out of range": (
        [measure(answers=[1, 2, 1, 4, 2, 1, 2, 2, 1])],
        [("measures[0].answers[3]", "expected 0 to 3, got 4")],
    ),
    "an item that is not a whole number": (
        [{**GAD7, "answers": [0, 0, None, 0, 0, 0, 0]}],
        [("measures[0].answers[2]", "expected a whole number 0 to 3, got null")],
    ),
    "a C-SSRS follow-up after a no": (
        [PHQ9, {**CSSRS, "answers": {**CSSRS_NO, "intent": True}}],
        [("measures[1].answers.intent", "not asked when Q2 is no: leave it unanswered")],
    ),
    "a C-SSRS follow-up missing after a yes": (
        [
            {
                **CSSRS,
                "answers": {
                    **CSSRS_NO,
                    "suicidal_thoughts": True,
                    "intent": False,
                    "intent_with_plan": False,
                },
            }
        ],
        [("measures[0].answers.thoughts_with_method", "required when Q2 is yes")],
    ),
    "a C-SSRS answer that is not yes or no": (
        [{**CSSRS, "answers": {**CSSRS_NO, "wish_to_be_dead": "yes"}}],
        [("measures[0].answers.wish_to_be_dead", "expected true, false or null (not asked), got 'yes'")],
    ),
    "an unknown C-SSRS question": (
        [{**CSSRS, "answers": {**CSSRS_NO, "plan": True}}],
        [("measures[0].answers.plan", "unknown question")],
    ),
    "C-SSRS answers as a list": (
        [{**CSSRS, "answers": [True]}],
        [("measures[0].answers", "expected an object of yes/no answers, got list")],
    ),
}


def document(measures) -> dict:
    if isinstance(measures, dict):  # the whole top level, as given
        return {**eligible(), **measures}
    return with_measures(*measures)


@pytest.mark.parametrize("case", list(REFUSED))
def test_each_problem_is_named_at_its_path(case):
    measures, expected = REFUSED[case]
    assert problems(document(measures)) == expected


def test_every_problem_of_the_document_is_named_at_once():
    doc = with_measures(
        measure(answers=[1, 2, 1, 4, 2, 1, 2, 2, 1]),
        {**CSSRS, "answers": {**CSSRS_NO, "intent": True}},
        {**GAD7, "administered_on": "2026-11-21"},
    )
    doc["blood_pressure"][0]["systolic"] = 400
    assert problems(doc) == [
        ("blood_pressure[0].systolic", "400 is above 300"),
        ("measures[0].answers[3]", "expected 0 to 3, got 4"),
        ("measures[1].answers.intent", "not asked when Q2 is no: leave it unanswered"),
        ("measures[2].administered_on", "2026-11-21 is after assessed_on"),
    ]


def test_null_measures_are_refused_as_other_lists_are():
    assert problems({**eligible(), "measures": None}) == [("measures", "must be a list")]


def test_a_cssrs_question_named_instrument_is_reported_under_the_answers():
    doc = with_measures({**CSSRS, "answers": {**CSSRS_NO, "instrument": True}})
    assert problems(doc) == [("measures[0].answers.instrument", "unknown question")]


# ---------------------------------------------------------------------------------------------- changes


def snapshot(*measures) -> dict:
    return validate_intake(with_measures(*measures) if measures else eligible())


def test_a_measure_added_is_named_by_instrument_and_date():
    assert describe_changes(snapshot(), snapshot(PHQ9)) == ["PHQ-9 of 2026-11-13 added"]


def test_a_measure_removed_is_named_by_instrument_and_date():
    assert describe_changes(snapshot(PHQ9, GAD7, CSSRS), snapshot(PHQ9)) == [
        "GAD-7 of 2026-11-20 removed",
        "C-SSRS screener of 2026-11-20 removed",
    ]


def test_measures_in_another_order_are_no_change():
    assert describe_changes(snapshot(PHQ9, GAD7, CSSRS), snapshot(CSSRS, GAD7, PHQ9)) == []


def test_a_second_administration_on_the_same_day_is_an_addition():
    assert describe_changes(snapshot(GAD7), snapshot(GAD7, GAD7)) == ["GAD-7 of 2026-11-20 added"]


def test_a_record_without_measures_and_an_empty_list_are_no_change():
    assert describe_changes(snapshot(), validate_intake({**eligible(), "measures": []})) == []
