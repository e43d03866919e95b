"""The compiled rule set a screening was made under, found by the version and sha256 the screening stores:
a page of screenings reads no rule set row once the process holds the compiled sets (published and retired
sets never change; rules.selectors.engine_ruleset)."""

from __future__ import annotations

from django.db.models import prefetch_related_objects

from rules.selectors import compiled_ruleset, engine_ruleset

from .engine.ruleset import RuleSet as EngineRuleSet
from .models import Screening


def screening_ruleset(screening: Screening) -> EngineRuleSet:
    """The compiled rule set a screening was made under: the process's copy, found by the version and
    sha256 the screening stores, or compiled from its row once."""
    return compiled_ruleset(screening.ruleset_version, screening.ruleset_sha256) or engine_ruleset(
        screening.ruleset
    )


def with_rulesets(screenings: list[Screening]) -> None:
    """Read the rule set rows, one query for all, only of the screenings whose compiled set this process
    lacks (none, once warm): screening_ruleset then reads no row."""
    missing = [
        s
        for s in screenings
        if compiled_ruleset(s.ruleset_version, s.ruleset_sha256) is None
        and not Screening.ruleset.is_cached(s)
    ]
    if missing:
        prefetch_related_objects(missing, "ruleset")
