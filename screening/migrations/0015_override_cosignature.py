"""A co-signature becomes a row of its own (OverrideCosignature) beside the override it co-signs, so that
overrides are never edited. The rule that the co-signer is not the physician who overrode was a check
constraint on the override; a constraint cannot look across tables, so on PostgreSQL a trigger keeps it
(and save() and the service everywhere)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

COSIGNER_FUNCTION = """
CREATE OR REPLACE FUNCTION preinfusion_cosigner_differs() RETURNS trigger AS $$
BEGIN
    IF NEW.cosigned_by_id = (
        SELECT overridden_by_id FROM screening_findingoverride WHERE id = NEW.override_id
    ) THEN
        RAISE EXCEPTION 'cosigner_is_another_clinician: override % was co-signed by its own author',
            NEW.override_id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
"""
COSIGNER_TRIGGER = """
CREATE TRIGGER screening_overridecosignature_cosigner
BEFORE INSERT OR UPDATE ON screening_overridecosignature
FOR EACH ROW EXECUTE FUNCTION preinfusion_cosigner_differs();
"""


def cosigner_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(COSIGNER_FUNCTION, params=None)
        schema_editor.execute(COSIGNER_TRIGGER, params=None)


def drop_cosigner_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS screening_overridecosignature_cosigner ON screening_overridecosignature",
            params=None,
        )
        schema_editor.execute("DROP FUNCTION IF EXISTS preinfusion_cosigner_differs()", params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("screening", "0014_impact_preview_without_patients"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="OverrideCosignature",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("cosigned_by_name", models.CharField(max_length=200)),
                ("cosigned_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "cosigned_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "override",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="cosignature",
                        to="screening.findingoverride",
                    ),
                ),
            ],
        ),
        migrations.RunPython(cosigner_trigger, drop_cosigner_trigger),
    ]
