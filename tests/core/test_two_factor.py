"""Two-factor sign-in: physicians, rules admins, auditors and staff accounts give a code from an
authenticator app after their password (enrolling first if they have none); others may enrol. Until then
every page but sign-in/out and the two-factor steps sends them there, and the JSON API does not take their
session; bearer tokens are unaffected."""

import re

import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.models import AuditEvent
from core.roles import AUDITOR, CLINICIAN, RULES_ADMIN
from core.tokens import api_token_create
from core.twofactor import backup_codes_replace
from tests.conftest import authenticator, next_code

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password-1"
INTAKE = "/api/v1/patients/999/intake"  # any API operation a physician may call (404: no such patient)


@pytest.fixture
def password_only(client):
    """A client whose force_login stops after the password."""

    def sign_in(user):
        client.force_login_password_only(user)
        return client

    return sign_in


def verify(client, code: str, next_url: str = ""):
    return client.post(reverse("two_factor_verify"), {"code": code, "next": next_url})


def enrol_confirm(client, user):
    """Open the enrolment page (it makes the pending authenticator) and confirm it with its code."""
    client.get(reverse("two_factor_enrol"))
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    return client.post(reverse("two_factor_enrol"), {"code": next_code(device)})


# -- who is asked -------------------------------------------------------------------------------------------


