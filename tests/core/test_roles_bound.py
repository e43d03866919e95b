"""Roles are bound to their groups by id: renaming a group keeps its role, a look-alike group name gives no
access, and a role's group cannot be deleted (not even from the admin)."""

import pytest
from django.contrib.auth.models import Group
from django.db.models import ProtectedError
from django.urls import reverse

from core.models import BuiltinRole
from core.roles import ALL_ROLES, CLINICIAN, has_any_role, role_group, user_roles

pytestmark = pytest.mark.django_db


def fresh(user):
    user.__dict__.pop("_role_names", None)
    return user


def test_the_migration_binds_every_role_to_its_group():
    assert set(BuiltinRole.objects.values_list("role", flat=True)) == set(ALL_ROLES)


def test_renaming_a_roles_group_keeps_everyone_s_access(clinician, clinician_client):
    group = role_group(CLINICIAN)
    group.name = "Clinicians (renamed)"
    group.save()
    assert user_roles(fresh(clinician)) == {CLINICIAN}
    assert clinician_client.get(reverse("patients:list")).status_code == 200


def test_a_group_named_like_a_role_gives_no_access(make_user):
    user = make_user("mallory")
    Group.objects.filter(pk=role_group(CLINICIAN).pk).update(name="Clinic staff")
    impostor = Group.objects.create(name="Clinician")  # the role's old name, on another group
    user.groups.add(impostor)
    assert not has_any_role(fresh(user), [CLINICIAN])


def test_a_roles_group_cannot_be_deleted():
    with pytest.raises(ProtectedError):
        role_group(CLINICIAN).delete()
    assert BuiltinRole.objects.filter(role=CLINICIAN).exists()


def test_the_admin_refuses_to_delete_a_roles_group(admin_client):
    group = role_group(CLINICIAN)
    page = admin_client.post(reverse("admin:auth_group_delete", args=[group.pk]), {"post": "yes"})
    assert page.status_code == 200 and "Cannot delete group" in page.content.decode()
    assert Group.objects.filter(pk=group.pk).exists()
