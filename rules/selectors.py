"""Reads of rule sets: the document form, the compiled engine rule set (cached for published sets), the
active set and diffs. The test bench, which stores what it runs, is in bench.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings

from screening.engine import RuleSet as EngineRuleSet
from screening.engine import ruleset_from_data

from .models import RuleSet

RULESET_FORMAT = "ketamine-ruleset/1"
DEFAULT_FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "ruleset-default.json"
VERSION_MAX = RuleSet._meta.get_field("version").max_length


class NoActiveRuleSet(RuntimeError):
    pass


def ruleset_document(ruleset: RuleSet) -> dict[str, Any]:
    return {
        "format": RULESET_FORMAT,
        "version": ruleset.version,
        "protocol": ruleset.protocol,
        "test_baseline": ruleset.test_baseline,
        "rules": [rule.as_document() for rule in ruleset.rules.all()],
    }


def free_version(version: str) -> str:
    """`version` if no rule set has it, else the first free of VERSION-import, VERSION-import-2, ..."""
    taken = set(
        RuleSet.objects.filter(version__startswith=version[: VERSION_MAX - 12]).values_list(
            "version", flat=True
        )
    )
    if version not in taken:
        return version
    for n in range(1, 10_000):
        suffix = "-import" if n == 1 else f"-import-{n}"
        candidate = version[: VERSION_MAX - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
    raise RuntimeError("no free version label")


# Published and retired rule sets never change (the model refuses it), so each is parsed, validated
# and compiled once per process, keyed by its version and content hash. Drafts are compiled on each use.
_COMPILED: dict[tuple[str, str], EngineRuleSet] = {}
_COMPILED_MAX = 16


def engine_ruleset(ruleset: RuleSet) -> EngineRuleSet:
    key = (ruleset.version, ruleset.sha256)
    frozen = ruleset.status != RuleSet.Status.DRAFT  # published and retired sets never change
    if frozen and key in _COMPILED:
        return _COMPILED[key]
    compiled = ruleset_from_data(ruleset_document(ruleset))
    if frozen and compiled.sha256 == ruleset.sha256:
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.clear()
        _COMPILED[key] = compiled
    return compiled


def active_ruleset() -> RuleSet:
    """The active rule set's row; its rules are read only when engine_ruleset() has not compiled it yet."""
    ruleset = RuleSet.objects.filter(is_active=True).first()
    if ruleset is None:
        raise NoActiveRuleSet("No active rule set: run `make setup` (or `manage.py load_defaults`).")
    return ruleset


def ruleset_diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Rules added, removed and changed (field by field, old and new) between two rule set documents."""
    old_rules = {r["code"]: r for r in old["rules"]}
    new_rules = {r["code"]: r for r in new["rules"]}
    changed = []
    for code in [c for c in new_rules if c in old_rules]:
        fields = [
            (key, old_rules[code].get(key), new_rules[code].get(key))
            for key in ("severity", "title", "action", "sources", "enabled", "predicate", "tests")
            if old_rules[code].get(key) != new_rules[code].get(key)
        ]
        if fields:
            changed.append({"code": code, "fields": fields})
    protocol = [
        (key, old["protocol"].get(key), new["protocol"].get(key))
        for key in sorted(set(old["protocol"]) | set(new["protocol"]))
        if old["protocol"].get(key) != new["protocol"].get(key)
    ]
    return {
        "added": [new_rules[c] for c in new_rules if c not in old_rules],
        "removed": [old_rules[c] for c in old_rules if c not in new_rules],
        "changed": changed,
        "protocol": protocol,
        "baseline_changed": old.get("test_baseline") != new.get("test_baseline"),
    }
