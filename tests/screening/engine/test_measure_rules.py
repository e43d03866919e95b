"""Rules over the baseline measures (issue 18, rule set 2026.3): the predicate kinds cssrs_imminent and
phq9_item9_at_least at their boundaries (the measure window, the latest administration, item 9 = 0 vs 1,
each of the C-SSRS screener's three imminent answers), the protocol's measure_window_days, the facts built
from an intake's measures, and a whole screening with and without measures."""

import json
from dataclasses import replace
from datetime import date, timedelta

import pytest

from formulary.lookup import Formulary
from screening.engine import evaluate, validate_ruleset_data
from screening.engine.context import Context
from screening.engine.facts import MeasureFact
from screening.engine.measures import score
from screening.engine.predicates import evaluate_predicate, validate_predicate
from screening.engine.protocol import Protocol
from screening.intake import facts_from_intake, validate_intake

from .builders import (
    AS_OF,
    FORMULARY_PATH,
    PROJECT,
    baseline_facts,
    default_ruleset,
    default_ruleset_data,
    screen,
)

CSSRS_IMMINENT = {"kind": "cssrs_imminent", "params": {}}


def item9(value: int = 1) -> dict:
    return {"kind": "phq9_item9_at_least", "params": {"value": value}}


def cssrs(days_before: int = 0, **yes: bool) -> MeasureFact:
    """A C-SSRS screener `days_before` the assessment date: Q1 yes, the rest no unless given (follow-ups
    asked only under a yes gate, as the screener's skip logic requires)."""
    answers = {"wish_to_be_dead": True, "suicidal_thoughts": False, "behavior_ever": False, **yes}
    if answers["suicidal_thoughts"]:
        for key in ("thoughts_with_method", "intent", "intent_with_plan"):
            answers.setdefault(key, False)
    if answers["behavior_ever"]:
        answers.setdefault("behavior_past_3_months", False)
    return MeasureFact(
        "cssrs_screener", AS_OF - timedelta(days=days_before), score("cssrs_screener", answers)
    )


def phq9(item: int, days_before: int = 0, rest=(1, 2, 1, 2, 2, 1, 2, 2)) -> MeasureFact:
    return MeasureFact("phq9", AS_OF - timedelta(days=days_before), score("phq9", [*rest, item]))


def run(predicate: dict, *measures: MeasureFact, window: int = 30):
    facts = baseline_facts(measures=measures)
    return evaluate_predicate(Context(facts, Protocol(measure_window_days=window), AS_OF), predicate)


INTENT = {"suicidal_thoughts": True, "intent": True}
PLAN = {"suicidal_thoughts": True, "thoughts_with_method": True, "intent_with_plan": True}
RECENT_BEHAVIOUR = {"behavior_ever": True, "behavior_past_3_months": True}

# ---------------------------------------------------------------------------------------------- cssrs_imminent


@pytest.mark.parametrize(
    ("answers", "evidence"),
    [
        (INTENT, "C-SSRS screener of 2026-11-20: intent"),
        (PLAN, "C-SSRS screener of 2026-11-20: plan with intent"),
        (RECENT_BEHAVIOUR, "C-SSRS screener of 2026-11-20: behaviour in the past 3 months"),
        (
            {**INTENT, "intent_with_plan": True},
            "C-SSRS screener of 2026-11-20: intent, plan with intent",
        ),
    ],
    ids=["intent Q4", "plan with intent Q5", "behaviour past 3 months Q6", "intent and plan"],
)
def test_cssrs_each_imminent_answer_fires_with_its_words(answers, evidence):
    assert run(CSSRS_IMMINENT, cssrs(**answers)).evidence == evidence


@pytest.mark.parametrize(
    "answers",
    [
        {},  # wish to be dead only: low
        {"suicidal_thoughts": True},  # thoughts without method, intent or plan: low
        {"suicidal_thoughts": True, "thoughts_with_method": True},  # method: moderate
        {"behavior_ever": True},  # behaviour over 3 months ago: moderate
        {"wish_to_be_dead": False},  # no risk
    ],
    ids=["wish to be dead", "thoughts", "method", "behaviour over 3 months ago", "no risk"],
)
def test_cssrs_below_imminent_is_silent(answers):
    assert run(CSSRS_IMMINENT, cssrs(**answers)) is None


def test_cssrs_no_measures_is_silent():
    assert run(CSSRS_IMMINENT) is None


def test_cssrs_other_measures_only_is_silent():
    assert run(CSSRS_IMMINENT, phq9(3)) is None


def test_cssrs_window_edge_counts_and_one_day_more_does_not():
    assert run(CSSRS_IMMINENT, cssrs(30, **INTENT)).evidence == "C-SSRS screener of 2026-10-21: intent"
    assert run(CSSRS_IMMINENT, cssrs(31, **INTENT)) is None


