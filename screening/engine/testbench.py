"""A rule's test cases: a small intake (merged onto the rule set's test baseline) and whether the rule must
fire. Pure: the caller supplies the intake validation and the medication resolver."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from .evaluate import evaluate
from .facts import Facts
from .problems import Problem
from .ruleset import RuleSet


@dataclass(frozen=True)
class CaseResult:
    rule: str
    name: str
    expected_fire: bool
    fired: bool | None  # None: the case's intake is invalid
    problem: str = ""

    @property
    def passed(self) -> bool:
        return self.fired is not None and self.fired == self.expected_fire


def merge(base: Any, patch: Any) -> Any:
    """Deep-merge objects; anything else (lists included) in the patch replaces the base."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = copy.deepcopy(base)
        for key, value in patch.items():
            out[key] = merge(base.get(key), value) if key in base else copy.deepcopy(value)
        return out
    return copy.deepcopy(patch)


def run_cases(
    document: dict[str, Any],
    ruleset: RuleSet,
    to_facts: Callable[[dict[str, Any]], Facts],
    only: str | None = None,
) -> list[CaseResult]:
    """Run every rule's cases (or one rule's). `to_facts` validates an intake and builds facts; it raises
    ValueError (IntakeInvalid) with the problems when the case's intake is invalid."""
    baseline = document.get("test_baseline", {})
    results = []
    for rule in document.get("rules", []):
        if only is not None and rule["code"] != only:
            continue
        for i, case in enumerate(rule.get("tests", [])):
            name = case.get("name") or f"case {i + 1}"
            intake = merge(baseline, case.get("intake", {}))
            try:
                facts = to_facts(intake)
            except ValueError as exc:
                results.append(CaseResult(rule["code"], name, bool(case.get("fires")), None, str(exc)))
                continue
            report = evaluate(facts, ruleset, date.fromisoformat(intake["assessed_on"]))
            results.append(
                CaseResult(rule["code"], name, bool(case.get("fires")), rule["code"] in report.rule_codes)
            )
    return results


def coverage_problems(document: dict[str, Any]) -> list[Problem]:
    """Every enabled rule has at least one case that must fire and one that must stay silent: a rule with
    no firing case may never fire, and one with no silent case may fire on everyone."""
    problems = []
    for i, rule in enumerate(document.get("rules", [])):
        if not isinstance(rule, dict) or not rule.get("enabled", True):
            continue
        where = f"rules[{i}] ({rule.get('code')}).tests"
        cases = [case for case in rule.get("tests", []) if isinstance(case, dict)]
        if not any(case.get("fires") is True for case in cases):
            problems.append(Problem(where, "no test case that fires: add one that must fire"))
        if not any(case.get("fires") is False for case in cases):
            problems.append(Problem(where, "no test case that stays silent: add one that must not fire"))
    return problems
