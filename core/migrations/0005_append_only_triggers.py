"""PostgreSQL refuses UPDATE and DELETE on the audit trail, whatever the caller: a trigger, not only the
model. The one exception is the retention purge, which sets preinfusion.allow_purge for its transaction
(core.audit.audit_purge). The trigger function is shared by every append-only table."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION preinfusion_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('preinfusion.allow_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
"""
TRIGGER = """
CREATE TRIGGER core_auditevent_append_only BEFORE UPDATE OR DELETE ON core_auditevent
FOR EACH ROW EXECUTE FUNCTION preinfusion_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)
        schema_editor.execute(TRIGGER, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent")


class Migration(migrations.Migration):
    dependencies = [("core", "0004_audit_trail")]

    operations = [migrations.RunPython(forwards, backwards)]
