"""The database itself refuses impossible rows, whatever code writes them (forms only add the message)."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from .factories import BloodPressureReadingFactory, DiagnosisFactory, MedicationEntryFactory, PatientFactory

pytestmark = pytest.mark.django_db

IMPOSSIBLE = [
    (BloodPressureReadingFactory, {"systolic": 400}),
    (BloodPressureReadingFactory, {"systolic": 59, "diastolic": 40}),
    (BloodPressureReadingFactory, {"diastolic": 201, "systolic": 250}),
    (BloodPressureReadingFactory, {"diastolic": 29}),
    (BloodPressureReadingFactory, {"systolic": 120, "diastolic": 130}),
    (BloodPressureReadingFactory, {"systolic": 120, "diastolic": 120}),
    (BloodPressureReadingFactory, {"heart_rate": 10}),
    (BloodPressureReadingFactory, {"heart_rate": 251}),
    (PatientFactory, {"weight_kg": Decimal("5")}),
    (PatientFactory, {"weight_kg": Decimal("350.1")}),
    (PatientFactory, {"height_cm": Decimal("99.9")}),
    (PatientFactory, {"mrn": "KT 0001"}),
    (MedicationEntryFactory, {"dose_mg": Decimal("0")}),
    (MedicationEntryFactory, {"times_per_day": 13}),
    (MedicationEntryFactory, {"max_doses_per_day": 25}),
]
BOUNDARIES = [
    (BloodPressureReadingFactory, {"systolic": 300, "diastolic": 200, "heart_rate": 250}),
    (BloodPressureReadingFactory, {"systolic": 60, "diastolic": 30, "heart_rate": 20}),
    (BloodPressureReadingFactory, {"heart_rate": None}),
    (PatientFactory, {"weight_kg": Decimal("25"), "height_cm": Decimal("100")}),
    (PatientFactory, {"weight_kg": Decimal("350"), "height_cm": Decimal("250")}),
    (PatientFactory, {"weight_kg": None, "height_cm": None}),
    (MedicationEntryFactory, {"dose_mg": Decimal("0.001"), "times_per_day": 12, "max_doses_per_day": 24}),
    (MedicationEntryFactory, {"dose_mg": None, "times_per_day": None}),
]


def ids(table):
    return [f"{factory._meta.model.__name__}-{values}" for factory, values in table]


@pytest.mark.parametrize(("factory", "values"), IMPOSSIBLE, ids=ids(IMPOSSIBLE))
def test_impossible_row_is_refused_by_the_database(factory, values):
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**values)


@pytest.mark.parametrize(("factory", "values"), BOUNDARIES, ids=ids(BOUNDARIES))
def test_rows_at_the_boundaries_are_stored(factory, values):
    row = factory(**values)
    assert type(row).objects.filter(pk=row.pk).exists()


def test_duplicate_mrn_is_refused_by_the_database():
    PatientFactory(mrn="KT-0001")
    with pytest.raises(IntegrityError), transaction.atomic():
        PatientFactory(mrn="KT-0001")


def test_duplicate_diagnosis_code_for_one_patient_is_refused_by_the_database(patient):
    DiagnosisFactory(patient=patient, icd10="F33.2")
    with pytest.raises(IntegrityError), transaction.atomic():
        DiagnosisFactory(patient=patient, icd10="F33.2")
