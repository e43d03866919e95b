"""Fail closed: a rule that cannot be evaluated is a `missing` finding, never a silent pass."""

import dataclasses

from screening.engine import REGISTRY, RuleSet, ruleset_from_data
from screening.engine.ruleset import Rule

from .builders import (
    baseline_facts,
    default_ruleset,
    default_ruleset_data,
    reading,
    screen,
    with_answers,
    with_bp,
)

CRASH_TITLE = "Rule could not be evaluated"


def ruleset_with_rule(rule: Rule) -> RuleSet:
    base = default_ruleset()
    return dataclasses.replace(base, rules=(*base.rules, rule))


def broken_rule(severity: str = "info") -> Rule:
    # answer_in without its parameters: validation would refuse it, so build it past validation
    return Rule(
        code="TEST-BROKEN",
        severity=severity,
        title="Broken rule",
        action="None.",
        sources=("S1",),
        predicate={"kind": "answer_in", "params": {}},
    )


def raise_runtime_error(ctx, params):
    raise RuntimeError("boom")


def break_kind(monkeypatch, name: str) -> RuleSet:
    """The default rule set compiled after every predicate of this kind was made to crash."""
    monkeypatch.setitem(REGISTRY, name, dataclasses.replace(REGISTRY[name], evaluate=raise_runtime_error))
    return ruleset_from_data(default_ruleset_data())


def test_rule_whose_params_break_at_evaluation_is_a_missing_finding():
    report = screen(baseline_facts(), ruleset=ruleset_with_rule(broken_rule()))

    assert report.rule_codes == ("TEST-BROKEN",)
    assert report.findings[0].severity == "missing"
    assert report.verdict == "needs_information"


def test_crashed_rule_finding_says_what_failed_and_what_to_do():
    finding = screen(baseline_facts(), ruleset=ruleset_with_rule(broken_rule())).findings[0]

    assert finding.title == f"{CRASH_TITLE}: Broken rule"
    assert finding.evidence == "KeyError while evaluating answer_in"
    assert "by hand" in finding.action
    assert finding.sources == ("S1",)


def test_crash_in_a_precaution_rule_is_still_missing_not_precaution():
    report = screen(baseline_facts(), ruleset=ruleset_with_rule(broken_rule("precaution")))

    assert [f.severity for f in report.findings] == ["missing"]


def test_crash_in_one_rule_does_not_stop_the_others():
    report = screen(with_answers(glaucoma="yes"), ruleset=ruleset_with_rule(broken_rule()))

    assert set(report.rule_codes) == {"MED-GLAUCOMA", "TEST-BROKEN"}


def test_a_crashing_bp_predicate_is_reported_under_each_rule_that_reaches_it(monkeypatch):
    broken = break_kind(monkeypatch, "bp_mean_at_least")

    report = screen(with_bp(reading(145, 85)), ruleset=broken)

    assert report.rule_codes == ("BP-STAGE2", "BP-ELEVATED")
    assert {f.severity for f in report.findings} == {"missing"}
    assert report.verdict == "needs_information"


def test_a_crash_under_not_is_never_read_as_does_not_hold(monkeypatch):
    broken = break_kind(monkeypatch, "diagnosis")

    report = screen(baseline_facts(), ruleset=broken)

    assert "DATA-NO-DIAGNOSIS" in report.rule_codes
    assert "IND-NO-QUALIFYING" in report.rule_codes
    assert report.verdict == "needs_information"


def test_a_crash_cannot_hide_a_worse_finding(monkeypatch):
    broken = break_kind(monkeypatch, "medication")

    report = screen(with_answers(ketamine_hypersensitivity="yes"), ruleset=broken)

    assert report.verdict == "contraindicated"
    assert report.findings[0].rule == "MED-KETAMINE-ALLERGY"


def test_disabled_rule_is_not_evaluated():
    disabled = dataclasses.replace(broken_rule(), enabled=False)

    assert screen(baseline_facts(), ruleset=ruleset_with_rule(disabled)).findings == ()
