"""The change history (every django-simple-history table) is append-only: on PostgreSQL a trigger refuses
an UPDATE or a DELETE, and the retention purge is the one way out. It removes what is past retention, keeps
each live record's state at the cutoff, and is in the audit trail (table names and counts, never content)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from core.models import AuditEvent
from core.retention import Purged, history_models, history_purge
from infusions.models import Infusion
from patients.models import Measure, Patient
from rules.selectors import active_ruleset
from screening.models import Screening
from tests.defaults_snapshot import load_defaults_for_test
from tests.patients.factories import (
    BloodPressureReadingFactory,
    DiagnosisFactory,
    MedicationEntryFactory,
    PatientFactory,
)

pytestmark = pytest.mark.django_db
POSTGRESQL_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the triggers are PostgreSQL's; CI runs them"
)
HISTORY_TABLES = [
    "infusions_historicalinfusion",
    "patients_historicalbloodpressurereading",
    "patients_historicaldiagnosis",
    "patients_historicalmeasure",
    "patients_historicalmedicationentry",
    "patients_historicalpatient",
    "rules_historicalruleset",
    "screening_historicalformularyentry",
    "screening_historicalrule",
]
NOW = timezone.now()
CUTOFF = NOW - timedelta(days=365)


def saved(patient: Patient, days_ago: int | None, **changes) -> Patient:
    """Save the patient (with changes) as if `days_ago` days ago: its history row carries that date."""
    for field, value in changes.items():
        setattr(patient, field, value)
    if days_ago is None:
        patient.__dict__.pop("_history_date", None)
    else:
        patient._history_date = NOW - timedelta(days=days_ago)
    patient.save()
    return patient


def history_of(patient: Patient) -> list[tuple[str, str]]:
    return list(
        Patient.history.filter(id=patient.pk)
        .order_by("history_date")
        .values_list("history_type", "family_name")
    )


@pytest.fixture
def histories():
    """Three records: one changed over years, one unchanged since long ago, one deleted long ago."""
    changed = saved(PatientFactory.build(family_name="First"), 900)
    saved(changed, 800, family_name="Second")
    saved(changed, 400, family_name="Third")
    saved(changed, None, family_name="Fourth")
    unchanged = saved(PatientFactory.build(family_name="Steady"), 700)
    gone = saved(PatientFactory.build(family_name="Gone"), 600)
    gone._history_date = NOW - timedelta(days=500)
    gone.delete()
    return changed, unchanged, gone


@pytest.fixture
def every_table(clinician):
    """A row in every history table: the default formulary and rule set, a record with one of each item,
    an infusion record."""
    load_defaults_for_test()
    patient = PatientFactory()
    DiagnosisFactory(patient=patient)
    MedicationEntryFactory(patient=patient)
    BloodPressureReadingFactory(patient=patient)
    Measure.objects.create(patient=patient, instrument="gad7", administered_on=NOW.date(), answers=[0] * 7)
    ruleset = active_ruleset()
    screening = Screening.objects.create(
        patient=patient,
        requested_by=clinician,
        assessed_on=NOW.date(),
        verdict="eligible",
        report={},
        intake={},
        ruleset=ruleset,
        ruleset_version=ruleset.version,
        ruleset_sha256=ruleset.sha256,
        engine_version="test",
    )
    Infusion.objects.create(
        patient=patient, screening=screening, infusion_on=NOW.date(), created_by=clinician
    )


def test_every_history_table_is_covered():
    assert [model._meta.db_table for model in history_models()] == HISTORY_TABLES


def test_the_purge_keeps_each_live_records_state_at_the_cutoff(histories, clinician):
    changed, unchanged, gone = histories

    purged = history_purge(before=CUTOFF, user=clinician)

    assert history_of(changed) == [("~", "Third"), ("~", "Fourth")]  # "Third" was its state at the cutoff
    assert history_of(unchanged) == [("+", "Steady")]
    assert history_of(gone) == []
    assert purged == [Purged("patients_historicalpatient", 4)]


def test_the_purge_is_audited_by_table_and_count_never_content(histories, clinician):
    history_purge(before=CUTOFF, user=clinician)

    event = AuditEvent.objects.get(action="purge")
    assert (event.user_id, event.object_type, event.object_id) == (
        clinician.pk,
        "history",
        "patients_historicalpatient",
    )
    assert event.detail.startswith("4 history rows of patients_historicalpatient before ")
    assert not any(name in event.detail for name in ("First", "Second", "Gone", "Steady"))


def test_nothing_past_retention_purges_nothing_and_audits_nothing(histories):
    assert history_purge(before=NOW - timedelta(days=1000)) == []
    assert not AuditEvent.objects.filter(action="purge").exists()


def test_the_command_purges_past_the_given_days(histories):
    out = StringIO()
    call_command("history", "purge", "--older-than-days", "365", stdout=out)
    assert "patients_historicalpatient: 4 rows removed" in out.getvalue()
    assert Patient.history.count() == 3


def test_the_command_refuses_a_retention_of_less_than_a_day():
    with pytest.raises(CommandError, match="at least 1"):
        call_command("history", "purge", "--older-than-days", "0", stdout=StringIO())


# ---------------------------------------------------------------------------------- PostgreSQL triggers


@POSTGRESQL_ONLY
@pytest.mark.parametrize("table", HISTORY_TABLES)
@pytest.mark.parametrize(
    "statement",
    ["UPDATE {table} SET history_type = history_type", "DELETE FROM {table}"],
    ids=["update", "delete"],
)
def test_postgresql_refuses_update_and_delete_on_every_history_table(every_table, table, statement):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - a table name of this module
        (before,) = cursor.fetchone()
    assert before > 0
    with (
        pytest.raises(DatabaseError, match=f"{table} is append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement.format(table=table))


@POSTGRESQL_ONLY
def test_postgresql_refuses_the_orm_too(histories):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Patient.history.filter(family_name="First").update(family_name="Rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Patient.history.filter(family_name="First").delete()
    assert Patient.history.filter(family_name="First").count() == 1


@POSTGRESQL_ONLY
def test_postgresql_refuses_a_delete_again_once_the_purge_is_done(histories):
    history_purge(before=CUTOFF)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Patient.history.all().delete()
    assert Patient.history.count() == 3