def test_a_physician_without_a_device_is_sent_to_enrolment(password_only, physician):
    response = password_only(physician).get(reverse("patients:list"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('two_factor_enrol')}?next=%2Fpatients%2F"


def test_a_physician_with_a_device_is_sent_to_the_code_step(password_only, physician):
    authenticator(physician)

    response = password_only(physician).get(reverse("home"))

    assert response["Location"] == f"{reverse('two_factor_verify')}?next=%2F"


@pytest.mark.parametrize("role", [RULES_ADMIN, AUDITOR])
def test_rules_admins_and_auditors_must_verify_too(password_only, make_user, role):
    response = password_only(make_user("someone", role)).get(reverse("home"))

    assert response["Location"].startswith(reverse("two_factor_enrol"))


def test_a_staff_account_must_verify_before_the_admin(password_only, make_user):
    admin = make_user("it-admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()

    response = password_only(admin).get("/admin/")

    assert response["Location"].startswith(reverse("two_factor_enrol"))


def test_a_clinician_without_a_device_is_not_asked(password_only, clinician):
    assert password_only(clinician).get(reverse("patients:list")).status_code == 200


def test_a_clinician_who_enrolled_is_asked_for_a_code(password_only, clinician):
    authenticator(clinician)

    response = password_only(clinician).get(reverse("patients:list"))

    assert response["Location"].startswith(reverse("two_factor_verify"))


def test_the_required_roles_come_from_the_setting(password_only, make_user, settings):
    settings.TWO_FACTOR_REQUIRED_ROLES = ["physician"]

    assert password_only(make_user("admin1", RULES_ADMIN)).get(reverse("home")).status_code == 200


def test_nobody_is_asked_when_not_enforced(password_only, physician, settings):
    settings.TWO_FACTOR_ENFORCED = False
    authenticator(physician)

    assert password_only(physician).get(reverse("patients:list")).status_code == 200


def test_the_enrolment_page_stays_open(password_only, physician):
    assert password_only(physician).get(reverse("two_factor_enrol")).status_code == 200


def test_the_code_step_stays_open(password_only, physician):
    authenticator(physician)

    assert password_only(physician).get(reverse("two_factor_verify")).status_code == 200


def test_signing_out_stays_open(password_only, physician):
    client = password_only(physician)

    response = client.post(reverse("logout"))

    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


def test_static_files_are_not_redirected(password_only, physician):
    response = password_only(physician).get("/static/js/session-timeout.js")

    assert response.status_code == 200


# -- the code step ------------------------------------------------------------------------------------------


def test_the_password_then_the_code_signs_in(client, physician):
    device = authenticator(physician)
    response = client.post(reverse("login"), {"username": "doc1", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("two_factor_verify"))

    response = verify(client, next_code(device), next_url="/patients/")

    assert response["Location"] == "/patients/"
    assert client.get(reverse("patients:list")).status_code == 200


def test_the_session_id_changes_when_the_code_is_given(password_only, physician):
    client = password_only(physician)
    before = client.cookies["sessionid"].value

    verify(client, next_code(authenticator(physician)))

    assert client.cookies["sessionid"].value != before


def test_a_wrong_code_is_refused_and_audited(password_only, physician):
    authenticator(physician)
    client = password_only(physician)

    response = verify(client, "000000")

    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302
    (event,) = AuditEvent.objects.filter(action="otp_failed")
    assert (event.user_name, event.detail) == ("doc1", "authenticator: wrong code")


def test_after_a_wrong_code_the_device_makes_the_user_wait(password_only, physician):
    device = authenticator(physician)
    client = password_only(physician)
    verify(client, "000000")

    response = verify(client, next_code(device))

    assert "Too many wrong codes" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302
    assert AuditEvent.objects.filter(action="otp_failed").count() == 2


def test_a_code_is_accepted_once(client, physician):
    device = authenticator(physician)
    code = next_code(device)
    client.force_login_password_only(physician)
    verify(client, code)
    client.post(reverse("logout"))

    client.force_login_password_only(physician)
    response = verify(client, code)

    assert "That code is not right" in response.content.decode()


def test_a_backup_code_signs_in_once(client, physician):
    authenticator(physician)
    client.force_login_password_only(physician)
    (code, *_) = backup_codes_replace(user=physician)

    assert verify(client, code.upper())["Location"] == reverse("home")
    client.post(reverse("logout"))
    client.force_login_password_only(physician)
    assert verify(client, code).status_code == 200
    assert not StaticToken.objects.filter(token=code).exists()


def test_the_next_address_must_be_on_this_site(password_only, physician):
    client = password_only(physician)

    response = verify(client, next_code(authenticator(physician)), next_url="https://evil.example/")

    assert response["Location"] == reverse("home")


# -- enrolment ----------------------------------------------------------------------------------------------


def test_the_enrolment_page_shows_a_qr_code_and_the_secret_without_inline_script_or_style(
    password_only, physician
):
    response = password_only(physician).get(reverse("two_factor_enrol"))

    page = response.content.decode()
    device = TOTPDevice.objects.get(user=physician, confirmed=False)
    assert '<svg width="' in page
    assert "QR code for your authenticator app" in page
    secret = re.search(r'data-testid="otp-secret">([A-Z2-7 ]+)<', page).group(1)
    assert len(secret.replace(" ", "")) == 32
    assert device.config_url.split("secret=")[1].startswith(secret.replace(" ", "")[:8])
    assert "<script>" not in page and " style=" not in page and "<style" not in page


def test_the_enrolment_page_keeps_its_secret_until_confirmed(password_only, physician):
    client = password_only(physician)
    client.get(reverse("two_factor_enrol"))
    client.get(reverse("two_factor_enrol"))

    assert TOTPDevice.objects.filter(user=physician).count() == 1


def test_the_first_code_confirms_enrolment_and_shows_ten_backup_codes_once(password_only, physician):
    client = password_only(physician)

    response = enrol_confirm(client, physician)

    page = response.content.decode()
    codes = StaticToken.objects.filter(device__user=physician).values_list("token", flat=True)
    assert len(codes) == 10
    assert all(code in page for code in codes)
    assert TOTPDevice.objects.get(user=physician).confirmed
    assert client.get(reverse("patients:list")).status_code == 200
    assert not any(code in client.get(reverse("two_factor_enrol")).content.decode() for code in codes)
    (event,) = AuditEvent.objects.filter(action="otp_enrol")
    assert event.user_name == "doc1"


def test_a_wrong_first_code_leaves_the_device_unconfirmed(password_only, physician):
    client = password_only(physician)
    client.get(reverse("two_factor_enrol"))

    response = client.post(reverse("two_factor_enrol"), {"code": "000000"})

    assert "That code is not right" in response.content.decode()
    assert not TOTPDevice.objects.get(user=physician).confirmed
    assert AuditEvent.objects.get(action="otp_failed").detail == "enrolment"


def test_a_password_alone_never_adds_a_device_to_an_enrolled_account(password_only, physician):
    authenticator(physician)
    client = password_only(physician)

    page = client.get(reverse("two_factor_enrol"))
    post = client.post(reverse("two_factor_enrol"), {"code": "123456"})

    assert page["Location"].startswith(reverse("two_factor_verify"))
    assert post["Location"].startswith(reverse("two_factor_verify"))
    assert TOTPDevice.objects.filter(user=physician).count() == 1


def test_a_verified_user_sees_the_status_and_may_make_new_backup_codes(physician_client, physician):
    old = backup_codes_replace(user=physician)
    status = physician_client.get(reverse("two_factor_enrol"))

    response = physician_client.post(reverse("two_factor_backup_codes"))

    assert "Backup codes left: 10" in status.content.decode()
    new = list(StaticToken.objects.filter(device__user=physician).values_list("token", flat=True))
    assert len(new) == 10 and not set(new) & set(old)
    assert all(code in response.content.decode() for code in new)


def test_new_backup_codes_need_a_verified_session(password_only, physician):
    authenticator(physician)

    response = password_only(physician).post(reverse("two_factor_backup_codes"))

    assert response.status_code == 302
    assert not StaticDevice.objects.exists()


def test_a_clinician_may_enrol(password_only, clinician):
    client = password_only(clinician)

    enrol_confirm(client, clinician)

    assert TOTPDevice.objects.get(user=clinician).confirmed


def test_others_may_not_enrol_when_the_setting_says_so(password_only, make_user, settings):
    settings.TWO_FACTOR_OPTIONAL_FOR_OTHERS = False

    response = password_only(make_user("nurse", CLINICIAN)).get(reverse("two_factor_enrol"))

    assert response.status_code == 403


# -- the JSON API -------------------------------------------------------------------------------------------


def test_the_api_refuses_the_session_of_an_unverified_physician(password_only, physician):
    response = password_only(physician).get(INTAKE)

    assert response.status_code == 401


def test_the_api_takes_the_session_of_a_verified_physician(physician_client):
    assert physician_client.get(INTAKE).status_code == 404


def test_a_bearer_token_is_a_credential_of_its_own(client, physician):
    _, secret = api_token_create(user=physician)

    response = client.get(INTAKE, headers={"Authorization": f"Bearer {secret}"})

    assert response.status_code == 404


# -- the admin ----------------------------------------------------------------------------------------------


def test_the_admin_shows_a_users_devices_to_delete_but_never_their_key(admin_client, physician):
    device = authenticator(physician)

    page = admin_client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk])).content.decode()

    assert "test authenticator" in page
    assert device.key not in page
