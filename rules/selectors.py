"""Reads of rule sets: the document form, the compiled engine rule set (cached for published sets), the
active set and diffs. The test bench, which stores what it runs, is in bench.py."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

from screening.engine import RuleSet as EngineRuleSet
from screening.engine import content_sha256, ruleset_from_data

from .describe import RULE_FIELDS, intake_changes, protocol_changes, rule_changes
from .models import RuleSet, RuleSetEvent

log = logging.getLogger(__name__)

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


def compiled_ruleset(version: str, sha256: str) -> EngineRuleSet | None:
    """The compiled published or retired set of this version and content hash, if this process holds it:
    what a screening, which stores both, needs without reading the rule set's row."""
    return _COMPILED.get((version, sha256))


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


class RuleSetTampered(NoActiveRuleSet):
    """The rows of a published rule set no longer hash to what was published: nothing is screened on it."""


# Rule sets whose rows were verified, by id: (the rows' versions, sha256). On PostgreSQL a row's version
# is its xmin and ctid: every UPDATE writes a new tuple (a new ctid, even inside one transaction) and a
# new transaction id, and an INSERT or DELETE changes the list, so one small query tells whether the rows
# are the ones verified (a VACUUM FULL moving them only costs one re-check). Elsewhere (SQLite) the rows
# are read and hashed on every use.
_VERIFIED: dict[int, tuple[str, str]] = {}


def _row_versions(pk: int) -> str | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT xmin::text || ':' || ctid::text FROM screening_ruleset WHERE id = %s), "
            "(SELECT string_agg(id::text || ':' || xmin::text || ':' || ctid::text, ',' ORDER BY id) "
            "FROM screening_rule WHERE ruleset_id = %s)",
            [pk, pk],
        )
        row = cursor.fetchone()
    return f"{row[0]}|{row[1]}"


def ruleset_integrity(ruleset: RuleSet) -> str:
    """ "" when a published or retired set's rows still hash to the sha256 it was published with (the
    stored column and the approval in the governance trail), else what differs. Drafts change by design."""
    if ruleset.is_draft:
        return ""
    fresh = RuleSet.objects.prefetch_related("rules").get(pk=ruleset.pk)
    actual = content_sha256(ruleset_document(fresh))
    published = (
        RuleSetEvent.objects.filter(ruleset_id=ruleset.pk, action=RuleSetEvent.Action.APPROVED)
        .order_by("-at", "-pk")
        .values_list("sha256", flat=True)
        .first()
    )
    expected = {h for h in (ruleset.sha256, fresh.sha256, published) if h}
    if expected != {actual}:
        return (
            f"its rows hash to {actual[:12]}…, but it was published as "
            f"{', '.join(sorted(h[:12] + '…' for h in expected - {actual}))}"
        )
    return ""


def verified_engine_ruleset(ruleset: RuleSet) -> EngineRuleSet:
    """The compiled rule set to screen with, once its rows are shown to be the ones published: a set
    changed underneath (a raw UPDATE) raises RuleSetTampered, logged for the administrators."""
    versions = _row_versions(ruleset.pk)
    if versions is None or _VERIFIED.get(ruleset.pk) != (versions, ruleset.sha256):
        problem = ruleset_integrity(ruleset)
        if problem:
            log.error(
                "rule set integrity check failed ruleset_id=%s version=%s: %s",
                ruleset.pk,
                ruleset.version,
                problem,
            )
            raise RuleSetTampered(
                f"Rule set {ruleset.version} was changed after it was published ({problem}). Nothing is "
                "screened on it; an administrator must restore it or publish a reviewed set."
            )
        if versions is not None:
            _VERIFIED[ruleset.pk] = (versions, ruleset.sha256)
    return engine_ruleset(ruleset)


def active_ruleset() -> RuleSet:
    """The active rule set's row, without its test baseline (an intake document only the rules pages read,
    which then read it); its rules are read only when engine_ruleset() has not compiled it yet."""
    ruleset = RuleSet.objects.filter(is_active=True).defer("test_baseline").first()
    if ruleset is None:
        raise NoActiveRuleSet("No active rule set: run `make setup` (or `manage.py load_defaults`).")
    return ruleset


def ruleset_diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Rules added, removed and changed between two rule set documents: each changed field with its old and
    new value ("fields") and in words ("changes": "systolic 160 → 150"); the protocol likewise."""
    old_rules = {r["code"]: r for r in old["rules"]}
    new_rules = {r["code"]: r for r in new["rules"]}
    changed = []
    for code in [c for c in new_rules if c in old_rules]:
        fields = [
            (key, old_rules[code].get(key), new_rules[code].get(key))
            for key in RULE_FIELDS
            if old_rules[code].get(key) != new_rules[code].get(key)
        ]
        if fields:
            changed.append(
                {"code": code, "fields": fields, "changes": rule_changes(old_rules[code], new_rules[code])}
            )
    protocol = [
        (key, old["protocol"].get(key), new["protocol"].get(key))
        for key in sorted(set(old["protocol"]) | set(new["protocol"]))
        if old["protocol"].get(key) != new["protocol"].get(key)
    ]
    old_baseline, new_baseline = old.get("test_baseline", {}), new.get("test_baseline", {})
    return {
        "added": [new_rules[c] for c in new_rules if c not in old_rules],
        "removed": [old_rules[c] for c in old_rules if c not in new_rules],
        "changed": changed,
        "protocol": protocol,
        "protocol_changes": protocol_changes(old["protocol"], new["protocol"]),
        "baseline_changed": old_baseline != new_baseline,
        "baseline_changes": intake_changes(old_baseline, new_baseline, "baseline"),
    }