def test_cssrs_window_follows_the_protocol():
    assert run(CSSRS_IMMINENT, cssrs(7, **INTENT), window=7) is not None
    assert run(CSSRS_IMMINENT, cssrs(8, **INTENT), window=7) is None
    assert run(CSSRS_IMMINENT, cssrs(60, **INTENT), window=90) is not None


def test_cssrs_after_the_assessment_date_does_not_count():
    future = replace(cssrs(**INTENT), day=AS_OF + timedelta(days=1))
    assert run(CSSRS_IMMINENT, future) is None


def test_cssrs_the_latest_wins_over_an_older_one_either_way():
    assert run(CSSRS_IMMINENT, cssrs(10, **INTENT), cssrs(2)) is None
    assert (
        run(CSSRS_IMMINENT, cssrs(2, **INTENT), cssrs(10)).evidence == "C-SSRS screener of 2026-11-18: intent"
    )
    # in any order in the record
    assert run(CSSRS_IMMINENT, cssrs(2), cssrs(10, **INTENT)) is None


def test_cssrs_an_older_one_outside_the_window_does_not_hide_a_recent_one():
    assert run(CSSRS_IMMINENT, cssrs(40), cssrs(5, **PLAN)) is not None


def test_cssrs_two_on_the_latest_day_the_worst_counts():
    assert run(CSSRS_IMMINENT, cssrs(1), cssrs(1, **INTENT)) is not None


# ---------------------------------------------------------------------------------------------- phq9_item9_at_least


def test_phq9_item9_one_fires_with_total_and_band():
    assert run(item9(1), phq9(1)).evidence == "PHQ-9 of 2026-11-20: item 9 = 1 (total 14, moderate)"


def test_phq9_item9_zero_is_silent():
    assert run(item9(1), phq9(0)) is None


@pytest.mark.parametrize(
    ("value", "item", "fires"), [(0, 0, True), (2, 1, False), (2, 2, True), (3, 3, True)]
)
def test_phq9_item9_against_the_value(value, item, fires):
    assert (run(item9(value), phq9(item)) is not None) is fires


def test_phq9_no_measures_or_only_other_measures_is_silent():
    assert run(item9(0)) is None
    assert run(item9(0), cssrs(**INTENT)) is None


def test_phq9_window_edge_counts_and_one_day_more_does_not():
    assert (
        run(item9(1), phq9(2, 30)).evidence == "PHQ-9 of 2026-10-21: item 9 = 2 (total 15, moderately severe)"
    )
    assert run(item9(1), phq9(2, 31)) is None


def test_phq9_the_latest_wins_over_an_older_one():
    assert run(item9(1), phq9(3, 10), phq9(0, 1)) is None
    assert run(item9(1), phq9(0, 10), phq9(1, 1)).evidence.startswith("PHQ-9 of 2026-11-19: item 9 = 1")


def test_phq9_two_on_the_latest_day_the_highest_item9_counts():
    assert run(item9(1), phq9(0), phq9(2)).evidence.startswith("PHQ-9 of 2026-11-20: item 9 = 2")


@pytest.mark.parametrize("value", [-1, 4])
def test_phq9_value_outside_0_to_3_is_refused(value):
    [problem] = validate_predicate(item9(value), "p")
    assert str(problem) == f"p.params.value: an item is scored 0 to 3, got {value}"


def test_phq9_value_must_be_a_whole_number():
    [problem] = validate_predicate({"kind": "phq9_item9_at_least", "params": {"value": 1.5}}, "p")
    assert problem.path == "p.params.value"
    assert validate_predicate({"kind": "phq9_item9_at_least", "params": {}}, "p")[0].path == "p.params.value"


def test_cssrs_imminent_takes_no_parameters():
    [problem] = validate_predicate({"kind": "cssrs_imminent", "params": {"value": 1}}, "p")
    assert problem.path == "p.params.value"


# ---------------------------------------------------------------------------------------------- protocol


def test_the_default_protocol_has_a_30_day_measure_window():
    assert default_ruleset().protocol.measure_window_days == 30
    assert Protocol().measure_window_days == 30


def test_a_rule_set_without_measure_window_days_gets_30():
    data = default_ruleset_data()
    del data["protocol"]["measure_window_days"]
    assert validate_ruleset_data(data) == []


@pytest.mark.parametrize("value", [0, 366, 1.5, True, "30", None])
def test_measure_window_days_outside_1_to_365_whole_days_is_refused(value):
    data = default_ruleset_data()
    data["protocol"]["measure_window_days"] = value
    assert validate_ruleset_data(data) == [
        "protocol.measure_window_days: must be a whole number of days from 1 to 365"
    ]


@pytest.mark.parametrize("value", [1, 365])
def test_measure_window_days_at_its_limits_is_accepted(value):
    data = default_ruleset_data()
    data["protocol"]["measure_window_days"] = value
    assert validate_ruleset_data(data) == []


