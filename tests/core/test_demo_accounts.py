import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import HttpRequest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_demo_accounts_are_refused_outside_debug(django_user_model):
    with pytest.raises(CommandError, match="local development only"):
        call_command("create_demo_accounts")
    assert django_user_model.objects.count() == 0


@override_settings(DEBUG=True)
def test_demo_accounts_get_one_role_each_and_can_sign_in(client, django_user_model):
    call_command("create_demo_accounts")
    call_command("create_demo_accounts")  # idempotent
    roles = {
        u.username: list(u.groups.values_list("name", flat=True)) for u in django_user_model.objects.all()
    }
    assert roles == {
        "clinician": ["Clinician"],
        "physician": ["Physician"],
        "physician2": ["Physician"],
        "rulesadmin": ["Rules admin"],
        "staff": ["Report staff"],
    }
    # django-axes' backend needs the request (it counts failures against the client's address)
    assert client.login(request=HttpRequest(), username="clinician", password="demo-clinician-pass")
