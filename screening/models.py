from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from rules.models import RuleSet


class ImmutableQuerySet(models.QuerySet):
    """Bulk writes refused as `save()` and `delete()` are (on PostgreSQL a trigger refuses them too)."""

    def update(self, **kwargs):
        raise ValidationError(f"{self.model.__name__} records are immutable once stored.")

    def delete(self):
        raise ValidationError(f"{self.model.__name__} records are never deleted.")


class ImmutableRecord(models.Model):
    """A row that is written once: saving an existing row, or deleting one, is refused, here and (on
    PostgreSQL) by a trigger (migration screening 0018). There is no way around it in the code: a later
    act is a row of its own (a co-signature is an OverrideCosignature, not an edit of the override)."""

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(f"{type(self).__name__} records are immutable once stored.")
        # an insert, always: a new instance given a stored row's pk never turns into an update of that row
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(f"{type(self).__name__} records are never deleted.")


class Screening(ImmutableRecord):
    """One run of the engine for one patient: the facts it used and everything it concluded, frozen."""

    # indexed by screening_patient_newest (Meta), which leads with it: a second index on the patient alone
    # let the planner pick it and sort all of a patient's screenings for the latest ten (migration 0024)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="screenings", db_index=False
    )
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
    # sha256 of the intake snapshot without its assessment date (screening.intake.intake_sha256): the
    # screening is current while the patient's record still gives the same one
    intake_sha256 = models.CharField(max_length=64, blank=True)
    # the patient's record_version when the record was read (read before its lists, so never newer than
    # what was screened): equal to the patient's now, the record is unchanged; null: before record versions
    record_version = models.BigIntegerField(null=True, blank=True)
    # how the record was read, validated and hashed (screening.record_reader): with another, an equal
    # record version does not vouch for the record; blank: before record versions
    record_reader = models.CharField(max_length=16, blank=True)
    # the formulary version (and its sha256) that resolved the medication names; null: before versions
    formulary_version = models.PositiveIntegerField(null=True, blank=True)
    formulary_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        # the patient's history; the clinic's recent screenings, newest first (the home page's worklists)
        indexes = [
            # the patient's screenings newest first, ties by id, as every read orders them: with the id in
            # the index a patient's latest ten are a short walk, never a sort of all their screenings nor a
            # walk of the clinic's recent ones filtered by patient (migration 0022)
            models.Index(fields=["patient", "-created_at", "-id"], name="screening_patient_newest"),
            models.Index(fields=["-created_at", "-id"], name="screening_recent"),
        ]

    def __str__(self) -> str:
        return f"screening {self.pk} ({self.verdict})"

    @classmethod
    def load_documents(cls, screenings, field: str) -> None:
        """Read `field` ("intake" or "report") of the screenings read without it (screening.selectors.
        without_documents), in one query for all: a later read of it then queries nothing."""
        missing = [s for s in screenings if field in s.get_deferred_fields()]
        if missing:
            values = dict(cls.objects.filter(pk__in=[s.pk for s in missing]).values_list("pk", field))
            for screening in missing:
                setattr(screening, field, values[screening.pk])


class SignOff(ImmutableRecord):
    """A physician's decision on a screening, recorded once: cleared (proceed with the infusion series under
    this screening) or not cleared. A later screening supersedes it; nothing edits it."""

    class Decision(models.TextChoices):
        CLEARED = "cleared", "Cleared to proceed"
        NOT_CLEARED = "not_cleared", "Not cleared"
        # sign-offs recorded before decisions existed: read as not cleared (fail closed)
        NONE = "", "Signed before decisions were recorded (not a clearance)"

    screening = models.OneToOneField(Screening, on_delete=models.PROTECT, related_name="signoff")
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signer_name = models.CharField(max_length=200)
    signed_at = models.DateTimeField(auto_now_add=True)
    decision = models.CharField(max_length=12, choices=Decision.choices, blank=True, default="")
    note = models.TextField(blank=True)
    effective_verdict = models.CharField(max_length=32, blank=True)  # at the time of the decision
    acknowledged = models.JSONField(default=list, blank=True)  # the precaution findings a clearance accepts
    # the consult checklist items (their positions in the report's checklist) the physician ticked as done
    checklist = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(decision__in=["", "cleared", "not_cleared"]), name="signoff_decision_known"
            ),
            models.CheckConstraint(
                condition=~Q(decision="cleared")
                | Q(effective_verdict__in=["eligible", "eligible_with_precautions"]),
                name="cleared_only_when_eligible",
            ),
        ]

    def __str__(self) -> str:
        return f"sign-off of screening {self.screening_id}"


