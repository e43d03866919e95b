"""The record's version (issue 16): the database raises it on every change to a patient's row or to one of
its diagnoses, medications, readings or measures, whatever writes it; a write that carries an older number
never lowers it. Currency trusts it to skip reading an unchanged record, so every kind of write is here."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from patients.models import BloodPressureReading, Diagnosis, Measure, MedicationEntry, Patient
from tests.conftest import service_unavailable

from .factories import (
    BloodPressureReadingFactory,
    DiagnosisFactory,
    MedicationEntryFactory,
    PatientFactory,
)

pytestmark = pytest.mark.django_db

CHILDREN = (
    "patients_diagnosis",
    "patients_medicationentry",
    "patients_bloodpressurereading",
    "patients_measure",
)


def version(patient) -> int:
    return Patient.objects.values_list("record_version", flat=True).get(pk=patient.pk)


def installed_triggers() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {row[0] for row in cursor.fetchall()}


def test_every_trigger_is_installed():
    """A later migration that rebuilds one of these tables on SQLite drops its triggers: this fails then."""
    if connection.vendor == "postgresql":
        expected = {"patients_patient_record_version"} | {
            f"{t}_record_version{end}" for t in CHILDREN for end in ("", "_truncate")
        }
    else:
        expected = {"patients_patient_record_version"} | {
            f"{t}_record_version_{event}" for t in CHILDREN for event in ("insert", "update", "delete")
        }
    assert expected <= installed_triggers()


def measure(patient) -> Measure:
    return Measure.objects.create(
        patient=patient, instrument="gad7", administered_on=date(2026, 1, 5), answers=[1] * 7
    )


def reading(patient) -> BloodPressureReading:
    return BloodPressureReadingFactory(patient=patient, taken_at=timezone.now() - timedelta(hours=1))


WRITES = {
    "patient saved": lambda p: p.save(),
    "patient field saved alone": lambda p: Patient.objects.filter(pk=p.pk).update(glaucoma="yes"),
    "diagnosis added": lambda p: DiagnosisFactory(patient=p, icd10="F41.1"),
    "diagnosis edited": lambda p: Diagnosis.objects.filter(patient=p).update(severity="severe"),
    "diagnosis removed": lambda p: Diagnosis.objects.filter(patient=p).first().delete(),
    "diagnoses removed in bulk": lambda p: Diagnosis.objects.filter(patient=p).delete(),
    "medication added": lambda p: MedicationEntryFactory(patient=p, name="sertraline"),
    "medications added in bulk": lambda p: MedicationEntry.objects.bulk_create(
        [MedicationEntry(patient=p, name="lithium", dose_mg=300, times_per_day=2)]
    ),
    "medication edited": lambda p: MedicationEntry.objects.filter(patient=p).update(dose_mg=99),
    "medication removed": lambda p: MedicationEntry.objects.filter(patient=p).delete(),
    "reading added": reading,
    "reading edited": lambda p: BloodPressureReading.objects.filter(patient=p).update(systolic=150),
    "reading removed": lambda p: BloodPressureReading.objects.filter(patient=p).delete(),
    "measure added": measure,
    "measure edited": lambda p: Measure.objects.filter(patient=p).update(answers=[0] * 7),
    "measure removed": lambda p: Measure.objects.filter(patient=p).delete(),
}


@pytest.fixture
def full_record():
    patient = PatientFactory()
    DiagnosisFactory(patient=patient, icd10="F33.2")
    MedicationEntryFactory(patient=patient, name="lamotrigine")
    reading(patient)
    measure(patient)
    return Patient.objects.get(pk=patient.pk)


@pytest.mark.parametrize("write", sorted(WRITES))
def test_every_kind_of_write_raises_the_version(full_record, write):
    before = version(full_record)
    WRITES[write](full_record)
    assert version(full_record) > before


def test_a_statement_outside_django_raises_it_too(full_record):
    before = version(full_record)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE patients_medicationentry SET times_per_day = 3 WHERE patient_id = %s", [full_record.pk]
        )
    assert version(full_record) > before


def test_a_write_that_carries_an_older_number_never_lowers_it(full_record):
    stale = Patient.objects.get(pk=full_record.pk)  # read now, saved after the record changed
    DiagnosisFactory(patient=full_record, icd10="F41.1")
    DiagnosisFactory(patient=full_record, icd10="F43.10")
    after_lists = version(full_record)
    assert stale.record_version < after_lists
    stale.weight_kg = 71
    stale.save()
    assert version(full_record) > after_lists


def test_moving_a_row_to_another_patient_raises_both(full_record):
    other = PatientFactory()
    before = version(full_record), version(other)
    Diagnosis.objects.filter(patient=full_record).update(patient=other)
    assert version(full_record) > before[0] and version(other) > before[1]


def test_another_patients_write_leaves_it_alone(full_record):
    other = PatientFactory()
    before = version(full_record)
    DiagnosisFactory(patient=other, icd10="F41.1")
    other.save()
    assert version(full_record) == before


def test_the_history_does_not_record_it(full_record):
    assert "record_version" not in {f.name for f in Patient.history.model._meta.fields}


def test_every_list_the_record_reads_has_a_trigger():
    """A new list read into the record (patients.selectors.RECORD) without a trigger would let a change
    pass unseen: the tables come from the record's own lists, not from a second list."""
    from patients.selectors import RECORD

    tables = {Patient._meta.get_field(child.name).related_model._meta.db_table for child in RECORD.children}
    assert tables == set(CHILDREN)


def test_emptying_a_list_table_raises_every_version(full_record):
    if connection.vendor != "postgresql":
        service_unavailable("DATABASE_URL is not PostgreSQL: SQLite has no TRUNCATE")
    before = version(full_record)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's transaction holds deferred checks
        cursor.execute("TRUNCATE patients_bloodpressurereading")
    assert version(full_record) > before
