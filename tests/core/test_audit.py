"""The audit trail: append-only (the model, and a trigger on PostgreSQL), a hash chain whose first broken
link `audit verify` reports, a retention purge that leaves a signed checkpoint."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from core.audit import audit_purge, audit_record, audit_verify
from core.models import AuditEvent

pytestmark = pytest.mark.django_db


def events(n, user=None):
    return [
        audit_record(action="view", user=user, object_type="patient", object_id=i, patient_id=i)
        for i in range(n)
    ]


def test_events_chain_from_the_genesis_and_verify(clinician):
    made = events(5, clinician)
    assert [e.seq for e in made] == [1, 2, 3, 4, 5]
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(made, made[1:], strict=False))
    assert made[0].user_name == "clin" and made[0].patient_id == 0
    check = audit_verify()
    assert check.ok and check.checked == 5


def test_an_unknown_action_is_refused():
    with pytest.raises(ValueError, match="unknown audit action"):
        audit_record(action="peek")


def test_the_model_refuses_update_and_delete():
    (event,) = events(1)
    event.detail = "changed"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's; CI runs it")
@pytest.mark.parametrize(
    "statement", ["UPDATE core_auditevent SET detail = 'x'", "DELETE FROM core_auditevent"]
)
def test_postgresql_refuses_update_and_delete_statements(statement):
    events(2)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert AuditEvent.objects.count() == 2


def tamper(seq, **values):
    """Rewrite a row as someone with database access would (the trigger dropped first on PostgreSQL)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_append_only")
        AuditEvent.objects.filter(seq=seq).update(**values) if values else AuditEvent.objects.filter(
            seq=seq
        )._raw_delete("default")
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER core_auditevent_append_only")


def test_verify_reports_the_first_edited_row():
    events(6)
    tamper(4, object_id="999")
    check = audit_verify()
    assert not check.ok and check.broken_at == 4 and "content" in check.reason


def test_verify_reports_a_removed_row():
    events(6)
    tamper(3)
    check = audit_verify()
    assert not check.ok and check.broken_at == 3 and "missing" in check.reason


def test_the_purge_leaves_a_signed_checkpoint_the_chain_continues_from(clinician):
    old = events(4)
    AuditEvent.objects.filter(seq__lte=3)  # the first three are "old":
    cutoff = old[3].at
    removed = audit_purge(before=cutoff, user=clinician)
    events(2)

    assert removed == 3
    first = AuditEvent.objects.order_by("seq").first()
    assert first.action == "checkpoint" and first.seq == 3 and first.hash == old[2].hash
    assert audit_verify().ok
    assert AuditEvent.objects.filter(action="purge").count() == 1


def test_a_forged_checkpoint_fails_verification():
    old = events(3)
    audit_purge(before=old[2].at)
    checkpoint = AuditEvent.objects.get(action="checkpoint")
    tamper(checkpoint.seq, detail=checkpoint.detail.replace("purged 2", "purged 1"))
    check = audit_verify()
    assert not check.ok and "signature" in check.reason


def test_audit_verify_command_exits_non_zero_on_a_broken_chain():
    events(3)
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    assert "3 events, the chain holds" in out.getvalue()
    tamper(2, action="login")
    with pytest.raises(SystemExit) as exited:
        call_command("audit", "verify", stdout=StringIO())
    assert exited.value.code == 1


def test_purge_command_keeps_recent_events():
    events(3)
    call_command("audit", "purge", "--older-than-days", "1", stdout=StringIO())
    assert AuditEvent.objects.filter(action="view").count() == 3
    assert timezone.now() - timedelta(days=1) < AuditEvent.objects.order_by("seq").first().at


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL; CI runs it"
)
@pytest.mark.django_db(transaction=True)
def test_the_chain_stays_linear_under_concurrent_writers():
    def write(n):
        try:
            for i in range(5):
                audit_record(action="view", object_type="patient", object_id=f"{n}-{i}")
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(write, range(8)))

    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, 41))
    assert audit_verify().ok


HOSTILE = 'O\'Brien "x" \\ back\nline — é 名前 \U0001f600 \u2028 </td>'


def test_an_entry_with_hostile_text_reads_back_and_its_hash_holds(rf):
    """The row's hash is computed where it is stored (in PostgreSQL, by the append function, from the JSON
    Python wrote): whatever the text, the stored row verifies against the hash Python computes."""
    from core.audit import event_hash

    request = rf.get("/", REMOTE_ADDR="2001:db8::1", HTTP_USER_AGENT=HOSTILE)
    events(2)
    made = audit_record(
        action="update",
        request=request,
        object_type="patient",
        object_id=HOSTILE,
        patient_id=7,
        fields=["z_field", "a_field"],
        detail=HOSTILE,
        user_name=HOSTILE,
    )
    stored = AuditEvent.objects.get(pk=made.pk)
    assert (
        (stored.seq, stored.prev_hash, stored.hash)
        == (made.seq, made.prev_hash, made.hash)
        == (
            3,
            AuditEvent.objects.get(seq=2).hash,
            event_hash(stored.prev_hash, stored),
        )
    )
    assert (
        stored.user_agent == HOSTILE and stored.detail == HOSTILE and stored.fields == ["a_field", "z_field"]
    )
    assert stored.ip == "2001:db8::1" and stored.patient_id == 7
    assert audit_verify().ok


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the append function is PostgreSQL's; CI runs it"
)
def test_an_entry_is_one_round_trip_on_postgresql():
    from django.test.utils import CaptureQueriesContext

    events(1)
    with CaptureQueriesContext(connection) as queries:
        made = audit_record(action="view", object_type="patient", object_id=1, patient_id=1)
    assert len(queries) == 1 and "preinfusion_audit_append" in queries[0]["sql"]
    assert made.seq == 2 and audit_verify().ok