class FindingOverride(ImmutableRecord):
    """A physician sets a finding aside before signing, with a reason (coded, written, or both), as the
    rule's override setting allows; a `cosign` setting is in force only once a second physician co-signs."""

    screening = models.ForeignKey(Screening, on_delete=models.PROTECT, related_name="overrides")
    rule = models.CharField(max_length=40)
    severity = models.CharField(max_length=16)
    reason = models.TextField()
    reason_code = models.CharField(max_length=40, blank=True)  # one of the rule's override_reasons, if chosen
    # the rule's setting when the physician recorded it: reason | cosign. Blank: recorded before overrides
    # were a physician's act under each rule's setting, so it is shown but never in force.
    policy = models.CharField(max_length=8, blank=True, default="")
    overridden_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    overridden_by_name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    needs_cosign = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["screening", "rule"], name="one_override_per_finding"),
            models.CheckConstraint(condition=~Q(reason=""), name="override_has_reason"),
        ]

    def __str__(self) -> str:
        return f"override of {self.rule} on screening {self.screening_id}"

    # The co-signature is a row of its own (OverrideCosignature); these read it, for the pages, the PDF and
    # the API. Lists load it with select_related("cosignature"), so reading them costs no query.
    @property
    def cosigned(self) -> OverrideCosignature | None:
        try:
            return self.cosignature
        except OverrideCosignature.DoesNotExist:
            return None

    @property
    def cosigned_at(self):
        return None if self.cosigned is None else self.cosigned.cosigned_at

    @property
    def cosigned_by(self):
        return None if self.cosigned is None else self.cosigned.cosigned_by

    @property
    def cosigned_by_name(self) -> str:
        return "" if self.cosigned is None else self.cosigned.cosigned_by_name

    @property
    def legacy(self) -> bool:
        return self.policy == ""

    @property
    def in_force(self) -> bool:
        """Recorded under a rule's setting, and co-signed when that setting asks for it. (Which findings
        a setting lets a physician set aside is checked again when the verdict is computed.)"""
        if self.legacy:
            return False
        return self.policy == "reason" or self.cosigned_at is not None


class OverrideCosignature(ImmutableRecord):
    """A second physician's co-signature of an override whose rule asks for one: the override is in force
    from then on. Written once, beside the override (never an edit of it); by someone other than the
    physician who overrode (refused by the service, by save() and, on PostgreSQL, by a trigger)."""

    override = models.OneToOneField(FindingOverride, on_delete=models.PROTECT, related_name="cosignature")
    cosigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    cosigned_by_name = models.CharField(max_length=200)
    cosigned_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"co-signature of override {self.override_id}"

    def save(self, *args, **kwargs):
        if self.cosigned_by_id is not None and self.cosigned_by_id == self.override.overridden_by_id:
            raise ValidationError("A co-signature must come from a second, different physician.")
        super().save(*args, **kwargs)


class OverrideSuggestion(ImmutableRecord):
    """A clinician's note that a finding might be set aside: for the physician to weigh; never in force."""

    screening = models.ForeignKey(Screening, on_delete=models.PROTECT, related_name="suggestions")
    rule = models.CharField(max_length=40)
    note = models.TextField()
    suggested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    suggested_by_name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [models.CheckConstraint(condition=~Q(note=""), name="suggestion_has_note")]

    def __str__(self) -> str:
        return f"suggestion on {self.rule} of screening {self.screening_id}"


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
    """How the verdicts of recent stored screenings would change under a draft rule set: counts and screening
    ids only, never who the screenings are of (screening.impact)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    ruleset = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="impact_previews")
    ruleset_sha256 = models.CharField(max_length=64)  # the draft content the preview was computed for
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    limit = models.PositiveIntegerField(default=500)  # the most recent screenings (within the dates, if any)
    date_from = models.DateField(null=True, blank=True)  # the screenings' assessed_on, inclusive
    date_to = models.DateField(null=True, blank=True)
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

    @property
    def scope(self) -> dict:
        """Kind "last": the `limit` most recent screenings; kind "range": those assessed within the dates."""
        if self.date_from is None and self.date_to is None:
            return {"kind": "last", "limit": self.limit}
        return {
            "kind": "range",
            "limit": self.limit,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
        }

    @property
    def scope_description(self) -> str:
        latest = f"the {self.limit} most recent screening{'s' if self.limit != 1 else ''}"
        if self.date_from and self.date_to:
            return f"{latest} assessed from {self.date_from.isoformat()} to {self.date_to.isoformat()}"
        if self.date_from:
            return f"{latest} assessed on or after {self.date_from.isoformat()}"
        if self.date_to:
            return f"{latest} assessed on or before {self.date_to.isoformat()}"
        return latest
