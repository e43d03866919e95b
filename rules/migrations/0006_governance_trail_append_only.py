"""PostgreSQL keeps the governance trail of rule sets as it was written: an UPDATE is refused except the
one the database itself makes when a draft is deleted (its events' link to it becomes NULL, every other
column unchanged); a DELETE is refused."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION preinfusion_governance_event() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
        AND OLD.ruleset_id IS NOT NULL AND NEW.ruleset_id IS NULL
        AND NEW.id = OLD.id
        AND NEW.version = OLD.version
        AND NEW.action = OLD.action
        AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id
        AND NEW.actor_label = OLD.actor_label
        AND NEW.note = OLD.note
        AND NEW.sha256 = OLD.sha256
        AND NEW.self_approved = OLD.self_approved
        AND NEW.at = OLD.at
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'rules_rulesetevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
"""
TRIGGER = """
CREATE TRIGGER rules_rulesetevent_append_only BEFORE UPDATE OR DELETE ON rules_rulesetevent
FOR EACH ROW EXECUTE FUNCTION preinfusion_governance_event();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)
        schema_editor.execute(TRIGGER, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS rules_rulesetevent_append_only ON rules_rulesetevent")
        schema_editor.execute("DROP FUNCTION IF EXISTS preinfusion_governance_event()")


class Migration(migrations.Migration):
    dependencies = [("rules", "0005_published_rows_triggers")]

    operations = [migrations.RunPython(forwards, backwards)]
