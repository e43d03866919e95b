"""Writes to rule sets: import, publish, clone, rule edits, settings, deletion of drafts. Validated as the
engine validates; a published set is never changed."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from formulary.history import bulk_create_with_history
from screening.engine import RuleSetInvalid, content_sha256
from screening.engine.problems import Problem
from screening.engine.ruleset import ruleset_problems, validate_rule

from .checks import import_problems, known_classes, publish_problems, rule_class_problems
from .models import Rule, RuleSet, RuleSetEvent
from .selectors import ruleset_document


@transaction.atomic
def ruleset_import(
    *, data: dict[str, Any], created_by=None, shipped: bool = False, note: str = ""
) -> RuleSet:
    """Create a draft rule set from a document, all or nothing: refused (RuleSetInvalid, every problem by
    rule and field) when it is invalid, names a class no formulary entry has, or has an enabled rule without
    a firing and a silent test case. `shipped`: the product's own default, published by the product (not by
    a person) and made active."""
    problems = import_problems(data)
    if problems:
        raise RuleSetInvalid(problems)
    ruleset = RuleSet(
        version=data["version"],
        protocol=data["protocol"],
        test_baseline=data.get("test_baseline", {}),
        sha256=content_sha256(data),
        note=note or data.get("note", ""),
        created_by=created_by,
    )
    if created_by is not None:
        ruleset._history_user = created_by
    ruleset.save()
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
    label = f"shipped default {ruleset.version}"
    _event(
        ruleset,
        RuleSetEvent.Action.CREATED,
        actor=created_by,
        label="" if created_by else (label if shipped else "import"),
        note=ruleset.note,
    )
    if shipped:
        _publish(
            ruleset, note=ruleset.note or f"The product's default rule set {ruleset.version}.", label=label
        )
    return ruleset


class PublishRefused(Exception):
    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def _event(ruleset: RuleSet, action: str, *, actor=None, label: str = "", note: str = "", **extra) -> None:
    RuleSetEvent.objects.create(
        ruleset=ruleset,
        version=ruleset.version,
        action=action,
        actor=actor,
        actor_label=label,
        note=note,
        sha256=ruleset.sha256,
        **extra,
    )


def _locked(ruleset: RuleSet) -> RuleSet:
    return RuleSet.objects.select_for_update().get(pk=ruleset.pk)


@transaction.atomic
def ruleset_submit(*, ruleset: RuleSet, by, note: str) -> RuleSet:
    """The author asks for review: refused without a change note, unless the draft is fit to publish (see
    checks.publish_problems), or while it waits for review with the same content."""
    ruleset = _locked(ruleset)
    reasons = []
    if not ruleset.is_draft:
        reasons.append(f"{ruleset.version} is {ruleset.status}, not a draft")
    elif ruleset.is_submitted and not ruleset.changed_since_submitted:
        reasons.append(f"{ruleset.version} is already waiting for review")
    if not note or not note.strip():
        reasons.append("a change note is required: say what changes and why")
    if not reasons:
        reasons += publish_problems(ruleset_document(ruleset))
    if reasons:
        raise PublishRefused(reasons)
    ruleset.submitted_by, ruleset.submitted_at = by, timezone.now()
    ruleset.submitted_sha256, ruleset.submitted_note = ruleset.sha256, note.strip()
    ruleset._history_user = by
    ruleset.save(update_fields=["submitted_by", "submitted_at", "submitted_sha256", "submitted_note"])
    _event(ruleset, RuleSetEvent.Action.SUBMITTED, actor=by, note=ruleset.submitted_note)
    return ruleset


def _clear_submission(ruleset: RuleSet, by) -> None:
    ruleset.submitted_by, ruleset.submitted_at, ruleset.submitted_sha256 = None, None, ""
    ruleset._history_user = by
    ruleset.save(update_fields=["submitted_by", "submitted_at", "submitted_sha256"])


@transaction.atomic
def ruleset_return(*, ruleset: RuleSet, by, comment: str) -> RuleSet:
    """A reviewer sends the draft back to its author with a comment; it can be edited and submitted again."""
    ruleset = _locked(ruleset)
    reasons = []
    if not ruleset.is_submitted:
        reasons.append(f"{ruleset.version} is not waiting for review")
    elif ruleset.submitted_by_id == getattr(by, "pk", None):
        reasons.append("you submitted this draft: withdraw it instead")
    if not comment or not comment.strip():
        reasons.append("a comment is required: say what the author should change")
    if reasons:
        raise PublishRefused(reasons)
    _clear_submission(ruleset, by)
    _event(ruleset, RuleSetEvent.Action.RETURNED, actor=by, note=comment.strip())
    return ruleset


@transaction.atomic
def ruleset_withdraw(*, ruleset: RuleSet, by) -> RuleSet:
    """The author takes a submitted draft back (to change it before anyone approves it)."""
    ruleset = _locked(ruleset)
    if not ruleset.is_submitted:
        raise PublishRefused([f"{ruleset.version} is not waiting for review"])
    if ruleset.submitted_by_id != getattr(by, "pk", None):
        raise PublishRefused(["only its author withdraws a submitted draft; a reviewer returns it"])
    _clear_submission(ruleset, by)
    _event(ruleset, RuleSetEvent.Action.WITHDRAWN, actor=by)
    return ruleset


def self_approval_allowed() -> bool:
    return bool(getattr(settings, "RULES_ALLOW_SELF_APPROVAL", False))


@transaction.atomic
def ruleset_approve(*, ruleset: RuleSet, by, comment: str = "") -> RuleSet:
    """A second rules admin approves a submitted draft: it is published and becomes the active set, and
    the one it replaces is retired. Refused to its author (unless RULES_ALLOW_SELF_APPROVAL), when the
    content changed after submission, or when it is not fit to publish."""
    ruleset = _locked(ruleset)
    reasons = []
    own = ruleset.submitted_by_id is not None and ruleset.submitted_by_id == getattr(by, "pk", None)
    if not ruleset.is_submitted:
        reasons.append(f"{ruleset.version} has not been submitted for review")
    elif ruleset.changed_since_submitted:
        reasons.append(f"{ruleset.version} changed after it was submitted: its author submits it again")
    elif own and not self_approval_allowed():
        reasons.append("the author cannot approve their own draft: another rules admin approves it")
    if not reasons:
        reasons += publish_problems(ruleset_document(ruleset))
    if reasons:
        raise PublishRefused(reasons)
    note = ruleset.submitted_note + (f"\n\nApproval: {comment.strip()}" if comment.strip() else "")
    _publish(ruleset, note=note, approved_by=by, self_approved=own)
    return ruleset


def _publish(ruleset: RuleSet, *, note: str, approved_by=None, label: str = "", self_approved=False) -> None:
    """Publish and activate a (locked) draft, retiring the active set; each step in the governance trail,
    by the approver, or by the product (label) for the shipped default."""
    now = timezone.now()
    for previous in RuleSet.objects.select_for_update().filter(is_active=True).exclude(pk=ruleset.pk):
        RuleSet.objects.filter(pk=previous.pk).update(
            is_active=False, status=RuleSet.Status.RETIRED, retired_by=approved_by, retired_at=now
        )
        _event(
            previous,
            RuleSetEvent.Action.RETIRED,
            actor=approved_by,
            label=label,
            note=f"replaced by {ruleset.version}",
        )
    document = ruleset_document(ruleset)
    ruleset.status = RuleSet.Status.PUBLISHED
    ruleset.is_active = True
    ruleset.published_at = ruleset.activated_at = now
    ruleset.note = note.strip()
    ruleset.sha256 = content_sha256(document)
    ruleset.approved_by = ruleset.activated_by = approved_by
    ruleset.self_approved = self_approved
    ruleset.published_by_product = label
    if approved_by is not None:
        ruleset._history_user = approved_by
    ruleset.save()
    _event(
        ruleset,
        RuleSetEvent.Action.APPROVED,
        actor=approved_by,
        label=label,
        note=ruleset.note,
        self_approved=self_approved,
    )
    _event(ruleset, RuleSetEvent.Action.ACTIVATED, actor=approved_by, label=label)


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
    errors = validate_rule(candidate, rule.code) or _unknown_classes(candidate, rule.code)
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
    *, ruleset: RuleSet, protocol: dict[str, Any], test_baseline: dict[str, Any], user=None
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
    if user is not None:
        ruleset._history_user = user
    ruleset.save(update_fields=["protocol", "test_baseline", "sha256"])
    return ruleset


def _unknown_classes(rule: dict[str, Any], where: str) -> list[Problem]:
    known = known_classes()
    return [] if known is None else rule_class_problems(rule, where, known)


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
    errors = validate_rule(values, code or "rule") or _unknown_classes(values, code or "rule")
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
    naming = [
        Problem(f"protocol.day_of_checklist[{i}].findings", f"asks on {rule.code}: change the item first")
        for i, item in enumerate((rule.ruleset.protocol or {}).get("day_of_checklist", []))
        if isinstance(item, dict) and rule.code in (item.get("findings") or [])
    ]
    if naming:
        raise RuleSetInvalid(naming)
    if user is not None:
        rule._history_user = user
    rule.delete()
    _refresh_hash(rule.ruleset)


@transaction.atomic
def ruleset_delete_draft(*, ruleset: RuleSet, by=None) -> None:
    """Delete a draft (never a published or retired set); the trail keeps a "deleted" event."""
    ruleset = _locked(ruleset)
    if not ruleset.is_draft:
        raise RuleSetInvalid([Problem(ruleset.version, f"{ruleset.status}: only drafts can be deleted")])
    _event(ruleset, RuleSetEvent.Action.DELETED, actor=by)
    ruleset.rules.all().delete()
    ruleset.delete()