# ---------------------------------------------------------------------------------------------- the rules


def test_the_measure_rules_in_the_default_set():
    rules = {rule.code: rule for rule in default_ruleset().rules}
    cssrs_rule, phq9_rule = rules["MEAS-CSSRS-RISK"], rules["MEAS-PHQ9-ITEM9"]
    assert (cssrs_rule.severity, cssrs_rule.sources, cssrs_rule.predicate) == (
        "defer",
        ("A1",),
        CSSRS_IMMINENT,
    )
    assert cssrs_rule.action == rules["PSY-SUICIDE-IMMINENT"].action
    assert cssrs_rule.override == rules["PSY-SUICIDE-IMMINENT"].override == ""  # the defer default: reason
    assert (phq9_rule.severity, phq9_rule.sources, phq9_rule.predicate) == ("review", ("A1",), item9(1))


def test_a_baseline_patient_without_measures_has_no_measure_finding():
    report = screen(baseline_facts())
    assert report.verdict == "eligible"
    assert not {"MEAS-CSSRS-RISK", "MEAS-PHQ9-ITEM9"} & set(report.rule_codes)


def test_both_measure_rules_fire_with_their_evidence():
    report = screen(baseline_facts(measures=(cssrs(**INTENT), phq9(1, 3))))
    found = {f.rule: f for f in report.findings}
    assert report.verdict == "deferred"
    assert found["MEAS-CSSRS-RISK"].evidence == "C-SSRS screener of 2026-11-20: intent"
    assert found["MEAS-PHQ9-ITEM9"].evidence == "PHQ-9 of 2026-11-17: item 9 = 1 (total 14, moderate)"
    assert found["MEAS-PHQ9-ITEM9"].severity == "review"


# ---------------------------------------------------------------------------------------------- intake -> verdict

INTENT_SCREENER = {
    "instrument": "cssrs_screener",
    "administered_on": "2026-11-20",
    "answers": {
        "wish_to_be_dead": True,
        "suicidal_thoughts": True,
        "thoughts_with_method": False,
        "intent": True,
        "intent_with_plan": False,
        "behavior_ever": False,
    },
}
PHQ9_DOC = {"instrument": "phq9", "administered_on": "2026-11-13", "answers": [1, 2, 1, 2, 2, 1, 2, 2, 1]}


def eligible() -> dict:
    return json.loads((PROJECT / "examples" / "eligible.json").read_text(encoding="utf-8"))


def screen_document(doc: dict):
    formulary = Formulary(json.loads(FORMULARY_PATH.read_text(encoding="utf-8"))["entries"])
    facts = facts_from_intake(validate_intake(doc), formulary.resolve, formulary.is_ambiguous)
    return facts, evaluate(facts, default_ruleset(), date.fromisoformat(doc["assessed_on"]))


def test_facts_carry_the_scored_measures_in_order():
    facts, _ = screen_document({**eligible(), "measures": [PHQ9_DOC, INTENT_SCREENER]})
    assert [(m.instrument, m.day) for m in facts.measures] == [
        ("phq9", date(2026, 11, 13)),
        ("cssrs_screener", date(2026, 11, 20)),
    ]
    assert facts.measures[0].score == score("phq9", PHQ9_DOC["answers"])
    assert facts.measures[1].score.imminent is True


def test_a_document_without_measures_has_no_measure_facts():
    facts, _ = screen_document(eligible())
    assert facts.measures == ()


def test_an_intake_with_a_cssrs_intent_yes_is_deferred_by_meas_cssrs_risk():
    _, before = screen_document(eligible())
    _, after = screen_document({**eligible(), "measures": [INTENT_SCREENER]})

    assert before.verdict == "eligible"
    assert "MEAS-CSSRS-RISK" not in before.rule_codes
    assert after.verdict == "deferred"
    [finding] = [f for f in after.findings if f.rule == "MEAS-CSSRS-RISK"]
    assert finding.evidence == "C-SSRS screener of 2026-11-20: intent"
    assert finding.action.startswith("Same-day safety evaluation")
    # everything else is as before
    assert [f for f in after.findings if f.rule != "MEAS-CSSRS-RISK"] == list(before.findings)


def test_every_example_without_measures_keeps_its_expected_verdict():
    expected = json.loads((PROJECT / "examples" / "expected.json").read_text(encoding="utf-8"))
    screened = {name: wanted for name, wanted in expected.items() if "verdict" in wanted}
    assert screened  # the examples that screen (a rejected one has no verdict)
    for name, wanted in screened.items():
        doc = json.loads((PROJECT / "examples" / f"{name}.json").read_text(encoding="utf-8"))
        assert "measures" not in doc
        _, report = screen_document(doc)
        assert report.verdict == wanted["verdict"], name
        assert not {"MEAS-CSSRS-RISK", "MEAS-PHQ9-ITEM9"} & set(report.rule_codes), name
