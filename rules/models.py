"""Rule sets and their rules: versioned data, drafts edited, published sets immutable."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from screening.engine import validate_predicate
from screening.engine.problems import Problem
from screening.engine.ruleset import validate_rule
from screening.engine.severity import OVERRIDE_SETTINGS, SEVERITIES, override_policy


class RuleSet(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    version = models.CharField(max_length=40, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    is_active = models.BooleanField(default=False)
    protocol = models.JSONField()
    test_baseline = models.JSONField(
        default=dict, blank=True, help_text="The intake that each rule's test cases are merged onto."
    )
    sha256 = models.CharField(max_length=64, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    # Two-person publishing: the author submits the draft for review with a change note; another rules
    # admin approves it (publishing it) or returns it. The shipped default is published by the product.
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_sha256 = models.CharField(max_length=64, blank=True)  # the content that was submitted
    submitted_note = models.TextField(blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    self_approved = models.BooleanField(default=False)  # approved by its author (RULES_ALLOW_SELF_APPROVAL)
    published_by_product = models.CharField(max_length=80, blank=True)  # "shipped default 2026.2"
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    retired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    retired_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(table_name="rules_historicalruleset")

    class Meta:
        db_table = "screening_ruleset"  # moved from the screening app; the table kept its name
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_ruleset"
            ),
            models.CheckConstraint(
                condition=Q(is_active=False) | Q(status="published"), name="active_ruleset_is_published"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version} ({self.get_status_display()})"

    CONTENT_FIELDS = ("version", "protocol", "test_baseline", "sha256", "note", "published_at")

    def save(self, *args, **kwargs):
        if self.pk is not None:
            stored = RuleSet.objects.filter(pk=self.pk).values(*self.CONTENT_FIELDS, "status").first()
            if stored and stored["status"] != self.Status.DRAFT:
                changed = [f for f in self.CONTENT_FIELDS if stored[f] != getattr(self, f)]
                if changed or self.status == self.Status.DRAFT:
                    raise ValidationError(
                        f"Rule set {stored['version']} is {stored['status']}: it can never be "
                        "edited. Clone it into a new draft instead."
                    )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if not self.is_draft:
            raise ValidationError("Only a draft rule set can be deleted.")
        return super().delete(*args, **kwargs)

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_submitted(self) -> bool:
        """A draft waiting for a second rules admin's approval."""
        return self.is_draft and self.submitted_at is not None

    @property
    def changed_since_submitted(self) -> bool:
        return self.is_submitted and self.submitted_sha256 != self.sha256


class RuleSetEvent(models.Model):
    """One step of a rule set's governance, append-only: created, submitted, returned, withdrawn,
    approved (published), activated, retired. The actor is a person, or the product (actor_label) for
    the shipped default. The version label is kept, so the trail outlives a deleted draft."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        SUBMITTED = "submitted", "Submitted for review"
        RETURNED = "returned", "Returned to the author"
        WITHDRAWN = "withdrawn", "Withdrawn by the author"
        APPROVED = "approved", "Approved and published"
        ACTIVATED = "activated", "Activated"
        RETIRED = "retired", "Retired"
        DELETED = "deleted", "Draft deleted"

    ruleset = models.ForeignKey(
        RuleSet, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    version = models.CharField(max_length=40)
    action = models.CharField(max_length=12, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=80, blank=True)  # the product, when no person acted
    note = models.TextField(blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    self_approved = models.BooleanField(default=False)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["ruleset", "-at"])]

    def __str__(self) -> str:
        return f"{self.version}: {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("A governance event is never changed.")
        super().save(*args, **kwargs)

    @property
    def who(self) -> str:
        if self.actor is not None:
            return self.actor.get_full_name() or self.actor.username
        return self.actor_label or "the product"


class Rule(models.Model):
    ruleset = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="rules")
    position = models.PositiveIntegerField()
    code = models.CharField(max_length=40)
    severity = models.CharField(max_length=16, choices=[(s, s) for s in SEVERITIES])
    title = models.CharField(max_length=200)
    action = models.TextField()
    sources = models.JSONField(default=list)
    enabled = models.BooleanField(default=True)
    predicate = models.JSONField()
    tests = models.JSONField(default=list, blank=True)
    # none | reason | cosign; blank: the severity's default (criteria.md), so that a published set that
    # never named one keeps its sha256
    override = models.CharField(
        max_length=8, blank=True, choices=[(s, s) for s in OVERRIDE_SETTINGS], default=""
    )
    override_reasons = models.JSONField(default=list, blank=True)  # [{"code", "display"}]
    history = HistoricalRecords(table_name="screening_historicalrule")

    class Meta:
        db_table = "screening_rule"  # moved from the screening app; the table kept its name
        ordering = ["ruleset", "position"]
        constraints = [
            models.UniqueConstraint(fields=["ruleset", "code"], name="unique_rule_code_per_set"),
            models.CheckConstraint(condition=Q(severity__in=SEVERITIES), name="rule_severity_known"),
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs):
        stored_set = (
            Rule.objects.filter(pk=self.pk).values_list("ruleset_id", flat=True).first()
            if self.pk is not None
            else None
        )
        if stored_set is not None and stored_set != self.ruleset_id:
            raise ValidationError("A rule cannot be moved to another rule set.")
        if RuleSet.objects.filter(pk=self.ruleset_id).exclude(status=RuleSet.Status.DRAFT).exists():
            raise ValidationError("Rules of a published or retired rule set can never be edited.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if not self.ruleset.is_draft:
            raise ValidationError("Rules of a published or retired rule set can never be deleted.")
        return super().delete(*args, **kwargs)

    def as_document(self) -> dict:
        doc = {
            "code": self.code,
            "severity": self.severity,
            "title": self.title,
            "action": self.action,
            "sources": self.sources,
            "enabled": self.enabled,
            "predicate": self.predicate,
        }
        if self.tests:
            doc["tests"] = self.tests
        if self.override:
            doc["override"] = self.override
        if self.override_reasons:
            doc["override_reasons"] = self.override_reasons
        return doc

    @property
    def policy(self) -> str:
        return override_policy(self.code, self.severity, self.override)

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        for problem in validate_predicate(self.predicate, "predicate"):
            errors.setdefault("predicate", []).append(str(problem))
        for problem in validate_rule(self.as_document(), "rule"):
            field = Problem(problem.under("rule"), problem.message).head
            if field in {
                "code",
                "severity",
                "title",
                "action",
                "sources",
                "enabled",
                "override",
                "override_reasons",
            }:
                errors.setdefault(field, []).append(problem.message)
        if errors:
            raise ValidationError(errors)


class TestBenchRun(models.Model):
    """The test bench of one rule-set content (its sha256) against one formulary (its stamp): the cases
    run once, and every rule-set page, publish check and `rules test` reads the stored results until the
    content or the formulary changes. The version label is kept for reading the table; a draft's older
    runs are dropped when its content changes."""

    __test__ = False  # not a pytest test class, despite the name

    sha256 = models.CharField(max_length=64)
    formulary_stamp = models.CharField(max_length=64)  # the formulary content sha256 (else its cache stamp)
    version = models.CharField(max_length=40)
    results = models.JSONField()  # [{"rule", "name", "expected_fire", "fired", "problem"}]
    ran_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["sha256", "formulary_stamp"], name="one_run_per_content_and_formulary"
            )
        ]
        indexes = [models.Index(fields=["version"])]

    def __str__(self) -> str:
        return f"test bench of {self.version} ({self.sha256[:12]})"
