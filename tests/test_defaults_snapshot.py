"""tests/defaults_snapshot.py: a replay of the defaults writes what `manage.py load_defaults` writes.

Each comparison is of the whole database, every table, after the real command (the capture) and after a
replay, each in a savepoint rolled back: a table the replay left out, or one it wrote too much, differs.
Left out of the comparison are only values that differ between two real loads as well:
- every date-time column (created_at, history_date, published_at, activated_at, a governance event's `at`,
  the stamp's changed_at): the moment the row was written; the replay's are checked to be of the replay,
  in the order the command wrote them;
- the formulary stamp: a fresh uuid at every load, by design (checked to be new);
- an audit event's id (a PostgreSQL sequence, not rolled back) and its chain links (prev_hash and hash
  hash the event's `at`): the chain is verified instead.
Ids are compared: a replay gives its rows the ids the capture's had.
"""

from __future__ import annotations

import contextlib
import json
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from core.audit import audit_record, audit_verify
from core.models import AuditEvent
from formulary.models import FormularyEntry, FormularyStamp
from formulary.selectors import current_formulary, stamped_formulary
from patients.services import intake_import
from rules.models import Rule, RuleSet
from rules.services import ruleset_clone
from screening.services import screening_run
from tests import defaults_snapshot
from tests.conftest import EXAMPLES
from tests.defaults_snapshot import forget_snapshot, load_defaults_for_test

AS_OF = date(2026, 11, 20)
SKIPPED = {FormularyStamp: {"stamp"}, AuditEvent: {"id", "prev_hash", "hash"}}


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    """Each test captures its own snapshot, and leaves none behind for the tests after it."""
    monkeypatch.delenv("TEST_DEFAULTS_SNAPSHOT", raising=False)
    forget_snapshot()
    yield
    forget_snapshot()


@contextlib.contextmanager
def rolled_back():
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def dump() -> dict[str, list[tuple]]:
    """Every row of every table, ordered by id, without the values two real loads differ in (see top)."""
    tables = {}
    for model in defaults_snapshot._tables():
        skipped = SKIPPED.get(model, set())
        names = [
            f.attname
            for f in model._meta.concrete_fields
            if not isinstance(f, models.DateTimeField) and f.attname not in skipped
        ]
        tables[model._meta.db_table] = list(model._base_manager.order_by("pk").values_list(*names))
    return tables


def moments() -> list:
    """Every date-time in the database (the audit trail's aside: the replay appends its events after its
    rows), table by table, in id order."""
    found = []
    for model in defaults_snapshot._tables():
        names = [f.attname for f in model._meta.concrete_fields if isinstance(f, models.DateTimeField)]
        if names and model is not AuditEvent:
            found += list(model._base_manager.order_by("pk").values_list(*names))
    return [t for row in found for t in row]


def ranks(times: list) -> list:
    """Each time's place among the distinct times: what ordering by them gives, ties included."""
    place = {t: rank for rank, t in enumerate(sorted(set(times) - {None}))}
    return [None if t is None else place[t] for t in times]


def capture() -> dict[str, list[tuple]]:
    """The real command (kept as the snapshot), and the database it leaves, undone afterwards."""
    return capture_with_stamp()[0]


def capture_with_stamp() -> tuple[dict[str, list[tuple]], str, list]:
    with rolled_back():
        assert load_defaults_for_test() == "captured"
        return dump(), FormularyStamp.objects.get().stamp, moments()


def test_a_replay_writes_every_row_the_command_writes_with_the_same_ids(db):
    real, real_stamp, real_moments = capture_with_stamp()
    assert real[RuleSet._meta.db_table] and real[Rule.history.model._meta.db_table]
    with rolled_back():
        started = timezone.now()
        assert load_defaults_for_test() == "replayed"
        ended = timezone.now()
        replayed = dump()
        written = moments()
        stamp = FormularyStamp.objects.get().stamp
    assert replayed == real
    # times of the replay, in the order (ties included) of the command's, the ones it wrote within it
    assert ranks(written) == ranks(real_moments)
    new = [t for t in set(written) - set(real_moments) if t is not None]
    assert new and all(started <= t <= ended for t in new)
    assert stamp != real_stamp and len(stamp) == 32


def test_every_replay_renews_the_stamp_and_the_lookup_is_primed_at_it(db, django_assert_num_queries):
    capture()
    stamps = []
    for _ in range(2):
        with rolled_back():
            assert load_defaults_for_test() == "replayed"
            stamp = FormularyStamp.objects.get().stamp
            with django_assert_num_queries(1):  # the stamp only: the lookup is the one just written
                cached, formulary = stamped_formulary()
            assert cached == stamp
            assert formulary.version == 1 and formulary.lookup("diazepam") is not None
            stamps.append(stamp)
    assert stamps[0] != stamps[1]


