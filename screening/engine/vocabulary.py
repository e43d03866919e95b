"""The intake vocabulary the engine reads: every categorical answer, its allowed values, and the numbers a
rule may name. Pure data. The intake validation (screening/intake/), the patient record and the rule
validation all take their names and values from here, so a rule cannot name an answer that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

UNKNOWN = "unknown"
TRI = ("yes", "no", UNKNOWN)
SEX_AT_BIRTH = ("female", "male", "intersex", UNKNOWN)
PREGNANCY = ("not_pregnant", "pregnant", "breastfeeding", "not_applicable", UNKNOWN)
DIAGNOSIS_STATUS = ("active", "in_remission", "history")
DIAGNOSIS_SEVERITY = ("mild", "moderate", "severe", "unspecified")
SUICIDAL_IDEATION = ("none", "passive", "active", UNKNOWN)
SUBSTANCE_USE = ("none", "in_remission", "current", UNKNOWN)
HEPATIC = ("none", "mild", "moderate", "severe", UNKNOWN)

# The fields of the intake's `patient` object, in the order forms show them.
PATIENT_FIELDS = (
    "mrn",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex_at_birth",
    "weight_kg",
    "height_cm",
    "pregnancy",
)

# Each categorical section of the intake: answer name -> allowed values. Absent means "unknown".
SECTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "treatment_history": {"psychotherapy_current": TRI},
    "psychiatric": {
        "psychotic_symptoms_current": TRI,
        "psychosis_history": TRI,
        "mania_current": TRI,
        "suicidal_ideation": SUICIDAL_IDEATION,
        "suicidal_intent_or_plan": TRI,
        "substance_use_disorder": SUBSTANCE_USE,
    },
    "cardiovascular": dict.fromkeys(
        (
            "aneurysmal_vascular_disease",
            "arteriovenous_malformation",
            "intracerebral_hemorrhage_history",
            "recent_myocardial_infarction",
            "unstable_angina",
            "decompensated_heart_failure",
            "uncontrolled_arrhythmia",
            "stable_coronary_disease",
            "heart_failure_compensated",
            "valvular_disease",
            "stroke_history",
            "hypertensive_encephalopathy_history",
        ),
        TRI,
    ),
    "other_medical": {
        "ketamine_hypersensitivity": TRI,
        "raised_intracranial_pressure": TRI,
        "hepatic_impairment": HEPATIC,
        "glaucoma": TRI,
        "hyperthyroidism_uncontrolled": TRI,
        "porphyria": TRI,
        "interstitial_cystitis": TRI,
        "dementia_or_delirium": TRI,
        "severe_sleep_apnea": TRI,
    },
    "support": {"escort_available": TRI, "support_person": TRI},
}

# Every answer a rule may test (Facts.answer), with the values it can take.
ANSWERS: dict[str, tuple[str, ...]] = {
    "sex_at_birth": SEX_AT_BIRTH,
    "pregnancy": PREGNANCY,
    "medications_reconciled": ("yes", "no"),
    **{name: values for fields in SECTIONS.values() for name, values in fields.items()},
}

# The numbers a rule may compare or find missing.
NUMBER_FIELDS = ("failed_antidepressant_trials", "weight_kg", "height_cm")


@dataclass(frozen=True)
class Bound:
    """The plausible range of a number in the intake, written once: the document validation, the record's
    validators and database constraints, and the forms all read it (a parity test holds them together)."""

    low: int | float
    high: int | float
    unit: str = ""
    integer: bool = False
    low_exclusive: bool = False  # a dose must be above 0, not at it


NUMBERS: dict[str, Bound] = {
    "weight_kg": Bound(25, 350, "kg"),
    "height_cm": Bound(100, 250, "cm"),
    "failed_antidepressant_trials": Bound(0, 50, "trials", integer=True),
    "dose_mg": Bound(0, 100000, "mg", low_exclusive=True),
    "times_per_day": Bound(1, 12, "times a day", integer=True),
    "max_doses_per_day": Bound(1, 24, "doses a day", integer=True),
    "systolic": Bound(60, 300, "mmHg", integer=True),
    "diastolic": Bound(30, 200, "mmHg", integer=True),
    "heart_rate": Bound(20, 250, "bpm", integer=True),
}

# The longest text each field takes, and the medical record number's pattern.
TEXT_MAX = {"mrn": 32, "given_name": 100, "family_name": 100, "diagnosis_note": 500, "medication_name": 200}
MRN_PATTERN = r"^[A-Za-z0-9-]{1,32}$"

# How a rule names codes: a leading part of an ICD-10-CM code (F3, F33, F33.1, F431; the intake accepts
# either case and the dot, so a prefix may too), a leading part of an ATC code at one of its levels
# (N, N06, N06A, N06AX, N06AX27), and a formulary class (benzodiazepine). A prefix that does not match
# can never match a record, so a rule naming one is refused.
ICD10_PREFIX_PATTERN = r"^[A-Za-z](?:[0-9](?:[A-Za-z0-9](?:\.?[A-Za-z0-9]{1,4})?)?)?$"
ATC_PREFIX_PATTERN = r"^[A-Z](?:[0-9]{2}(?:[A-Z](?:[A-Z](?:[0-9]{2})?)?)?)?$"
CLASS_NAME_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
