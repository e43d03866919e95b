"""Screening workflows that touch the database: load what the engine needs, run it."""

from __future__ import annotations

from datetime import date
from typing import Any

from .engine import Report, evaluate
from .engine import RuleSet as EngineRuleSet
from .formulary import Formulary
from .formulary_store import current_formulary
from .intake import facts_from_intake, validate_intake
from .rulesets import active_ruleset, engine_ruleset


def intake_evaluate(*, intake: dict[str, Any], ruleset: EngineRuleSet | None = None,
                    formulary: Formulary | None = None, as_of: date | None = None) -> Report:
    """Validate an intake document and evaluate it (against the active rule set unless one is given).

    Raises IntakeInvalid with every problem by path; stores nothing.
    """
    valid = validate_intake(intake)
    ruleset = ruleset or engine_ruleset(active_ruleset())
    formulary = formulary or current_formulary()
    facts = facts_from_intake(valid, formulary.resolve)
    return evaluate(facts, ruleset, as_of or date.fromisoformat(valid["assessed_on"]))
