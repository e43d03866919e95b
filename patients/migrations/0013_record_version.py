"""The record's version (issue 16): a number the database raises on every change to a patient's row or to
one of its diagnoses, medications, readings or measures, whatever writes it (a form, the API, an import, a
bulk delete, a statement typed in psql). A screening stores the number it read; while the patient's is the
same, the record is the one screened and currency needs no record read (screening/currency.py).

Triggers on both engines. On SQLite, a later migration that rebuilds one of these tables drops its
triggers: tests/patients/test_record_version.py checks every trigger is present and that each kind of
write raises the number, on whichever engine the suite runs."""

from django.db import migrations, models

CHILDREN = (
    "patients_diagnosis",
    "patients_medicationentry",
    "patients_bloodpressurereading",
    "patients_measure",
)

PG_FUNCTIONS = """
CREATE OR REPLACE FUNCTION patients_record_version_own() RETURNS trigger AS $$
BEGIN
    -- whatever the statement wrote into the column, the row's change raises the stored number
    NEW.record_version := OLD.record_version + 1;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION patients_record_version_child() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE patients_patient SET record_version = record_version + 1 WHERE id = OLD.patient_id;
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.patient_id IS DISTINCT FROM OLD.patient_id) THEN
        UPDATE patients_patient SET record_version = record_version + 1 WHERE id = NEW.patient_id;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
"""


def _sqlite_statements() -> list[str]:
    bump = "UPDATE patients_patient SET record_version = record_version + 1 WHERE id = {}.patient_id;"
    statements = [
        # an AFTER trigger cannot change NEW on SQLite: a write that did not raise the number raises it
        "CREATE TRIGGER patients_patient_record_version AFTER UPDATE ON patients_patient FOR EACH ROW "
        "WHEN NEW.record_version <= OLD.record_version BEGIN "
        "UPDATE patients_patient SET record_version = OLD.record_version + 1 WHERE id = NEW.id; END"
    ]
    for table in CHILDREN:
        statements += [
            f"CREATE TRIGGER {table}_record_version_insert AFTER INSERT ON {table} FOR EACH ROW "
            f"BEGIN {bump.format('NEW')} END",
            f"CREATE TRIGGER {table}_record_version_update AFTER UPDATE ON {table} FOR EACH ROW "
            f"BEGIN {bump.format('OLD')} {bump.format('NEW')} END",
            f"CREATE TRIGGER {table}_record_version_delete AFTER DELETE ON {table} FOR EACH ROW "
            f"BEGIN {bump.format('OLD')} END",
        ]
    return statements


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTIONS, params=None)
        schema_editor.execute(
            "CREATE TRIGGER patients_patient_record_version BEFORE UPDATE ON patients_patient "
            "FOR EACH ROW EXECUTE FUNCTION patients_record_version_own()",
            params=None,
        )
        for table in CHILDREN:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_record_version AFTER INSERT OR UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION patients_record_version_child()",
                params=None,
            )
    elif vendor == "sqlite":
        for statement in _sqlite_statements():
            schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS patients_patient_record_version ON patients_patient")
        for table in CHILDREN:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_record_version ON {table}")
        schema_editor.execute("DROP FUNCTION IF EXISTS patients_record_version_own()")
        schema_editor.execute("DROP FUNCTION IF EXISTS patients_record_version_child()")
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS patients_patient_record_version")
        for table in CHILDREN:
            for event in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_record_version_{event}")


class Migration(migrations.Migration):
    dependencies = [("patients", "0012_measures")]

    operations = [
        migrations.AddField(
            model_name="patient",
            name="record_version",
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(forwards, backwards),
    ]
