"""What makes a rule set fit to publish beyond its own validity: nothing in it that can never fire.

The engine refuses what it can see alone (an unknown answer or value, a malformed ATC or ICD-10 prefix, a
matcher that names nothing). Here: classes no formulary entry has (the formulary is data in the database),
and the test bench's coverage, every enabled rule with a case that fires and one that stays silent, all
passing. Import, save, submission, approval and `rules test` all read these, so each says the same."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from formulary.selectors import current_formulary
from screening.engine.problems import Problem
from screening.engine.ruleset import ruleset_problems
from screening.engine.testbench import coverage_problems

from .bench import ruleset_test_results


def _class_params(predicate: Any, where: str) -> Iterator[tuple[str, str]]:
    """(path, class name) of every class a predicate tree names."""
    if not isinstance(predicate, dict) or not isinstance(predicate.get("params"), dict):
        return
    params = predicate["params"]
    for i, name in enumerate(params.get("classes", ()) if isinstance(params.get("classes"), list) else ()):
        yield f"{where}.params.classes[{i}]", name
    subs = params.get("of")
    for i, sub in enumerate(subs if isinstance(subs, list) else ()):
        yield from _class_params(sub, f"{where}.params.of[{i}]")
    if "predicate" in params:
        yield from _class_params(params["predicate"], f"{where}.params.predicate")


def rule_class_problems(rule: dict[str, Any], where: str, known: frozenset[str]) -> list[Problem]:
    return [
        Problem(path, f"{name!r} is a class no formulary entry has: the rule could never match it")
        for path, name in _class_params(rule.get("predicate"), f"{where}.predicate")
        if name not in known
    ]


def known_classes() -> frozenset[str] | None:
    """The formulary's classes; None while the formulary is empty (nothing to check against yet: drafts
    may be imported before it, but nothing is published until it is loaded and the classes check)."""
    formulary = current_formulary()
    return formulary.classes if formulary.entries else None


def class_problems(document: dict[str, Any], *, required: bool = False) -> list[Problem]:
    """Every class a rule names that no formulary entry has (required: an empty formulary is a problem)."""
    known = known_classes()
    if known is None:
        return [Problem("formulary", "no formulary is loaded: load it first")] if required else []
    problems = []
    for i, rule in enumerate(document.get("rules", [])):
        if isinstance(rule, dict):
            problems += rule_class_problems(rule, f"rules[{i}] ({rule.get('code')})", known)
    return problems


def import_problems(document: Any) -> list[Problem]:
    """What refuses a whole document at import (a file, the CLI, a clone): invalid, classes unknown to the
    formulary, or a rule without a firing and a silent case."""
    problems = ruleset_problems(document)
    if problems:
        return problems
    return class_problems(document) + coverage_problems(document)


def publish_problems(document: dict[str, Any]) -> list[str]:
    """Every reason a rule set cannot be submitted or approved, each as one line naming rule and field: it is
    invalid, names a class no formulary entry has, an enabled rule lacks a firing or a silent case, or a
    test case fails."""
    problems = ruleset_problems(document)
    if problems:
        return [str(p) for p in problems]
    reasons = [str(p) for p in class_problems(document, required=True) + coverage_problems(document)]
    failed = [r for r in ruleset_test_results(document) if not r.passed]
    return reasons + [f"test case fails: {r.rule} [{r.name}]" for r in failed]
