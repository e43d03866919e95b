"""Currency reads no record that has not changed since its screening (issue 16): the screening stores the
record version it read, and while the patient's is the same the snapshot is the record. A changed version
reads the record and compares the intake's sha256, so an edit undone is current again."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from patients.models import MedicationEntry, Patient
from screening.currency import screening_currencies, screening_currency
from screening.models import Screening
from screening.record_reader import record_reader
from screening.services import screening_run
from tests.defaults_snapshot import load_defaults_for_test

pytestmark = pytest.mark.django_db

RECORD_LISTS = ("patients_diagnosis", "patients_medicationentry", "patients_bloodpressurereading")


@pytest.fixture
def screenings(db, clinician):
    load_defaults_for_test()
    with override_settings(DEBUG=True):
        call_command("load_demo", stdout=StringIO())
    return [screening_run(patient=p, requested_by=clinician) for p in Patient.objects.order_by("pk")]


def reads_lists(queries) -> bool:
    return any(table in q["sql"] for q in queries.captured_queries for table in RECORD_LISTS)


def fresh(screening) -> Screening:
    return Screening.objects.select_related("ruleset").get(pk=screening.pk)


def test_a_screening_stores_the_version_it_read(screenings):
    for screening in screenings:
        assert screening.record_version == Patient.objects.get(pk=screening.patient_id).record_version


def test_an_unchanged_record_is_not_read(screenings):
    with CaptureQueriesContext(connection) as queries:
        currencies = screening_currencies([fresh(s) for s in screenings])
        assert all(c.current for c in currencies.values())
    assert not reads_lists(queries)


def test_a_change_outside_django_makes_it_not_current(screenings):
    screening = next(s for s in screenings if Patient.objects.get(pk=s.patient_id).medications.exists())
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE patients_medicationentry SET times_per_day = times_per_day + 1 WHERE patient_id = %s",
            [screening.patient_id],
        )
    currency = screening_currency(fresh(screening))
    assert not currency.current
    assert any("medication" in reason for reason in currency.reasons)


def test_a_changed_version_with_the_same_record_is_current(screenings):
    """A save that changes nothing raises the version; the record is read and gives the same sha256."""
    screening = screenings[0]
    Patient.objects.get(pk=screening.patient_id).save()
    with CaptureQueriesContext(connection) as queries:
        assert screening_currency(fresh(screening)).current
    assert reads_lists(queries)


def test_a_screening_stored_before_versions_reads_the_record(screenings):
    screening = fresh(screenings[0])
    screening.record_version = None  # as every screening stored before migration screening 0021
    assert screening_currency(screening).current


def test_changed_records_are_read_together(screenings):
    """However many records changed, they are read in one batch: the queries do not grow with them."""
    for screening in screenings:
        Patient.objects.filter(pk=screening.patient_id).update(glaucoma="unknown")

    with CaptureQueriesContext(connection) as two:
        for c in screening_currencies([fresh(s) for s in screenings[:2]]).values():
            c.reasons  # noqa: B018
    with CaptureQueriesContext(connection) as all_of_them:
        currencies = screening_currencies([fresh(s) for s in screenings])
        for c in currencies.values():
            c.reasons  # noqa: B018
    fetched = len(screenings) - 2  # fresh() reads each screening
    assert len(all_of_them.captured_queries) - fetched == len(two.captured_queries)


def test_records_needed_only_for_reasons_are_read_in_chunks(screenings, clinician, monkeypatch):
    """A superseded screening is not current whatever the record says: its record is read only to say what
    changed, in chunks of the screenings' order (a list shows its first rows' reasons)."""
    monkeypatch.setattr("screening.currency._RecordsNow.CHUNK", 5)
    for screening in screenings:
        patient = Patient.objects.get(pk=screening.patient_id)
        screening_run(patient=patient, requested_by=clinician)  # supersedes it
        Patient.objects.filter(pk=patient.pk).update(glaucoma="unknown")
    old = [fresh(s) for s in screenings]

    with CaptureQueriesContext(connection) as deciding:
        currencies = screening_currencies(old)
    assert not any(c.current for c in currencies.values())
    assert not reads_lists(deciding)  # superseded: nothing to read to know it

    with CaptureQueriesContext(connection) as first_rows:
        for screening in old[:5]:
            assert any("supersedes" in r for r in currencies[screening.pk].reasons)
    with CaptureQueriesContext(connection) as every_row:
        for screening in old:
            currencies[screening.pk].reasons  # noqa: B018
    diagnosis_reads = [q for q in every_row.captured_queries if "patients_diagnosis" in q["sql"]]
    assert len([q for q in first_rows.captured_queries if "patients_diagnosis" in q["sql"]]) == 1
    assert len(diagnosis_reads) == -(-(len(old) - 5) // 5)  # the rest, five at a time


def test_a_screening_read_another_way_reads_the_record(screenings):
    """After a deploy that changes how a record is read, validated or hashed (another record_reader), an
    equal version no longer vouches for the record: it is read and compared."""
    screening = fresh(screenings[0])
    assert screening.record_reader == record_reader() != ""
    screening.record_reader = "0" * 16  # as stored by an earlier release
    with CaptureQueriesContext(connection) as queries:
        assert screening_currency(screening).current
    assert reads_lists(queries)


def test_the_reader_changes_with_the_time_zone(settings):
    before = record_reader()
    record_reader.cache_clear()
    settings.TIME_ZONE = "Asia/Kolkata" if settings.TIME_ZONE != "Asia/Kolkata" else "UTC"
    try:
        assert record_reader() != before
    finally:
        record_reader.cache_clear()


def test_a_record_held_by_the_page_does_not_give_the_version_now(screenings, clinician):
    """The page's record was read with its version before its lists: a medication added in between is in
    the lists it shows, so that version cannot say the record is the one screened. The version is read
    again after the record."""
    from patients.selectors import patient_record

    screening = screenings[0]
    held = patient_record(screening.patient_id)
    assert held.record_version == screening.record_version
    MedicationEntry.objects.create(
        patient_id=screening.patient_id, name="sertraline", dose_mg=50, times_per_day=1
    )
    held = patient_record(screening.patient_id)
    held.record_version = screening.record_version  # as if read before the medication came in
    currency = screening_currencies([fresh(screening)], records={held.pk: held})[screening.pk]
    assert not currency.current
    assert any("sertraline" in reason for reason in currency.reasons)


def test_the_history_reads_the_version_now_with_its_rows(screenings, clinician):
    """The patient page's history reads each patient's latest screening and record version in its own
    query, after the record the page holds: one query (no screening has an override, so none is read; see
    screening.selectors.with_review_flags), no record re-read."""
    from patients.selectors import patient_record
    from screening.selectors import screening_history

    screening = screenings[0]
    held = patient_record(screening.patient_id)
    with CaptureQueriesContext(connection) as queries:
        (row,) = screening_history(held, full_record=True)
    assert len(queries) == 1 and row["state"].currency.current

    MedicationEntry.objects.create(
        patient_id=screening.patient_id, name="sertraline", dose_mg=50, times_per_day=1
    )
    newer = screening_run(patient=Patient.objects.get(pk=screening.patient_id), requested_by=clinician)
    held = patient_record(screening.patient_id)
    latest, earlier = screening_history(held, full_record=True)
    assert latest["screening"].pk == newer.pk and latest["state"].currency.current
    assert not earlier["state"].currency.current
    assert earlier["state"].currency.reasons == (
        f"a later screening (#{newer.pk}) supersedes it",
        "medication sertraline added",
    )