def test_the_comparison_sees_a_table_the_replay_left_out(db):
    """The test above can fail: a replay without the rules' history is told apart from the command."""
    real = capture()
    snapshot = defaults_snapshot._snapshot
    snapshot.tables = [table for table in snapshot.tables if table.model is not Rule.history.model]
    with rolled_back():
        assert load_defaults_for_test() == "replayed"
        assert dump() != real


def audit_trail() -> list[dict]:
    """The trail without what differs between two real loads (its ids, times and the hashes of its times)."""
    names = [
        f.attname
        for f in AuditEvent._meta.concrete_fields
        if f.attname not in ("id", "at", "prev_hash", "hash")
    ]
    trail = list(AuditEvent.objects.order_by("seq").values(*names))
    versions = dict(RuleSet.objects.values_list("pk", "version"))
    for event in trail:  # a rule set by its version: the command's own load after a capture has new ids
        if event["object_type"] == "ruleset":
            event["object_id"] = versions[int(event["object_id"])]
    return trail


def test_a_replay_appends_the_commands_audit_events_to_a_trail_that_has_rows(db):
    capture()
    assert defaults_snapshot._snapshot.audit, "the shipped set's publication is audited"
    with rolled_back():
        audit_record(action="login", user_name="someone")
        call_command("load_defaults", stdout=open("/dev/null", "w"))  # noqa: SIM115
        real = audit_trail()
    with rolled_back():
        audit_record(action="login", user_name="someone")
        assert load_defaults_for_test() == "replayed"
        assert audit_verify().ok
        assert audit_trail() == real
    assert real[0]["action"] == "login" and len(real) == 1 + len(defaults_snapshot._snapshot.audit)


def screened(clinician, name: str) -> tuple:
    patient, _ = intake_import(doc=json.loads((EXAMPLES / f"{name}.json").read_text()))
    screening = screening_run(patient=patient, requested_by=clinician, as_of=AS_OF)
    return (
        screening.verdict,
        screening.rule_codes,
        screening.report,
        screening.ruleset_version,
        screening.ruleset_sha256,
        screening.formulary_version,
        screening.formulary_sha256,
    )


EXAMPLE_NAMES = ("eligible", "deferred-bp-and-benzodiazepine", "contraindicated-avm")


def test_a_screening_after_a_replay_is_the_one_after_the_command(db, clinician):
    capture()
    with rolled_back():
        call_command("load_defaults", stdout=open("/dev/null", "w"))  # noqa: SIM115
        real = [screened(clinician, name) for name in EXAMPLE_NAMES]
    with rolled_back():
        assert load_defaults_for_test() == "replayed"
        replayed = [screened(clinician, name) for name in EXAMPLE_NAMES]
    assert replayed == real
    assert [r[0] for r in real] == ["eligible", "deferred", "contraindicated"]


def test_a_replay_on_a_database_with_the_defaults_is_the_command(db):
    capture()
    with rolled_back():
        assert load_defaults_for_test() == "replayed"
        assert load_defaults_for_test() == "loaded"  # the command: "already present"
        assert RuleSet.objects.count() == 1
        assert current_formulary().version == 1


def test_after_a_replay_new_rows_never_take_a_replayed_id(django_db_reset_sequences, rules_admin):
    """A test that resets the id sequences (a TransactionTestCase with reset_sequences) before the
    defaults are replayed: the rows it adds next get ids after the replayed ones."""
    capture()
    replayed = [table.model for table in defaults_snapshot._snapshot.tables]
    with connection.cursor() as cursor:
        sequences = [
            s for m in replayed for s in connection.introspection.get_sequences(cursor, m._meta.db_table)
        ]
        for sql in connection.ops.sequence_reset_by_name_sql(no_style(), sequences):
            cursor.execute(sql)
    assert load_defaults_for_test() == "replayed"
    active = RuleSet.objects.get(is_active=True)
    draft = ruleset_clone(source=active, version="2026.9-after-replay", created_by=rules_admin)
    assert draft.pk > active.pk and draft.rules.count() == active.rules.count()
    with transaction.atomic():  # formulary_changed locks the latest version
        entry = FormularyEntry.objects.create(generic="replayium", atc=["N06AX99"])
    assert entry.pk > max(FormularyEntry.objects.exclude(pk=entry.pk).values_list("pk", flat=True))
