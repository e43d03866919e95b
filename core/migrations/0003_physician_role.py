"""The physician role: only physicians record overrides, co-sign and sign. Existing clinicians keep their
access and are not made physicians: who signs for the clinic is the clinic's call
(`manage.py create_user NAME --role physician`, or the admin's group page)."""

from django.db import migrations


def create_role(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name="Physician")


def remove_role(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Physician").delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0002_api_tokens")]

    operations = [migrations.RunPython(create_role, remove_role)]
