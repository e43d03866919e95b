"""Several rule sets over the same facts (the impact preview: a draft against the active set).

A draft usually differs from the set it was cloned from in a rule or two, so `Comparison` runs each distinct
predicate once per screening and gives each set what evaluate() would conclude: the verdict and the codes of
the rules that fired (a rule that raised counts as a `missing` finding, as in evaluate()). It builds no report:
no evidence, medication rows or dose. Pure, like evaluate().
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any, NamedTuple

from .context import Context
from .facts import Facts
from .predicates import evaluate_predicate
from .protocol import Protocol
from .ruleset import RuleSet
from .severity import SEVERITIES, SEVERITY_RANK, VERDICT_FOR_SEVERITY

_MISSING = SEVERITY_RANK["missing"]
_NO_FINDING = SEVERITY_RANK["info"]  # evaluate() gives "eligible" when nothing fires
_RAISED = object()  # a predicate that raised: its rule is a `missing` finding


class Outcome(NamedTuple):
    verdict: str
    rule_codes: frozenset[str]


class _Test(NamedTuple):
    group: int  # which Context (one per distinct protocol) it runs on
    run: Callable[[Context, Any], Any] | None  # None: not compiled, run from the predicate's data
    params: Any
    predicate: dict[str, Any]


class Comparison:
    """Made once per run from the rule sets to compare (compiled: RuleSet.plan); outcomes() per screening.

    Predicates are shared by their canonical JSON and protocol: the same data with the same protocol (the BP
    window is the protocol's) is the same test. Each protocol gets one Context, indexing the medication codes
    any of its sets' matchers name (an index holding more codes than a matcher names answers it alike)."""

    def __init__(self, *rulesets: RuleSet):
        self.rulesets = rulesets
        protocols: dict[Protocol, int] = {}
        match_codes: list[frozenset[str] | None] = []
        tests: dict[tuple[int, Any, str], int] = {}
        self._tests: list[_Test] = []
        plans: list[list[tuple[str, int, int]]] = []
        for ruleset in rulesets:
            group = protocols.setdefault(ruleset.protocol, len(protocols))
            if group == len(match_codes):
                match_codes.append(ruleset.match_codes)
            elif match_codes[group] is not None:
                codes = ruleset.match_codes
                match_codes[group] = None if codes is None else match_codes[group] | codes
            plan = []
            for _position, rank, rule, run, params in ruleset.plan:
                key = (group, run, json.dumps(rule.predicate, sort_keys=True))
                index = tests.get(key)
                if index is None:
                    index = tests[key] = len(self._tests)
                    self._tests.append(_Test(group, run, params, rule.predicate))
                plan.append((rule.code, rank, index))
            plans.append(plan)
        self._groups = tuple(zip(protocols, match_codes, strict=True))
        # the rules every set has alike (same code, severity and test) are tallied once per screening
        shared = set.intersection(*(set(plan) for plan in plans)) if plans else set()
        self._shared = tuple(entry for entry in plans[0] if entry in shared) if plans else ()
        self._own = tuple(tuple(entry for entry in plan if entry not in shared) for plan in plans)

    @property
    def distinct_tests(self) -> int:
        """How many predicates run per screening (the rules of every set, each shared one counted once)."""
        return len(self._tests)

    def outcomes(self, facts: Facts, as_of: date) -> tuple[Outcome, ...]:
        """Each rule set's verdict and fired rule codes, in the order the sets were given."""
        contexts = [Context(facts, protocol, as_of, codes) for protocol, codes in self._groups]
        results = []
        for group, run, params, predicate in self._tests:
            ctx = contexts[group]
            try:
                hit = run(ctx, params) if run is not None else evaluate_predicate(ctx, predicate)
            except Exception:  # noqa: BLE001 - fail closed, as evaluate(): the rule is a missing finding
                hit = _RAISED
            results.append(hit)
        shared_worst, shared_codes = _tally(self._shared, results)
        outcomes = []
        for own in self._own:
            worst, codes = _tally(own, results)
            outcomes.append(
                Outcome(
                    VERDICT_FOR_SEVERITY[SEVERITIES[min(worst, shared_worst)]],
                    frozenset(shared_codes + codes),
                )
            )
        return tuple(outcomes)


def _tally(plan: tuple[tuple[str, int, int], ...], results: list) -> tuple[int, list[str]]:
    """The worst severity rank among the plan's rules that fired (a rule that raised is `missing`) and their
    codes."""
    worst = _NO_FINDING
    codes = []
    for code, rank, index in plan:
        hit = results[index]
        if hit is None:
            continue
        codes.append(code)
        if hit is _RAISED:
            rank = _MISSING
        if rank < worst:
            worst = rank
    return worst, codes
