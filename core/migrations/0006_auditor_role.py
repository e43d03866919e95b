"""The auditor role: reads the audit trail (who accessed what), nothing clinical."""

from django.db import migrations


def create_role(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name="Auditor")


def remove_role(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Auditor").delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0005_append_only_triggers")]

    operations = [migrations.RunPython(create_role, remove_role)]
