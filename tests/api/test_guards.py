"""Refusals added after review: service accounts do not vouch, input the API cannot use is 400 by path,
and anything under /api/v1/ that is not an operation answers in JSON."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from screening.models import FindingOverride, SignOff
from screening.review import SERVICE_ACCOUNT_REFUSED, finding_override

from .conftest import API


@pytest.fixture
def service_account(django_user_model):
    call_command("create_user", "ehr-bridge", "--role", "clinician", "--no-password", stdout=None)
    return django_user_model.objects.get(username="ehr-bridge")


def test_a_service_account_cannot_cosign(api_as, service_account, avm_override):
    response = api_as(service_account).post(
        f"/screenings/{avm_override.screening_id}/overrides/{avm_override.pk}/cosign"
    )

    assert (response.status_code, response.json()["error"]) == (409, SERVICE_ACCOUNT_REFUSED)
    assert FindingOverride.objects.get().cosigned_at is None


def test_a_service_account_cannot_sign(api_as, service_account, deferred_screening):
    response = api_as(service_account).post(f"/screenings/{deferred_screening.pk}/signoff")

    assert (response.status_code, response.json()["error"]) == (409, SERVICE_ACCOUNT_REFUSED)
    assert not SignOff.objects.exists()


def test_a_service_account_can_still_override(api_as, service_account, deferred_screening):
    rule = next(f["rule"] for f in deferred_screening.report["findings"] if f["severity"] != "info")

    response = api_as(service_account).post(
        f"/screenings/{deferred_screening.pk}/overrides", {"rule": rule, "reason": "From the EHR"}
    )

    assert response.status_code == 201


def test_the_page_refuses_a_service_account_signature_too(client, service_account, deferred_screening):
    client.force_login(service_account)

    response = client.post(reverse("screening:sign", args=[deferred_screening.pk]), follow=True)

    assert SERVICE_ACCOUNT_REFUSED in response.content.decode()
    assert not SignOff.objects.exists()


@pytest.mark.parametrize(
    ("body", "path"),
    [({"rule": "", "reason": "fine"}, "rule"), ({"rule": "BP-STAGE2", "reason": "   "}, "reason")],
    ids=["empty rule", "blank reason"],
)
def test_an_empty_override_field_is_400_by_path(clinician_api, deferred_screening, body, path):
    response = clinician_api.post(f"/screenings/{deferred_screening.pk}/overrides", body)

    assert response.status_code == 400
    assert [e["path"] for e in response.json()["errors"]] == [path]


@pytest.mark.parametrize("day", ["1899-12-31", "2101-01-01"])
def test_an_export_date_outside_1900_to_2100_is_400(clinician_api, import_example, day):
    patient = import_example("eligible")

    response = clinician_api.get(f"/patients/{patient.pk}/intake", {"assessed_on": day})

    assert response.status_code == 400
    assert [e["path"] for e in response.json()["errors"]] == ["assessed_on"]


def test_a_content_length_that_is_not_a_number_is_400(client, clinician, defaults):
    from core.tokens import api_token_create

    _, secret = api_token_create(user=clinician)
    response = client.generic(
        "POST",
        f"{API}/screen",
        data=b"{}",
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
        CONTENT_LENGTH="twelve",
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "Content-Length"


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_unknown_api_path_is_a_json_404(client, method):
    response = getattr(client, method)(f"{API}/no/such/thing")

    assert response.status_code == 404
    assert "error" in response.json()


def test_a_service_account_override_is_recorded_under_its_name(service_account, deferred_screening):
    rule = next(f["rule"] for f in deferred_screening.report["findings"] if f["severity"] != "info")

    override = finding_override(
        screening=deferred_screening, rule=rule, reason="From the EHR", user=service_account
    )

    assert override.overridden_by_name == "ehr-bridge"
