"""The clinical record. Field names follow `ketamine-intake/1`, so export and import are one mapping."""

from django.conf import settings
from django.core.validators import BaseValidator, MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils.deconstruct import deconstructible
from simple_history.models import HistoricalRecords

from patients.validators import RANGE_TEXT, record_date_condition, record_date_validator
from screening.engine.measures import INSTRUMENTS as MEASURE_INSTRUMENTS
from screening.engine.measures import score as score_measure
from screening.engine.vocabulary import (
    DIAGNOSIS_SEVERITY,
    DIAGNOSIS_STATUS,
    HEPATIC,
    MRN_PATTERN,
    NUMBERS,
    PREGNANCY,
    SECTIONS,
    SEX_AT_BIRTH,
    SUBSTANCE_USE,
    SUICIDAL_IDEATION,
    TEXT_MAX,
    TRI,
)


def choices(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(v, v.replace("_", " ").capitalize()) for v in values]


TRI_CHOICES = choices(TRI)


def answer_field(values: tuple[str, ...] = TRI) -> models.CharField:
    # Every answer starts as unknown: nothing is ever defaulted to "no".
    return models.CharField(max_length=16, choices=choices(values), default="unknown")


mrn_validator = RegexValidator(MRN_PATTERN, "Use 1-32 letters, digits or '-'.")


@deconstructible
class AboveValueValidator(BaseValidator):
    """Ensure the value is greater than the limit (a dose of 0 mg is no dose)."""

    message = "Ensure this value is greater than %(limit_value)s."
    code = "min_value"

    def compare(self, a, b):
        return a <= b


def range_validators(name: str) -> list:
    """The field table's bound of a number as model validators (engine/vocabulary.NUMBERS)."""
    bound = NUMBERS[name]
    low = AboveValueValidator(bound.low) if bound.low_exclusive else MinValueValidator(bound.low)
    return [low, MaxValueValidator(bound.high)]


def within(name: str, column: str | None = None, nullable: bool = True) -> Q:
    """The field table's bound of a number as a database check condition."""
    bound, column = NUMBERS[name], column or name
    low = {f"{column}__gt": bound.low} if bound.low_exclusive else {f"{column}__gte": bound.low}
    condition = Q(**low, **{f"{column}__lte": bound.high})
    return Q(**{f"{column}__isnull": True}) | condition if nullable else condition


def dates_in_range(prefix: str, **columns: bool) -> list[models.CheckConstraint]:
    """Each date (False) or date-and-time (True) column within the record's range (patients/validators),
    named "<prefix>_<column>_range"."""
    return [
        models.CheckConstraint(
            condition=record_date_condition(
                column, with_time=with_time, nullable=column == "medications_reconciled_at"
            ),
            name=f"{prefix}_{column}_range",
            violation_error_message=f"Enter a date from {RANGE_TEXT}.",
        )
        for column, with_time in columns.items()
    ]


