"""One infusion of a patient's series and its day-of check (issue 18). The vitals, weight, measures and
checklist of the day live here, never in the patient's intake, so recording them does not supersede the
screening that cleared the patient. A record is written step by step (check, authorization, monitoring,
discharge) and is immutable once signed: the model refuses, and on PostgreSQL a trigger refuses too."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from patients.models import range_validators, within

RASS_MIN, RASS_MAX = -5, 4
DISSOCIATION_MAX = {"rating": 10, "cadss": 92}  # a 0-10 clinician rating; CADSS: 23 items scored 0-4


class InfusionSigned(ValueError):
    """A signed infusion record was about to change."""


def _bp(prefix: str, label: str):
    return {
        f"{prefix}_systolic": models.PositiveSmallIntegerField(
            f"{label} systolic", null=True, blank=True, validators=range_validators("systolic")
        ),
        f"{prefix}_diastolic": models.PositiveSmallIntegerField(
            f"{label} diastolic", null=True, blank=True, validators=range_validators("diastolic")
        ),
        f"{prefix}_heart_rate": models.PositiveSmallIntegerField(
            f"{label} heart rate", null=True, blank=True, validators=range_validators("heart_rate")
        ),
    }


def _bp_checks(prefix: str) -> list[models.CheckConstraint]:
    s, d, hr = f"{prefix}_systolic", f"{prefix}_diastolic", f"{prefix}_heart_rate"
    return [
        models.CheckConstraint(condition=within("systolic", s), name=f"infusion_{prefix}_systolic_range"),
        models.CheckConstraint(condition=within("diastolic", d), name=f"infusion_{prefix}_diastolic_range"),
        models.CheckConstraint(condition=within("heart_rate", hr), name=f"infusion_{prefix}_hr_range"),
        models.CheckConstraint(
            condition=Q(**{f"{s}__isnull": True, f"{d}__isnull": True})
            | Q(**{f"{s}__isnull": False, f"{d}__isnull": False, f"{s}__gt": F(d)}),
            name=f"infusion_{prefix}_pair",
        ),
    ]


class Infusion(models.Model):
    class Outcome(models.TextChoices):
        GIVEN = "given", "Given"
        HELD = "held", "Held"

    class Scale(models.TextChoices):
        RATING = "rating", "Clinician rating (0-10)"
        CADSS = "cadss", "CADSS (0-92)"

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="infusions")
    screening = models.ForeignKey("screening.Screening", on_delete=models.PROTECT, related_name="infusions")
    infusion_on = models.DateField("Infusion day")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    # before dosing
    weight_kg = models.DecimalField(
        "Weight today (kg)",
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=range_validators("weight_kg"),
    )
    locals().update(_bp("pre", "Before dosing"))
    locals().update(_bp("pre2", "Before dosing, second reading"))
    checklist = models.JSONField(default=dict, blank=True)  # day-of item key -> "yes" | "no"
    measures = models.JSONField(default=list, blank=True)  # [{instrument, administered_on, answers}]
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)

    # the physician's authorization of the dose
    authorized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    authorized_at = models.DateTimeField(null=True, blank=True)
    authorized_dose_mg = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    go_reason = models.TextField(blank=True)  # required when the decision needed the physician's go
    decision = models.JSONField(default=dict, blank=True)  # the decision as authorized or held (its words)

    # during and after
    dose_given_mg = models.DecimalField(
        "Dose given (mg)", max_digits=6, decimal_places=1, null=True, blank=True
    )
    started_at = models.DateTimeField("Infusion started", null=True, blank=True)
    locals().update(_bp("at40", "About 40 minutes"))
    rass = models.SmallIntegerField(
        "Sedation (RASS)",
        null=True,
        blank=True,
        validators=[MinValueValidator(RASS_MIN), MaxValueValidator(RASS_MAX)],
    )
    dissociation_scale = models.CharField(max_length=8, choices=Scale.choices, blank=True)
    dissociation = models.PositiveSmallIntegerField("Dissociation", null=True, blank=True)
    adverse_events = models.TextField(blank=True)
    locals().update(_bp("discharge", "At discharge"))
    discharged_at = models.DateTimeField(null=True, blank=True)
    escort_name = models.CharField("Escort's name", max_length=200, blank=True)

    # the signature that closes the record
    outcome = models.CharField(max_length=8, choices=Outcome.choices, blank=True)
    hold_reason = models.TextField(blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signer_name = models.CharField(max_length=200, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-infusion_on", "-pk"]
        indexes = [models.Index(fields=["patient", "-infusion_on"], name="infusion_patient_day")]
        constraints = [
            models.CheckConstraint(condition=within("weight_kg"), name="infusion_weight_range"),
            *_bp_checks("pre"),
            *_bp_checks("pre2"),
            *_bp_checks("at40"),
            *_bp_checks("discharge"),
            models.CheckConstraint(
                condition=Q(rass__isnull=True) | Q(rass__gte=RASS_MIN, rass__lte=RASS_MAX),
                name="infusion_rass_range",
            ),
            models.CheckConstraint(
                condition=Q(dissociation__isnull=True)
                | Q(dissociation_scale="rating", dissociation__lte=DISSOCIATION_MAX["rating"])
                | Q(dissociation_scale="cadss", dissociation__lte=DISSOCIATION_MAX["cadss"]),
                name="infusion_dissociation_range",
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=["", "given", "held"]), name="infusion_outcome_known"
            ),
            models.CheckConstraint(
                condition=Q(signed_at__isnull=True) | ~Q(outcome=""), name="infusion_signed_with_outcome"
            ),
            models.CheckConstraint(
                condition=~Q(outcome="given") | Q(dose_given_mg__isnull=False, authorized_at__isnull=False),
                name="infusion_given_was_authorized",
            ),
        ]

    def __str__(self) -> str:
        return f"infusion {self.pk} on {self.infusion_on}"

    def save(self, *args, **kwargs):
        if self.pk is not None and Infusion.objects.filter(pk=self.pk, signed_at__isnull=False).exists():
            raise InfusionSigned(f"infusion {self.pk} is signed; nothing on it changes")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise InfusionSigned("infusion records are never deleted")

    @property
    def stage(self) -> str:
        """Where the record stands: check (before dosing), authorized, given, discharged, signed."""
        if self.signed_at:
            return "signed"
        if self.discharged_at:
            return "discharged"
        if self.dose_given_mg is not None:
            return "given"
        if self.authorized_at:
            return "authorized"
        return "check"

    def readings(self, prefix: str) -> tuple[int | None, int | None, int | None]:
        return tuple(getattr(self, f"{prefix}_{k}") for k in ("systolic", "diastolic", "heart_rate"))


class InfusionSheetPdf(models.Model):
    """The printable day-of sheet of an infusion, rendered by a Celery worker (infusions.sheet). A sheet shows
    the record as it stood when it was rendered (`fingerprint`: the hash of everything it shows); once the
    record changes, a new request renders a new row and the old file stays what was printed then."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RENDERING = "rendering", "Rendering"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    infusion = models.ForeignKey(Infusion, on_delete=models.PROTECT, related_name="sheets")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    file = models.FileField(upload_to="infusion-sheets/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True)
    error = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "rendering", "ready", "failed"]), name="sheet_status_known"
            ),
        ]

    def __str__(self) -> str:
        return f"day-of sheet {self.pk} of infusion {self.infusion_id} ({self.status})"
