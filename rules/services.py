"""Writes to rule sets: import, publish, clone, rule edits, settings, deletion of drafts. Validated as the
engine validates; a published set is never changed."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from screening.engine import RuleSetInvalid, content_sha256
from screening.engine.problems import Problem
from screening.engine.ruleset import ruleset_problems, validate_rule

from .bench import ruleset_test_results
from .models import Rule, RuleSet
from .selectors import ruleset_document


@transaction.atomic
def ruleset_import(
    *, data: dict[str, Any], created_by=None, publish: bool = False, note: str = ""
) -> RuleSet:
    """Create a rule set from a document, all or nothing. With publish, it also becomes the active set."""
    problems = ruleset_problems(data)
    if problems:
        raise RuleSetInvalid(problems)
    ruleset = RuleSet.objects.create(
        version=data["version"],
        protocol=data["protocol"],
        test_baseline=data.get("test_baseline", {}),
        sha256=content_sha256(data),
        note=note or data.get("note", ""),
        created_by=created_by,
    )
    bulk_create_with_history(
        [
            Rule(
                ruleset=ruleset,
                position=i,
                code=r["code"],
                severity=r["severity"],
                title=r["title"],
                action=r["action"],
                sources=r["sources"],
                enabled=r.get("enabled", True),
                predicate=r["predicate"],
                tests=r.get("tests", []),
                override=r.get("override", ""),
                override_reasons=r.get("override_reasons", []),
            )
            for i, r in enumerate(data["rules"])
        ],
        Rule,
        default_user=created_by,
    )
    if publish:
        ruleset_publish(ruleset=ruleset, note=ruleset.note or "Imported and published.")
    return ruleset


class PublishRefused(Exception):
    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


@transaction.atomic
def ruleset_publish(*, ruleset: RuleSet, note: str, require_tests: bool = True) -> RuleSet:
    """Make a draft the one active rule set. Refused without a change note, when the set is invalid, or
    (require_tests) while any test-bench case fails. The previously active set is retired."""
    ruleset = RuleSet.objects.select_for_update().get(pk=ruleset.pk)
    reasons = []
    if not ruleset.is_draft:
        reasons.append(f"{ruleset.version} is {ruleset.status}, not a draft")
    if not note or not note.strip():
        reasons.append("a change note is required")
    document = ruleset_document(ruleset)
    problems = ruleset_problems(document)
    reasons += [str(problem) for problem in problems]
    if require_tests and not problems:
        failed = [r for r in ruleset_test_results(document) if not r.passed]
        reasons += [f"test case fails: {r.rule} [{r.name}]" for r in failed]
    if reasons:
        raise PublishRefused(reasons)
    RuleSet.objects.filter(is_active=True).exclude(pk=ruleset.pk).update(
        is_active=False, status=RuleSet.Status.RETIRED
    )
    ruleset.status = RuleSet.Status.PUBLISHED
    ruleset.is_active = True
    ruleset.published_at = timezone.now()
    ruleset.note = note.strip()
    ruleset.sha256 = content_sha256(document)
    ruleset.save()
    return ruleset


def _refresh_hash(ruleset: RuleSet) -> None:
    ruleset.sha256 = content_sha256(ruleset_document(ruleset))
    ruleset.save(update_fields=["sha256"])


@transaction.atomic
def ruleset_clone(*, source: RuleSet, version: str, created_by=None) -> RuleSet:
    """A new draft with the same content as `source` (published sets are edited only this way)."""
    document = ruleset_document(source)
    document["version"] = version
    return ruleset_import(data=document, created_by=created_by, note=f"Cloned from {source.version}.")


@transaction.atomic
def rule_update(*, rule: Rule, values: dict[str, Any], user=None) -> Rule:
    """Change one rule of a draft after validating it as the engine would. Raises RuleSetInvalid."""
    rule = Rule.objects.select_for_update().select_related("ruleset").get(pk=rule.pk)
    if not rule.ruleset.is_draft:
        raise RuleSetInvalid([Problem(rule.code, f"rule set {rule.ruleset.version} is not a draft")])
    candidate = _without_defaults({**rule.as_document(), **values})
    errors = validate_rule(candidate, rule.code)
    if errors:
        raise RuleSetInvalid(errors)
    for key in ("severity", "title", "action", "sources", "enabled", "predicate"):
        setattr(rule, key, candidate.get(key, getattr(rule, key)))
    rule.tests = candidate.get("tests", [])
    rule.override = candidate.get("override", "")
    rule.override_reasons = candidate.get("override_reasons", [])
    if user is not None:
        rule._history_user = user
    rule.save()
    _refresh_hash(rule.ruleset)
    return rule


@transaction.atomic
def ruleset_settings_update(
    *, ruleset: RuleSet, protocol: dict[str, Any], test_baseline: dict[str, Any]
) -> RuleSet:
    """Change a draft's protocol numbers and test baseline, validated as a whole. Raises RuleSetInvalid."""
    ruleset = RuleSet.objects.select_for_update().get(pk=ruleset.pk)
    if not ruleset.is_draft:
        raise RuleSetInvalid([Problem("rule set", f"{ruleset.version} is not a draft")])
    document = {**ruleset_document(ruleset), "protocol": protocol, "test_baseline": test_baseline}
    problems = ruleset_problems(document)
    if problems:
        raise RuleSetInvalid(problems)
    ruleset.protocol = protocol
    ruleset.test_baseline = test_baseline
    ruleset.sha256 = content_sha256(document)
    ruleset.save(update_fields=["protocol", "test_baseline", "sha256"])
    return ruleset


