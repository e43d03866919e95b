"""Refusals added after review: service accounts do not vouch, input the API cannot use is 400 by path,
and anything under /api/v1/ that is not an operation answers in JSON."""

import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from screening.models import FindingOverride, SignOff
from screening.review import SERVICE_ACCOUNT_REFUSED, ScreeningRefused, finding_override

from .conftest import API, example


@pytest.fixture
def service_account(django_user_model):
    """An account made without a password, even given the physician role: it may not vouch."""
    call_command(
        "create_user",
        "ehr-bridge",
        "--role",
        "clinician",
        "--role",
        "physician",
        "--no-password",
        stdout=None,
    )
    return django_user_model.objects.get(username="ehr-bridge")


def test_a_service_account_cannot_cosign(api_as, service_account, avm_override):
    response = api_as(service_account).post(
        f"/screenings/{avm_override.screening_id}/overrides/{avm_override.pk}/cosign"
    )

    assert (response.status_code, response.json()["error"]) == (409, SERVICE_ACCOUNT_REFUSED)
    assert FindingOverride.objects.get().cosigned_at is None


@pytest.mark.parametrize("decision", ["cleared", "not_cleared"])
def test_a_service_account_cannot_sign(api_as, service_account, deferred_screening, decision):
    response = api_as(service_account).post(
        f"/screenings/{deferred_screening.pk}/signoff", {"decision": decision}
    )

    assert (response.status_code, response.json()["error"]) == (409, SERVICE_ACCOUNT_REFUSED)
    assert not SignOff.objects.exists()


def test_a_service_account_cannot_override(api_as, service_account, deferred_screening):
    response = api_as(service_account).post(
        f"/screenings/{deferred_screening.pk}/overrides", {"rule": "BP-STAGE2", "reason": "From the EHR"}
    )

    assert (response.status_code, response.json()["error"]) == (409, SERVICE_ACCOUNT_REFUSED)
    assert not FindingOverride.objects.exists()


def test_a_service_account_can_still_import_screen_and_suggest(api_as, service_account, defaults):
    bridge = api_as(service_account)
    patient_id = bridge.post("/intakes", example("deferred-bp-and-benzodiazepine")).json()["patient_id"]
    screening = bridge.post(f"/patients/{patient_id}/screenings")
    assert screening.status_code == 201

    response = bridge.post(
        f"/screenings/{screening.json()['id']}/suggestions", {"rule": "BP-STAGE2", "note": "From the EHR"}
    )

    assert response.status_code == 201
    assert response.json()["suggested_by"] == "ehr-bridge"


def test_the_page_refuses_a_service_account_signature_too(client, service_account, deferred_screening):
    client.force_login(service_account)

    response = client.post(
        reverse("screening:sign", args=[deferred_screening.pk]), {"decision": "not_cleared"}, follow=True
    )

    assert SERVICE_ACCOUNT_REFUSED in response.content.decode()
    assert not SignOff.objects.exists()


@pytest.mark.parametrize(
    ("body", "path"),
    [({"rule": "", "reason": "fine"}, "rule"), ({"rule": "   ", "reason": "fine"}, "rule")],
    ids=["empty rule", "blank rule"],
)
def test_an_empty_override_field_is_400_by_path(physician_api, deferred_screening, body, path):
    response = physician_api.post(f"/screenings/{deferred_screening.pk}/overrides", body)

    assert response.status_code == 400
    assert [e["path"] for e in response.json()["errors"]] == [path]


def test_a_blank_override_reason_is_refused_by_the_record(physician_api, deferred_screening):
    # the reason may be empty when a coded reason is given, so a blank one is the record's refusal (409)
    response = physician_api.post(
        f"/screenings/{deferred_screening.pk}/overrides", {"rule": "BP-STAGE2", "reason": "   "}
    )

    assert (response.status_code, response.json()["error"]) == (409, "An override reason is required.")
    assert not FindingOverride.objects.exists()


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


def test_the_service_refuses_a_service_account_override_whatever_calls_it(
    service_account, deferred_screening
):
    with pytest.raises(ScreeningRefused, match=re.escape(SERVICE_ACCOUNT_REFUSED)):
        finding_override(
            screening=deferred_screening, rule="BP-STAGE2", reason="From the EHR", user=service_account
        )

    assert not FindingOverride.objects.exists()
