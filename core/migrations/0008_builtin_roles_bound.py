"""Each role is bound to its group by id (BuiltinRole): from now on the code reads roles from that binding,
not from group names, so renaming a group keeps its role and a role's group cannot be deleted."""

from django.db import migrations

ROLES = ("Clinician", "Physician", "Rules admin", "Report staff", "Auditor")


def bind(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    BuiltinRole = apps.get_model("core", "BuiltinRole")
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        BuiltinRole.objects.get_or_create(role=role, defaults={"group": group})


def unbind(apps, schema_editor):
    apps.get_model("core", "BuiltinRole").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0007_builtin_roles"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(bind, unbind)]
