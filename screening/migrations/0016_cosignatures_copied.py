"""Every co-signature recorded on an override (its cosigned_* columns) is copied into a row of its own;
0017 then removes the columns. Reversible: going back copies the rows onto the overrides again."""

from django.db import migrations


def cosignatures_from_overrides(apps, schema_editor):
    FindingOverride = apps.get_model("screening", "FindingOverride")
    OverrideCosignature = apps.get_model("screening", "OverrideCosignature")
    db = schema_editor.connection.alias
    overrides = FindingOverride.objects.using(db).filter(cosigned_at__isnull=False).order_by("pk")
    # the service always wrote both: a time without a co-signer is an edit by hand, and which physician
    # co-signed cannot be guessed, so the migration stops rather than drop (or invent) a co-signature
    unsigned = list(overrides.filter(cosigned_by__isnull=True).values_list("pk", flat=True))
    if unsigned:
        raise RuntimeError(
            f"overrides {unsigned} have a co-signature time but no co-signer: correct them, then migrate"
        )
    OverrideCosignature.objects.using(db).bulk_create(
        OverrideCosignature(
            override_id=o.pk,
            cosigned_by_id=o.cosigned_by_id,
            cosigned_by_name=o.cosigned_by_name,
            cosigned_at=o.cosigned_at,
        )
        for o in overrides
    )


def overrides_from_cosignatures(apps, schema_editor):
    FindingOverride = apps.get_model("screening", "FindingOverride")
    OverrideCosignature = apps.get_model("screening", "OverrideCosignature")
    db = schema_editor.connection.alias
    for cosignature in OverrideCosignature.objects.using(db).order_by("pk"):
        FindingOverride.objects.using(db).filter(pk=cosignature.override_id).update(
            cosigned_by_id=cosignature.cosigned_by_id,
            cosigned_by_name=cosignature.cosigned_by_name,
            cosigned_at=cosignature.cosigned_at,
        )
    OverrideCosignature.objects.using(db).all().delete()


class Migration(migrations.Migration):
    dependencies = [("screening", "0015_override_cosignature")]

    operations = [migrations.RunPython(cosignatures_from_overrides, overrides_from_cosignatures)]
