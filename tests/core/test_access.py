import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from core.roles import ALL_ROLES

pytestmark = pytest.mark.django_db


def test_the_three_roles_exist_as_groups():
    assert set(Group.objects.values_list("name", flat=True)) >= set(ALL_ROLES)


def test_home_page_requires_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_page_is_public_and_has_a_form(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content


def test_signing_in_shows_the_user_and_role(client, clinician):
    response = client.post(
        reverse("login"), {"username": "clin", "password": "a-long-test-password-1"}, follow=True
    )
    assert response.status_code == 200
    assert b"Clinician" in response.content
    assert b"Sign out" in response.content


def test_wrong_password_re_renders_the_form_with_the_username(client, clinician):
    response = client.post(reverse("login"), {"username": "clin", "password": "wrong"})
    assert response.status_code == 200
    assert b'value="clin"' in response.content
    assert b"Please enter a correct username and password" in response.content


def test_admin_site_requires_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302


def test_rule_set_pages_refuse_a_user_without_a_role(client, make_user):
    client.force_login(make_user("nobody"))
    assert client.get(reverse("rules:ruleset_list")).status_code == 403


def test_rule_set_pages_open_for_rules_admin(client, rules_admin):
    client.force_login(rules_admin)
    assert client.get(reverse("rules:ruleset_list")).status_code == 200


def test_health_endpoint_is_public_and_says_nothing_else(client):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.content.strip() == b"ok"


def test_logout_is_a_post_and_returns_to_login(client, clinician):
    client.force_login(clinician)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302
