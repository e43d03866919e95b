"""PostgreSQL refuses UPDATE and DELETE on the clinical records that are written once (screenings, sign-offs,
overrides, co-signatures, suggestions), whatever the caller: a trigger, not only the model. Unlike the audit
trail and the change history, these have no purge: nothing in the application removes a clinical record.

A later migration that must change these rows' data disables the trigger for its own statements
(ALTER TABLE ... DISABLE TRIGGER ..., then ENABLE) and says why."""

from django.db import migrations

TABLES = (
    "screening_screening",
    "screening_signoff",
    "screening_findingoverride",
    "screening_overridecosignature",
    "screening_overridesuggestion",
)
FUNCTION = """
CREATE OR REPLACE FUNCTION preinfusion_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% rows are immutable: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION preinfusion_immutable()",
            params=None,
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}", params=None)
    schema_editor.execute("DROP FUNCTION IF EXISTS preinfusion_immutable()", params=None)


class Migration(migrations.Migration):
    dependencies = [("screening", "0017_override_cosign_columns_removed")]

    operations = [migrations.RunPython(forwards, backwards)]