def _without_defaults(values: dict[str, Any]) -> dict[str, Any]:
    """A form's empty override setting and reason list mean "the severity's default" and "none": they are
    left out of the rule's document, so its content (and a published set's sha256) stays as it was."""
    return {
        key: value
        for key, value in values.items()
        if not (key == "override" and value in ("", None)) and not (key == "override_reasons" and not value)
    }


@transaction.atomic
def rule_add(*, ruleset: RuleSet, values: dict[str, Any], user=None) -> Rule:
    """Add a rule at the end of a draft. Raises RuleSetInvalid (code taken, invalid fields, not a draft)."""
    ruleset = RuleSet.objects.select_for_update().get(pk=ruleset.pk)
    code = values.get("code", "")
    if not ruleset.is_draft:
        raise RuleSetInvalid([Problem(code or "rule", f"rule set {ruleset.version} is not a draft")])
    values = _without_defaults(values)
    errors = validate_rule(values, code or "rule")
    if ruleset.rules.filter(code=code).exists():
        errors.append(Problem(f"{code}.code", f"this draft already has a rule {code}"))
    if errors:
        raise RuleSetInvalid(errors)
    position = (ruleset.rules.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    rule = Rule(
        ruleset=ruleset,
        position=position,
        code=code,
        severity=values["severity"],
        title=values["title"],
        action=values["action"],
        sources=values["sources"],
        enabled=values.get("enabled", True),
        predicate=values["predicate"],
        tests=values.get("tests") or [],
        override=values.get("override", ""),
        override_reasons=values.get("override_reasons") or [],
    )
    if user is not None:
        rule._history_user = user
    rule.save()
    _refresh_hash(ruleset)
    return rule


@transaction.atomic
def rule_remove(*, rule: Rule, user=None) -> None:
    rule = Rule.objects.select_related("ruleset").get(pk=rule.pk)
    if not rule.ruleset.is_draft:
        raise RuleSetInvalid([Problem(rule.code, f"rule set {rule.ruleset.version} is not a draft")])
    if user is not None:
        rule._history_user = user
    rule.delete()
    _refresh_hash(rule.ruleset)


@transaction.atomic
def ruleset_delete_draft(*, ruleset: RuleSet) -> None:
    if not ruleset.is_draft:
        raise RuleSetInvalid([Problem(ruleset.version, f"{ruleset.status}: only drafts can be deleted")])
    ruleset.rules.all().delete()
    ruleset.delete()
