"""The pure day-of decision and the series' response (issue 18), at every boundary: blood pressure against
the screening's thresholds (at or above, above), the checklist, measure findings, precedence, the dose range,
and the 50% PHQ-9 response after three infusions. No database."""

import ast
from fractions import Fraction
from pathlib import Path

import pytest

from infusions.decision import (
    GO,
    HOLD,
    INCOMPLETE,
    PHYSICIAN,
    MeasureFinding,
    Reading,
    Threshold,
    bp_verdict,
    decide,
    item_applies,
    mean_of,
    series_status,
)
from screening.engine.protocol import DayOfItem, Protocol

STAGE2 = Threshold(160, 100, True, "defer", "BP-STAGE2")
ELEVATED = Threshold(140, 90, False, "review", "BP-ELEVATED")
LINES = (STAGE2, ELEVATED)
FASTING = DayOfItem("fasting", "Fasting.", ("A2",))
ESCORT = DayOfItem("escort_present", "Escort here.", ("A1",))


def day(**changes):
    values = {
        "protocol": Protocol(),
        "weight_kg": 70.0,
        "readings": (Reading(120, 80, 70),),
        "items": (FASTING, ESCORT),
        "answers": {"fasting": "yes", "escort_present": "yes"},
        "thresholds": LINES,
    }
    return decide(**{**values, **changes})


def test_the_module_is_pure():
    tree = ast.parse(Path("infusions/decision.py").read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    assert not any(m and (m.startswith("django") or m.startswith("infusions.models")) for m in imported)


@pytest.mark.parametrize(
    ("systolic", "diastolic", "expected"),
    [
        (140, 90, None),
        (140, 91, PHYSICIAN),
        (141, 90, PHYSICIAN),
        (159, 99, PHYSICIAN),
        (160, 99, HOLD),
        (159, 100, HOLD),
        (200, 120, HOLD),
        (100, 60, None),
    ],
)
def test_one_reading_against_the_thresholds(systolic, diastolic, expected):
    verdict = bp_verdict((Reading(systolic, diastolic),), LINES)
    assert (verdict[0] if verdict else None) == expected


def test_the_mean_is_exact_not_rounded():
    # 160 and 159 -> 159.5: below 160, above 140
    readings = (Reading(160, 80), Reading(159, 80))
    assert mean_of(readings) == (Fraction(319, 2), Fraction(80))
    status, text = bp_verdict(readings, LINES)
    assert status == PHYSICIAN
    assert "159.5/80 (mean of 2 readings) is above 140/90 (BP-ELEVATED)" in text


def test_no_threshold_in_the_rule_set_means_no_bp_hold():
    assert bp_verdict((Reading(200, 120),), ()) is None


def test_a_precaution_threshold_needs_the_physician_not_a_hold():
    line = Threshold(150, 95, True, "precaution", "BP-CLINIC")
    assert bp_verdict((Reading(150, 80),), (line,))[0] == PHYSICIAN


def test_a_clean_day_is_go_with_the_dose_range():
    decision = day()
    assert decision.status == GO and decision.reasons == ()
    assert (decision.dose.low_mg, decision.dose.high_mg) == (35.0, 70.0)


def test_missing_weight_readings_and_answers_are_listed_never_read_as_fine():
    decision = day(weight_kg=None, readings=(), answers={})
    assert decision.status == INCOMPLETE
    assert decision.missing == (
        "today's weight",
        "blood pressure before dosing",
        "checklist: Fasting.",
        "checklist: Escort here.",
    )
    assert decision.dose is None


def test_a_no_holds_and_a_hold_outranks_what_is_missing():
    decision = day(answers={"fasting": "no"})
    assert decision.status == HOLD
    assert decision.holds == ("Not confirmed: Fasting.",)
    assert decision.reasons == ("Not confirmed: Fasting.", "Missing: checklist: Escort here.")


def test_an_unknown_answer_is_missing():
    assert day(answers={"fasting": "yes", "escort_present": "maybe"}).status == INCOMPLETE


def test_missing_outranks_the_physicians_go():
    decision = day(readings=(Reading(150, 80),), weight_kg=None)
    assert decision.status == INCOMPLETE and decision.cautions


@pytest.mark.parametrize(
    ("severity", "status"), [("defer", HOLD), ("contraindicated", HOLD), ("review", PHYSICIAN)]
)
def test_measure_findings_hold_or_need_the_physician(severity, status):
    found = MeasureFinding("MEAS-X", severity, "A measure", "PHQ-9 of 2026-11-20: item 9 = 1")
    decision = day(measure_findings=(found,))
    assert decision.status == status
    assert "A measure (MEAS-X): PHQ-9 of 2026-11-20: item 9 = 1" in decision.reasons[0]


def test_the_screening_no_longer_clearing_holds():
    decision = day(screening_problems=("The screening of 2026-10-01 is not current: older than 30 days",))
    assert decision.status == HOLD and decision.holds[0].startswith("The screening of 2026-10-01")


def test_items_asked_always_on_findings_or_where_a_predicate_holds():
    benzo = DayOfItem("benzodiazepine_held", "Held.", findings=("MEDS-BENZO-HIGH",))
    pregnancy = DayOfItem("pregnancy_test_negative", "Negative.", predicate={"kind": "age", "params": {}})
    assert item_applies(FASTING, set(), lambda p: False)
    assert item_applies(benzo, {"MEDS-BENZO-HIGH"}, lambda p: False)
    assert not item_applies(benzo, {"MEDS-BENZO-LOW"}, lambda p: True)
    assert item_applies(pregnancy, set(), lambda p: True)
    assert not item_applies(pregnancy, set(), lambda p: False)


@pytest.mark.parametrize(
    ("given", "baseline", "latest", "responded", "reassess"),
    [
        (3, 20, 10, True, False),  # exactly 50% lower: a response
        (3, 20, 11, False, True),  # 45%: none
        (2, 20, 11, False, False),  # not yet three infusions
        (4, 20, 11, False, True),
        (3, 21, 10, True, False),  # 52%
        (3, 21, 11, False, True),  # 47.6%
        (3, 20, 24, False, True),  # worse
        (3, None, 10, None, True),  # no baseline: cannot be judged, so the prompt shows
        (3, 0, 0, None, True),  # a baseline of 0 cannot halve
        (3, 20, None, None, True),  # no PHQ-9 since
        (0, 20, None, None, False),
    ],
)
def test_the_response_and_the_reassessment_prompt(given, baseline, latest, responded, reassess):
    status = series_status(given=given, baseline=baseline, latest=latest, latest_on="2026-12-01")
    assert (status.responded, status.reassess) == (responded, reassess)
    assert ("reassess the plan" in status.text) == reassess


def test_the_series_says_it_in_words():
    text = series_status(given=3, baseline=20, latest=11, latest_on="2026-12-01").text
    assert text == (
        "3 infusions given; PHQ-9 20 at baseline, 11 on 2026-12-01 (45% lower): no response yet (a response "
        "is a drop of 50% or more). After 3 infusions without a response, reassess the plan (A3)."
    )
    assert series_status(given=1, baseline=None, latest=None).text.startswith("1 infusion given;")


def test_a_decision_that_waited_for_the_physician_reads_as_the_go_once_given():
    from infusions.decision import status_text

    assert status_text(PHYSICIAN) == "Held until a physician gives the go, with a reason"
    assert status_text(PHYSICIAN, authorized=True).startswith("Go: a physician weighed the reasons")
    assert status_text(GO, authorized=True) == "Go: the checks before dosing are met"
    assert status_text(HOLD, authorized=True) == "Hold: no infusion today"
