"""Rule sets between the database and the engine: document form, import, activation."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from .engine import RuleSet as EngineRuleSet
from .engine import RuleSetInvalid, content_sha256, ruleset_from_data, validate_ruleset_data
from .models import Rule, RuleSet

RULESET_FORMAT = "ketamine-ruleset/1"


class NoActiveRuleSet(RuntimeError):
    pass


def ruleset_document(ruleset: RuleSet) -> dict[str, Any]:
    return {
        "format": RULESET_FORMAT,
        "version": ruleset.version,
        "protocol": ruleset.protocol,
        "rules": [rule.as_document() for rule in ruleset.rules.all()],
    }


def engine_ruleset(ruleset: RuleSet) -> EngineRuleSet:
    return ruleset_from_data(ruleset_document(ruleset))


def active_ruleset() -> RuleSet:
    ruleset = RuleSet.objects.filter(is_active=True).prefetch_related("rules").first()
    if ruleset is None:
        raise NoActiveRuleSet("No active rule set: run `make setup` (or `manage.py load_defaults`).")
    return ruleset


@transaction.atomic
def ruleset_import(*, data: dict[str, Any], created_by=None, publish: bool = False, note: str = "") -> RuleSet:
    """Create a rule set from a document, all or nothing. With publish, it also becomes the active set."""
    errors = validate_ruleset_data(data)
    if errors:
        raise RuleSetInvalid(errors)
    ruleset = RuleSet.objects.create(
        version=data["version"], protocol=data["protocol"], sha256=content_sha256(data),
        note=note or data.get("note", ""), created_by=created_by,
    )
    Rule.objects.bulk_create([
        Rule(ruleset=ruleset, position=i, code=r["code"], severity=r["severity"], title=r["title"],
             action=r["action"], sources=r["sources"], enabled=r.get("enabled", True), predicate=r["predicate"],
             tests=r.get("tests", []))
        for i, r in enumerate(data["rules"])
    ])
    if publish:
        ruleset_publish(ruleset=ruleset)
    return ruleset


@transaction.atomic
def ruleset_publish(*, ruleset: RuleSet) -> RuleSet:
    RuleSet.objects.filter(is_active=True).exclude(pk=ruleset.pk).update(
        is_active=False, status=RuleSet.Status.RETIRED)
    ruleset.status = RuleSet.Status.PUBLISHED
    ruleset.is_active = True
    ruleset.published_at = timezone.now()
    ruleset.save(update_fields=["status", "is_active", "published_at"])
    return ruleset


__all__ = ["NoActiveRuleSet", "RuleSetInvalid", "active_ruleset", "engine_ruleset", "ruleset_document",
           "ruleset_import", "ruleset_publish"]
