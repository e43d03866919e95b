from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from .engine import validate_predicate
from .engine.problems import Problem
from .engine.ruleset import validate_rule
from .engine.severity import SEVERITIES


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

    class Meta:
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
    history = HistoricalRecords()

    class Meta:
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
        return doc

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        for problem in validate_predicate(self.predicate, "predicate"):
            errors.setdefault("predicate", []).append(str(problem))
        for problem in validate_rule(self.as_document(), "rule"):
            field = Problem(problem.under("rule"), problem.message).head
            if field in {"code", "severity", "title", "action", "sources", "enabled"}:
                errors.setdefault(field, []).append(problem.message)
        if errors:
            raise ValidationError(errors)


class ImmutableRecord(models.Model):
    """A row that is written once: saving an existing row, or deleting one, is refused."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.pop("_allow_update", False):
            raise ValidationError(f"{type(self).__name__} records are immutable once stored.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(f"{type(self).__name__} records are never deleted.")


class Screening(ImmutableRecord):
    """One run of the engine for one patient: the facts it used and everything it concluded, frozen."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="screenings")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    assessed_on = models.DateField()
    verdict = models.CharField(max_length=32)
    rule_codes = models.JSONField(default=list)
    report = models.JSONField()  # ketamine-screening/1
    intake = models.JSONField()  # the exact ketamine-intake/1 document evaluated
    ruleset = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="screenings")
    ruleset_version = models.CharField(max_length=40)
    ruleset_sha256 = models.CharField(max_length=64)
    engine_version = models.CharField(max_length=20)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["patient", "-created_at"])]

    def __str__(self) -> str:
        return f"screening {self.pk} ({self.verdict})"


class SignOff(ImmutableRecord):
    screening = models.OneToOneField(Screening, on_delete=models.PROTECT, related_name="signoff")
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signer_name = models.CharField(max_length=200)
    signed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"sign-off of screening {self.screening_id}"


class FindingOverride(ImmutableRecord):
    """A clinician sets a finding aside before signing, with a reason. Contraindications need a co-signature."""

    screening = models.ForeignKey(Screening, on_delete=models.PROTECT, related_name="overrides")
    rule = models.CharField(max_length=40)
    severity = models.CharField(max_length=16)
    reason = models.TextField()
    overridden_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    overridden_by_name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    needs_cosign = models.BooleanField(default=False)
    cosigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cosigned_by_name = models.CharField(max_length=200, blank=True)
    cosigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["screening", "rule"], name="one_override_per_finding"),
            models.CheckConstraint(condition=~Q(reason=""), name="override_has_reason"),
            models.CheckConstraint(
                condition=Q(cosigned_by__isnull=True) | ~Q(cosigned_by=models.F("overridden_by")),
                name="cosigner_is_another_clinician",
            ),
        ]

    def __str__(self) -> str:
        return f"override of {self.rule} on screening {self.screening_id}"

    @property
    def in_force(self) -> bool:
        return not self.needs_cosign or self.cosigned_at is not None


class ReportPdf(models.Model):
    """The consult PDF of a screening, rendered by a Celery worker from the stored snapshot."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RENDERING = "rendering", "Rendering"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    screening = models.OneToOneField(Screening, on_delete=models.PROTECT, related_name="pdf")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    file = models.FileField(upload_to="reports/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    # the sign-off and overrides the file shows: a PDF made before signing is not the signed report
    review_state = models.CharField(max_length=64, blank=True)
    error = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"pdf of screening {self.screening_id} ({self.status})"


class ImpactPreview(models.Model):
    """How the verdicts of recent stored screenings would change under a draft rule set."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    ruleset = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="impact_previews")
    ruleset_sha256 = models.CharField(max_length=64)  # the draft content the preview was computed for
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    limit = models.PositiveIntegerField(default=500)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"impact of {self.ruleset_id} ({self.status})"

    @property
    def percent(self) -> int:
        return int(100 * self.processed / self.total) if self.total else (100 if self.status == "done" else 0)
