"""The patient record in one query (core.nested_read, patients.selectors.RECORD): the same instances, values
and order as the ORM's five-query read, on SQLite and PostgreSQL alike."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import Prefetch
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.nested_read import _array
from formulary.models import FormularyEntry
from patients.models import BloodPressureReading, Measure, MedicationEntry, Patient
from patients.selectors import patient_record, patient_records

from .factories import BloodPressureReadingFactory, DiagnosisFactory, MedicationEntryFactory, PatientFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("defaults")]

LISTS = ("diagnoses", "medications", "bp_readings", "measures")


def orm_record(pk: int) -> Patient:
    """The ORM's read the one-query read replaced: the reference it must agree with."""
    return (
        Patient.objects.select_related("medications_reconciled_by")
        .prefetch_related(
            "diagnoses",
            Prefetch("medications", queryset=MedicationEntry.objects.select_related("formulary_entry")),
            Prefetch("bp_readings", queryset=BloodPressureReading.objects.order_by("-taken_at", "-pk")),
            "measures",
        )
        .get(pk=pk)
    )


def values(instance) -> dict:
    """Every column's value with its type and, for a decimal, its written form (70.0 is not 70)."""
    return {
        f.attname: (type(getattr(instance, f.attname)), str(getattr(instance, f.attname)))
        for f in instance._meta.concrete_fields
    }


@pytest.fixture
def record(django_user_model):
    user = django_user_model.objects.create_user(
        "reconciler", password="a-long-test-password-1", first_name="Rhea", last_name="Okafor"
    )
    patient = PatientFactory(
        given_name='Zoë "Jo" \\ O\'Neil',
        family_name="Łukasz\nSmith 🙂",
        weight_kg=Decimal("70.0"),
        height_cm=None,
        medications_reconciled=True,
        medications_reconciled_by=user,
        medications_reconciled_at=timezone.now().replace(microsecond=123456),
    )
    DiagnosisFactory(patient=patient, icd10="F33.2")
    DiagnosisFactory(patient=patient, icd10="F41.1", status="resolved", severity="unknown")
    entry = FormularyEntry.objects.get(generic="sertraline")
    MedicationEntryFactory(patient=patient, name="Zoloft", formulary_entry=entry, dose_mg=Decimal("0.125"))
    MedicationEntryFactory(
        patient=patient, name="Zzyzxol", formulary_entry=None, dose_mg=None, times_per_day=None
    )
    MedicationEntryFactory(
        patient=patient, name="prn", as_needed=True, max_doses_per_day=3, dose_mg=Decimal("10")
    )
    same_time = timezone.now() - timedelta(hours=2)
    BloodPressureReadingFactory(patient=patient, taken_at=same_time, systolic=150)
    BloodPressureReadingFactory(
        patient=patient, taken_at=same_time, systolic=151
    )  # a tie: the later id first
    BloodPressureReadingFactory(patient=patient, taken_at=timezone.now() - timedelta(days=3), heart_rate=None)
    Measure.objects.create(
        patient=patient,
        instrument="gad7",
        administered_on=timezone.localdate(),
        answers=[1, 2, 3, 0, 1, 2, 3],
    )
    Measure.objects.create(
        patient=patient,
        instrument="phq9",
        administered_on=timezone.localdate() - timedelta(days=9),
        answers=[0] * 9,
    )
    return patient


def test_the_record_is_the_orm_read_in_one_query(record):
    with CaptureQueriesContext(connection) as queries:
        patient = patient_record(record.pk)
        with CaptureQueriesContext(connection) as after:
            lists = {name: list(getattr(patient, name).all()) for name in LISTS}
            entries = [
                (m.formulary_entry.generic, m.formulary_entry.atc)
                for m in lists["medications"]
                if m.formulary_entry
            ]
            names = (
                patient.medications_reconciled_by.username,
                patient.medications_reconciled_by.get_full_name(),
            )
            parents = {item.patient is patient for items in lists.values() for item in items}
    assert len(queries) == 1
    assert len(after) == 0, [q["sql"] for q in after]
    assert names == ("reconciler", "Rhea Okafor")
    assert parents == {True}
    reference = orm_record(record.pk)
    assert values(patient) == values(reference)
    for name in LISTS:
        expected = list(getattr(reference, name).all())
        assert [item.pk for item in lists[name]] == [item.pk for item in expected], name
        assert [values(item) for item in lists[name]] == [values(item) for item in expected], name
    assert entries == [
        (m.formulary_entry.generic, m.formulary_entry.atc)
        for m in reference.medications.all()
        if m.formulary_entry
    ]
    assert entries and entries[0][1]  # the ATC codes came through as their list


def test_what_is_not_shown_is_not_read(record):
    patient = patient_record(record.pk)
    # the reconciling user's password hash and the formulary entry's other columns stay in the database
    assert "password" in patient.medications_reconciled_by.get_deferred_fields()
    entry = next(m.formulary_entry for m in patient.medications.all() if m.formulary_entry)
    assert "brands" in entry.get_deferred_fields()


def test_a_record_with_empty_lists_and_no_reconciler():
    patient = PatientFactory(weight_kg=None, medications_reconciled_by=None)
    with CaptureQueriesContext(connection) as queries:
        read = patient_record(patient.pk)
        assert [list(getattr(read, name).all()) for name in LISTS] == [[], [], [], []]
        assert read.medications_reconciled_by is None
        assert read.weight_kg is None
    assert len(queries) == 1
    assert values(read) == values(orm_record(patient.pk))


def test_several_records_and_a_missing_one(record):
    other = PatientFactory()
    MedicationEntryFactory(patient=other, name="lithium")
    with CaptureQueriesContext(connection) as queries:
        records = patient_records([record.pk, other.pk, 987654321])
    assert len(queries) == 1
    assert sorted(records) == sorted([record.pk, other.pk])
    assert [m.name for m in records[other.pk].medications.all()] == ["lithium"]
    assert [m.name for m in records[record.pk].medications.all()] == ["Zoloft", "Zzyzxol", "prn"]
    with CaptureQueriesContext(connection) as none:
        assert patient_records([]) == {}
    assert len(none) == 0
    with pytest.raises(Patient.DoesNotExist):
        patient_record(987654321)


def test_forty_medications_are_still_one_query():
    patient = PatientFactory()
    for i in range(40):
        MedicationEntryFactory(patient=patient, name=f"med {i}", dose_mg=Decimal(i + 1) / 8)
    with CaptureQueriesContext(connection) as queries:
        read = patient_record(patient.pk)
    assert len(queries) == 1
    assert [values(m) for m in read.medications.all()] == [
        values(m) for m in orm_record(patient.pk).medications.all()
    ]


def test_a_row_holds_at_most_what_the_database_can_build():
    _array(["1"] * 100)
    with pytest.raises(ImproperlyConfigured):
        _array(["1"] * 101)


def test_the_screened_intake_is_the_same_from_either_read(record):
    """What the screening hashes and evaluates is built from this read: the same document as from the ORM's."""
    from patients.selectors import intake_document

    day = timezone.localdate()
    assert intake_document(patient_record(record.pk), day) == intake_document(orm_record(record.pk), day)
