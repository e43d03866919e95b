"""PostgreSQL refuses UPDATE and DELETE on the formulary's change history, as on the audit trail (the trigger
function of core 0005): only the retention purge (core.retention, `manage.py history purge`) removes rows."""

from django.db import migrations

TABLES = ("screening_historicalformularyentry",)  # the table kept its name when the formulary moved


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION preinfusion_append_only()",
                params=None,
            )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}", params=None)


class Migration(migrations.Migration):
    dependencies = [("formulary", "0002_versions_and_maxima"), ("core", "0005_append_only_triggers")]

    operations = [migrations.RunPython(forwards, backwards)]
