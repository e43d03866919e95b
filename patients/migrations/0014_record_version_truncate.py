"""TRUNCATE fires no row trigger on PostgreSQL: emptying a diagnosis, medication, reading or measure table
raises every patient's record version, so no screening reads as current over lists it never saw (0013).
SQLite has no TRUNCATE. Triggers disabled for maintenance (session_replication_role = replica, a restore
with --disable-triggers) raise nothing: docs/security.md says to raise every version after such work."""

from django.db import migrations

CHILDREN = (
    "patients_diagnosis",
    "patients_medicationentry",
    "patients_bloodpressurereading",
    "patients_measure",
)

FUNCTION = """
CREATE OR REPLACE FUNCTION patients_record_version_truncated() RETURNS trigger AS $$
BEGIN
    UPDATE patients_patient SET record_version = record_version + 1;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    for table in CHILDREN:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_record_version_truncate AFTER TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION patients_record_version_truncated()",
            params=None,
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in CHILDREN:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_record_version_truncate ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS patients_record_version_truncated()")


class Migration(migrations.Migration):
    dependencies = [("patients", "0013_record_version")]

    operations = [migrations.RunPython(forwards, backwards)]
