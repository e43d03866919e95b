"""One round trip per audit entry on PostgreSQL: a function takes the append lock, reads the chain's last
row, computes the new row's hash and inserts it (core.audit.audit_record calls it). Before, an entry cost
five round trips (BEGIN, the lock, the last row, the insert, COMMIT) on every page that shows PHI.

The hash is the one Python computes (core.audit.event_hash): sha256 of the previous hash followed by the
row's JSON content. Python writes that JSON except its first element, the sequence number, which only the
function knows once it holds the lock; the function joins the two as text, so no JSON is built in SQL.
This migration writes its own SQL: a migration must not import code that later changes."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION preinfusion_audit_append(
    lock_key bigint, p_at timestamptz, p_user_id integer, p_user_name varchar, p_action varchar,
    p_object_type varchar, p_object_id varchar, p_patient_id integer, p_ip inet, p_user_agent varchar,
    p_fields jsonb, p_detail varchar, p_tail text
) RETURNS TABLE (new_id bigint, new_seq bigint, new_prev_hash varchar, new_hash varchar) AS $$
DECLARE
    last_seq bigint;
    last_hash varchar;
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    -- a new snapshot after the lock (READ COMMITTED): the last row any earlier append committed
    SELECT e.seq, e.hash INTO last_seq, last_hash FROM core_auditevent e ORDER BY e.seq DESC LIMIT 1;
    IF last_seq IS NULL THEN
        new_seq := 1;
        new_prev_hash := repeat('0', 64);
    ELSE
        new_seq := last_seq + 1;
        new_prev_hash := last_hash;
    END IF;
    new_hash := encode(sha256(convert_to(new_prev_hash || '[' || new_seq::text || ',' || p_tail, 'UTF8')), 'hex');
    INSERT INTO core_auditevent (seq, at, user_id, user_name, action, object_type, object_id, patient_id,
                                 ip, user_agent, fields, detail, prev_hash, hash)
    VALUES (new_seq, p_at, p_user_id, p_user_name, p_action, p_object_type, p_object_id, p_patient_id,
            p_ip, p_user_agent, p_fields, p_detail, new_prev_hash, new_hash)
    RETURNING id INTO new_id;
    RETURN NEXT;
END
$$ LANGUAGE plpgsql VOLATILE;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS preinfusion_audit_append", params=None)


class Migration(migrations.Migration):
    dependencies = [("core", "0008_builtin_roles_bound")]

    operations = [migrations.RunPython(forwards, backwards)]
