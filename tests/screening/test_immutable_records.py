"""Records that cannot be rewritten (STYLE.md, principle 9): a screening, its sign-off, its overrides, their
co-signatures and the clinicians' suggestions are written once. The model and its queryset refuse an update
or a delete on every database; on PostgreSQL a trigger refuses the statement whatever the caller, even
with the retention purge's setting. A co-signature is a row of its own beside the override it co-signs."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from core.roles import PHYSICIAN
from patients.services import intake_import
from screening.models import FindingOverride, OverrideCosignature, OverrideSuggestion, Screening, SignOff
from screening.review import (
    ScreeningRefused,
    effective_verdict,
    finding_override,
    override_cosign,
    override_suggest,
    screening_sign,
)
from screening.selectors import review_state, review_states
from screening.services import screening_run
from tests.conftest import EXAMPLES
from tests.defaults_snapshot import load_defaults_for_test

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("on_assessment_day")]
POSTGRESQL_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the triggers are PostgreSQL's; CI runs them"
)

# each record, how its rows are found from their screening, and a column an edit would change
RECORDS = {
    Screening: ("pk", "verdict", "eligible"),
    SignOff: ("screening", "note", "rewritten"),
    FindingOverride: ("screening", "reason", "rewritten"),
    OverrideCosignature: ("override__screening", "cosigned_by_name", "someone else"),
    OverrideSuggestion: ("screening", "note", "rewritten"),
}
TABLES = [model._meta.db_table for model in RECORDS]


@pytest.fixture
def avm_patient():
    load_defaults_for_test()
    return intake_import(doc=json.loads((EXAMPLES / "contraindicated-avm.json").read_text()))[0]


@pytest.fixture
def reviewed(avm_patient, clinician, physician, physician2):
    """A screening with one of each record: a suggestion, an override co-signed, a sign-off."""
    screening = screening_run(patient=avm_patient, requested_by=clinician)
    override_suggest(screening=screening, rule="CV-AVM", note="Imaging was clear", user=clinician)
    override = finding_override(
        screening=screening, rule="CV-AVM", reason="No AVM on imaging", user=physician
    )
    override_cosign(override=override, user=physician2)
    screening_sign(screening=screening, user=physician, decision="cleared")
    return screening


def rows(model, screening):
    link, _, _ = RECORDS[model]
    return model.objects.filter(**{link: screening.pk})


def stored(table: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} ORDER BY id")  # noqa: S608 - a table name of this module
        return cursor.fetchall()


# ------------------------------------------------------------------------- the model, on every database


@pytest.mark.parametrize("model", RECORDS, ids=lambda m: m.__name__)
def test_a_stored_record_is_never_saved_again(reviewed, model):
    _, column, value = RECORDS[model]
    row = rows(model, reviewed).get()
    setattr(row, column, value)
    with pytest.raises(ValidationError, match="immutable"):
        row.save()
    assert getattr(rows(model, reviewed).get(), column) != value


@pytest.mark.parametrize("model", RECORDS, ids=lambda m: m.__name__)
def test_a_stored_record_is_never_deleted(reviewed, model):
    with pytest.raises(ValidationError, match="never deleted"):
        rows(model, reviewed).get().delete()
    assert rows(model, reviewed).count() == 1


@pytest.mark.parametrize("model", RECORDS, ids=lambda m: m.__name__)
def test_a_queryset_neither_updates_nor_deletes(reviewed, model):
    _, column, value = RECORDS[model]
    with pytest.raises(ValidationError, match="immutable"):
        rows(model, reviewed).update(**{column: value})
    with pytest.raises(ValidationError, match="never deleted"):
        rows(model, reviewed).delete()
    assert rows(model, reviewed).exclude(**{column: value}).count() == 1


def test_a_new_row_given_a_stored_rows_id_is_an_insert_refused_not_an_update(reviewed):
    copy = Screening.objects.get(pk=reviewed.pk)
    copy._state.adding = True
    copy.verdict = "eligible"
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()
    assert Screening.objects.get(pk=reviewed.pk).verdict == "contraindicated"


# ------------------------------------------------------------------------------------ the co-signature


def test_a_co_signature_is_a_row_of_its_own_and_the_override_is_not_edited(
    avm_patient, clinician, physician, physician2
):
    screening = screening_run(patient=avm_patient, requested_by=clinician)
    override = finding_override(
        screening=screening, rule="CV-AVM", reason="No AVM on imaging", user=physician
    )
    before = stored("screening_findingoverride")

    cosigned = override_cosign(override=override, user=physician2)

    assert stored("screening_findingoverride") == before
    cosignature = OverrideCosignature.objects.get()
    assert (cosignature.override_id, cosignature.cosigned_by, cosignature.cosigned_by_name) == (
        override.pk,
        physician2,
        "doc2",
    )
    assert cosigned.in_force and cosigned.cosigned_at == cosignature.cosigned_at
    assert effective_verdict(screening, [cosigned]) == "eligible"
    assert review_state(screening).clear_blockers == []


def test_an_override_awaiting_its_co_signature_reads_as_not_co_signed(avm_patient, clinician, physician):
    screening = screening_run(patient=avm_patient, requested_by=clinician)
    finding_override(screening=screening, rule="CV-AVM", reason="No AVM on imaging", user=physician)
    override = FindingOverride.objects.get()
    assert (override.cosigned, override.cosigned_at, override.cosigned_by, override.cosigned_by_name) == (
        None,
        None,
        None,
        "",
    )
    assert not override.in_force
    assert review_state(screening).pending_cosign == [override]


def test_a_second_co_signature_is_refused_by_the_service_and_the_database(
    avm_patient, clinician, physician, physician2, make_user
):
    screening = screening_run(patient=avm_patient, requested_by=clinician)
    override = finding_override(
        screening=screening, rule="CV-AVM", reason="No AVM on imaging", user=physician
    )
    override_cosign(override=override, user=physician2)
    third = make_user("doc3", PHYSICIAN)
    with pytest.raises(ScreeningRefused, match="needs no \\(further\\) co-signature"):
        override_cosign(override=override, user=third)
    with pytest.raises(IntegrityError), transaction.atomic():
        OverrideCosignature.objects.create(override=override, cosigned_by=third, cosigned_by_name="doc3")
    assert OverrideCosignature.objects.count() == 1


def test_reading_the_co_signatures_of_many_screenings_costs_no_query_each(
    avm_patient, clinician, physician, physician2
):
    for _ in range(3):
        screening = screening_run(patient=avm_patient, requested_by=clinician)
        override = finding_override(screening=screening, rule="CV-AVM", reason="No AVM", user=physician)
        override_cosign(override=override, user=physician2)
    screenings = list(Screening.objects.select_related("ruleset").order_by("pk"))
    review_states(screenings)  # compiles the rule set once for the process

    def read(states):
        return [(s.effective, [o.cosigned_by_name for o in s.overrides]) for s in states.values()]

    with CaptureQueriesContext(connection) as one:
        read(review_states(screenings[:1]))
    with CaptureQueriesContext(connection) as three:
        assert read(review_states(screenings)) == [("eligible", ["doc2"])] * 3
    assert len(three.captured_queries) == len(one.captured_queries)


# ---------------------------------------------------------------------------------- PostgreSQL triggers


@POSTGRESQL_ONLY
@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize(
    "statement", ["UPDATE {table} SET id = id", "DELETE FROM {table}"], ids=["update", "delete"]
)
def test_postgresql_refuses_update_and_delete_statements(reviewed, table, statement):
    before = stored(table)
    with (
        pytest.raises(DatabaseError, match=f"{table} rows are immutable"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement.format(table=table))
    assert stored(table) == before


@POSTGRESQL_ONLY
@pytest.mark.parametrize("model", RECORDS, ids=lambda m: m.__name__)
def test_postgresql_refuses_what_goes_around_the_model(reviewed, model):
    """The plain manager (no refusal of its own) updating or deleting: the database says no."""
    link, column, value = RECORDS[model]
    plain = model._base_manager.filter(**{link: reviewed.pk})
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        plain.update(**{column: value})
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        plain._raw_delete(plain.db)
    assert plain.exclude(**{column: value}).count() == 1


@POSTGRESQL_ONLY
def test_the_purge_setting_does_not_open_a_clinical_record(reviewed):
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('preinfusion.allow_purge', 'on', true)")
        cursor.execute("DELETE FROM screening_overridecosignature")
    assert OverrideCosignature.objects.count() == 1
