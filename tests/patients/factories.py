"""factory_boy factories for the clinical record. Every answer is left at its model default (unknown)."""

from datetime import date, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from patients.models import BloodPressureReading, Diagnosis, MedicationEntry, Patient


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    mrn = factory.Sequence(lambda n: f"FACTORY-{n:05d}")  # never one of the KT- numbers tests spell out
    given_name = "Ana"
    family_name = factory.Sequence(lambda n: f"Family{n:03d}")
    date_of_birth = date(1984, 3, 2)
    sex_at_birth = "female"
    weight_kg = Decimal("68.0")
    height_cm = Decimal("165.0")
    pregnancy = "not_pregnant"


class DiagnosisFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Diagnosis

    patient = factory.SubFactory(PatientFactory)
    icd10 = "F33.2"
    description = "Major depressive disorder, recurrent severe without psychotic features"
    status = "active"
    severity = "severe"


class MedicationEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MedicationEntry

    patient = factory.SubFactory(PatientFactory)
    name = "sertraline"
    dose_mg = Decimal("100")
    times_per_day = 1
    as_needed = False


class BloodPressureReadingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BloodPressureReading

    patient = factory.SubFactory(PatientFactory)
    taken_at = factory.Sequence(lambda n: timezone.now() - timedelta(hours=1, minutes=n))
    systolic = 126
    diastolic = 80
    heart_rate = 70
