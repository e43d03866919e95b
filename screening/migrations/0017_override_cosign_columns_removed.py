"""The override's cosigned_* columns go: its co-signature is the OverrideCosignature row (0016 copied them)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("screening", "0016_cosignatures_copied")]

    operations = [
        migrations.RemoveConstraint(model_name="findingoverride", name="cosigner_is_another_clinician"),
        migrations.RemoveField(model_name="findingoverride", name="cosigned_at"),
        migrations.RemoveField(model_name="findingoverride", name="cosigned_by"),
        migrations.RemoveField(model_name="findingoverride", name="cosigned_by_name"),
    ]