class Patient(models.Model):
    mrn = models.CharField("MRN", max_length=TEXT_MAX["mrn"], unique=True, validators=[mrn_validator])
    given_name = models.CharField(max_length=TEXT_MAX["given_name"])
    family_name = models.CharField(max_length=TEXT_MAX["family_name"])
    date_of_birth = models.DateField(validators=[record_date_validator])
    sex_at_birth = answer_field(SEX_AT_BIRTH)
    weight_kg = models.DecimalField(
        "Weight (kg)",
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=range_validators("weight_kg"),
    )
    height_cm = models.DecimalField(
        "Height (cm)",
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=range_validators("height_cm"),
    )
    pregnancy = answer_field(PREGNANCY)

    # treatment history
    failed_antidepressant_trials = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=range_validators("failed_antidepressant_trials"),
        help_text="Adequate antidepressant trials without response. Leave empty if unknown.",
    )
    psychotherapy_current = answer_field()

    # psychiatric
    psychotic_symptoms_current = answer_field()
    psychosis_history = answer_field()
    mania_current = answer_field()
    suicidal_ideation = answer_field(SUICIDAL_IDEATION)
    suicidal_intent_or_plan = answer_field()
    substance_use_disorder = answer_field(SUBSTANCE_USE)

    # cardiovascular
    aneurysmal_vascular_disease = answer_field()
    arteriovenous_malformation = answer_field()
    intracerebral_hemorrhage_history = answer_field()
    recent_myocardial_infarction = answer_field()
    unstable_angina = answer_field()
    decompensated_heart_failure = answer_field()
    uncontrolled_arrhythmia = answer_field()
    stable_coronary_disease = answer_field()
    heart_failure_compensated = answer_field()
    valvular_disease = answer_field()
    stroke_history = answer_field()
    hypertensive_encephalopathy_history = answer_field()

    # other medical
    ketamine_hypersensitivity = answer_field()
    raised_intracranial_pressure = answer_field()
    hepatic_impairment = answer_field(HEPATIC)
    glaucoma = answer_field()
    hyperthyroidism_uncontrolled = answer_field()
    porphyria = answer_field()
    interstitial_cystitis = answer_field()
    dementia_or_delirium = answer_field()
    severe_sleep_apnea = answer_field()

    # support
    escort_available = answer_field()
    support_person = answer_field()

    # medication reconciliation: who attested the list is complete, and when
    medications_reconciled = models.BooleanField(default=False)
    medications_reconciled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    medications_reconciled_at = models.DateTimeField(
        null=True, blank=True, validators=[record_date_validator]
    )

    # optimistic concurrency: one counter per independently edited section
    row_versions = models.JSONField(default=dict, blank=True, editable=False)
    # Raised by the database (triggers, migration 0013) on every change to this row or to a diagnosis,
    # medication, reading or measure of the patient, whoever writes it: a screening that stored the same
    # number read the record as it is now (screening.currency reads no record for it). Never set by code.
    record_version = models.BigIntegerField(default=0, editable=False)

    created_at = models.DateTimeField(auto_now_add=True, validators=[record_date_validator])
    updated_at = models.DateTimeField(auto_now=True, validators=[record_date_validator])
    history = HistoricalRecords(excluded_fields=["row_versions", "record_version", "updated_at"])

    class Meta:
        ordering = ["family_name", "given_name", "mrn"]
        # newest first: the home page's "never screened" list
        indexes = [
            models.Index(fields=["family_name", "given_name"]),
            models.Index(fields=["-created_at"], name="patient_newest"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=within("weight_kg"),
                name="patient_weight_range",
            ),
            models.CheckConstraint(
                condition=within("height_cm"),
                name="patient_height_range",
            ),
            models.CheckConstraint(condition=Q(mrn__regex=MRN_PATTERN), name="patient_mrn_format"),
            *dates_in_range(
                "patient",
                date_of_birth=False,
                medications_reconciled_at=True,
                created_at=True,
                updated_at=True,
            ),
            # "KT-0001" and "kt-0001" are the same record number
            models.UniqueConstraint(
                Lower("mrn"),
                name="patient_mrn_unique_ignoring_case",
                violation_error_message="A patient with this MRN already exists.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.mrn})"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def section_version(self, section: str) -> int:
        return int(self.row_versions.get(section, 0))


# Sections of the patient page whose answers are plain fields on Patient.
ANSWER_SECTIONS: dict[str, tuple[str, ...]] = {
    "treatment_history": ("failed_antidepressant_trials", "psychotherapy_current"),
    **{name: tuple(fields) for name, fields in SECTIONS.items() if name != "treatment_history"},
}


class Diagnosis(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="diagnoses")
    icd10 = models.CharField("ICD-10-CM", max_length=8)
    description = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=16, choices=choices(DIAGNOSIS_STATUS), default="active")
    severity = models.CharField(max_length=16, choices=choices(DIAGNOSIS_SEVERITY), default="unspecified")
    note = models.CharField(max_length=TEXT_MAX["diagnosis_note"], blank=True)
    created_at = models.DateTimeField(auto_now_add=True, validators=[record_date_validator])
    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name_plural = "diagnoses"
        constraints = [
            models.UniqueConstraint(fields=["patient", "icd10"], name="unique_diagnosis_per_patient"),
            *dates_in_range("diagnosis", created_at=True),
        ]

    def __str__(self) -> str:
        return self.icd10


class MedicationEntry(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="medications")
    name = models.CharField("Medication (as typed)", max_length=TEXT_MAX["medication_name"])
    formulary_entry = models.ForeignKey(
        "formulary.FormularyEntry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dose_mg = models.DecimalField(
        "Dose (mg)",
        max_digits=9,
        decimal_places=3,
        null=True,
        blank=True,
        validators=range_validators("dose_mg"),
    )
    times_per_day = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=range_validators("times_per_day")
    )
    as_needed = models.BooleanField(default=False)
    max_doses_per_day = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=range_validators("max_doses_per_day")
    )
    created_at = models.DateTimeField(auto_now_add=True, validators=[record_date_validator])
    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name_plural = "medication entries"
        constraints = [
            models.CheckConstraint(condition=within("dose_mg"), name="medication_dose_range"),
            models.CheckConstraint(
                condition=within("times_per_day"),
                name="medication_times_per_day_range",
            ),
            models.CheckConstraint(
                condition=within("max_doses_per_day"),
                name="medication_max_doses_range",
            ),
            *dates_in_range("medication", created_at=True),
        ]

    def __str__(self) -> str:
        return self.name


class BloodPressureReading(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="bp_readings")
    taken_at = models.DateTimeField(validators=[record_date_validator])
    systolic = models.PositiveSmallIntegerField(validators=range_validators("systolic"))
    diastolic = models.PositiveSmallIntegerField(validators=range_validators("diastolic"))
    heart_rate = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=range_validators("heart_rate")
    )
    created_at = models.DateTimeField(auto_now_add=True, validators=[record_date_validator])
    history = HistoricalRecords()

    class Meta:
        ordering = ["-taken_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=within("systolic", nullable=False), name="bp_systolic_range"),
            models.CheckConstraint(condition=within("diastolic", nullable=False), name="bp_diastolic_range"),
            models.CheckConstraint(
                condition=Q(systolic__gt=F("diastolic")), name="bp_systolic_above_diastolic"
            ),
            models.CheckConstraint(
                condition=within("heart_rate"),
                name="bp_heart_rate_range",
            ),
            *dates_in_range("bp", taken_at=True, created_at=True),
        ]

    def __str__(self) -> str:
        return f"{self.systolic}/{self.diastolic}"


class Measure(models.Model):
    """One administration of a rating measure (PHQ-9, GAD-7, C-SSRS screener; issue 18): its date, who
    entered it and its answers. The total, band and risk level are never stored: they are computed from
    the answers (screening/engine/measures.py), so they cannot disagree with them."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="measures")
    instrument = models.CharField(
        max_length=16, choices=[(key, m.name) for key, m in MEASURE_INSTRUMENTS.items()]
    )
    administered_on = models.DateField(validators=[record_date_validator])
    answers = models.JSONField()
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, validators=[record_date_validator])
    history = HistoricalRecords()

    class Meta:
        ordering = ["administered_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(instrument__in=list(MEASURE_INSTRUMENTS)), name="measure_instrument_known"
            ),
            *dates_in_range("measure", administered_on=False, created_at=True),
        ]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} {self.administered_on}"

    @property
    def score(self):
        return score_measure(self.instrument, self.answers)
