"""The CDS Hooks service (docs/cds-hooks.md): discovery, what a call records (one audit entry, nothing else),
feedback in the audit trail, and the answers to a call that cannot be screened as sent (400, 404, 405, 412,
413). Every call is made on both mounts, the specification's /cds-services and the JSON API's
/api/v1/cds-services. The cards themselves: test_cds_hooks_cards.py; reading the prefetch:
test_cds_hooks_prefetch.py; the caller's JWT: test_cds_hooks_auth.py and test_cds_hooks_keys.py."""

import json
import logging

import pytest

from core.models import AuditEvent
from interop.cds_hooks.cards import OVERRIDE_REASONS
from interop.cds_hooks.prefetch import PREFETCH, REQUIRED
from interop.cds_hooks.service import SERVICE_ID
from patients.models import Patient
from patients.services import intake_import
from rules.selectors import active_ruleset, ruleset_document
from rules.services import ruleset_import
from screening.models import Screening
from tests.api.conftest import bearer
from tests.defaults_snapshot import load_defaults_for_test

from .cds_hooks_support import (
    HOST,
    ISS,
    MOUNTS,
    call,
    example,
    feedback,
    hook_call,
    post,
    prefetch,
    trusted_issuer,
)

pytestmark = pytest.mark.django_db

CARD = "9368d37b-283f-44a0-93ea-547cebab93ed"


@pytest.fixture
def issuer(settings):
    return trusted_issuer(settings)


@pytest.fixture
def ready(on_assessment_day, issuer):
    """The default rule set and formulary; today is the examples' assessment day."""
    load_defaults_for_test()
    return issuer


@pytest.fixture(params=MOUNTS)
def mount(request):
    return request.param


def last_event():
    return AuditEvent.objects.order_by("-seq").first()


def as_text(event) -> str:
    return json.dumps([str(getattr(event, f.name)) for f in AuditEvent._meta.fields])


# ---------------------------------------------------------------------------------------------- discovery


@pytest.mark.parametrize("path", MOUNTS)
def test_discovery_lists_the_patient_view_service_to_anyone(client, path):
    response = client.get(path)
    assert response.status_code == 200
    (service,) = response.json()["services"]
    assert service["hook"] == "patient-view"
    assert service["id"] == SERVICE_ID
    assert service["title"] and service["description"] and service["usageRequirements"]
    assert service["prefetch"] == PREFETCH
    assert all("{{context.patientId}}" in template for template in service["prefetch"].values())


def test_both_mounts_answer_discovery_alike(client):
    assert client.get(MOUNTS[0]).json() == client.get(MOUNTS[1]).json()


# ---------------------------------------------------------------------------------------------- storage, audit


def test_a_call_stores_nothing_but_its_audit_entry(client, ready, mount):
    doc = example("deferred-bp-and-benzodiazepine")
    before = (Patient.objects.count(), Screening.objects.count(), AuditEvent.objects.count())
    cards = call(client, ready, mount, hook_call(prefetch(doc)))
    assert (Patient.objects.count(), Screening.objects.count()) == before[:2]
    assert AuditEvent.objects.count() == before[2] + 1
    event = last_event()
    assert (event.action, event.object_type, event.user_id) == ("screen", "cds_hook", None)
    assert event.object_id == "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea"
    assert event.user_name == f"CDS client {ISS} (sub ehr-client-7)"
    assert event.detail == (
        f"CDS Hooks {SERVICE_ID}, nothing stored; EHR user Practitioner/dr-1; summary card {cards[0]['uuid']}"
    )
    for phi in (doc["patient"]["mrn"], doc["patient"]["family_name"], doc["patient"]["date_of_birth"]):
        assert phi not in as_text(event)


@pytest.mark.parametrize(
    "user",
    [
        "Practitioner/Ana Silva 1980-02-03",  # free text after the type
        "Patient/ehr-4711",  # never a patient
        "practitioner/dr-1",
        "Practitioner/" + "x" * 65,
        "Dr. Silva",
        "Practitioner/dr-1\nPatient/ehr-4711",
    ],
)
def test_an_ehr_user_that_is_not_a_practitioner_reference_is_audited_as_unrecognised(
    client, ready, mount, user
):
    body = hook_call(prefetch(example("eligible")))
    body["context"]["userId"] = user
    call(client, ready, mount, body)
    assert "; EHR user unrecognised; summary card " in last_event().detail
    assert "Silva" not in as_text(last_event()) and "ehr-4711" not in as_text(last_event())


def test_a_practitioner_role_is_audited_as_the_ehr_user(client, ready, mount):
    body = hook_call(prefetch(example("eligible")))
    body["context"]["userId"] = "PractitionerRole/role-7.a"
    call(client, ready, mount, body)
    assert "; EHR user PractitionerRole/role-7.a; " in last_event().detail


def test_a_hook_instance_that_is_not_a_uuid_is_audited_as_its_hash(client, ready, mount):
    call(client, ready, mount, hook_call(prefetch(example("eligible")), instance="visit of A. Silva"))
    object_id = last_event().object_id
    assert object_id.startswith("sha256:") and "Silva" not in object_id


def test_the_audit_entry_names_the_apps_patient_when_the_mrn_matches(client, ready, mount):
    doc = example("eligible")
    patient, _ = intake_import(doc=doc)
    call(client, ready, mount, hook_call(prefetch(doc)))
    assert last_event().patient_id == patient.pk


def test_no_patient_data_reaches_the_log(client, ready, mount, caplog):
    doc = example("contraindicated-avm")
    with caplog.at_level(logging.DEBUG):
        call(client, ready, mount, hook_call(prefetch(doc)))
        post(client, ready, f"{mount}/{SERVICE_ID}", {"hook": "patient-view"})
    for phi in (doc["patient"]["mrn"], doc["patient"]["family_name"], doc["patient"]["date_of_birth"]):
        assert phi not in caplog.text


# ---------------------------------------------------------------------------------------------- feedback


def with_a_coded_reason():
    """The active rule set, with BP-STAGE2 offering a coded override reason."""
    document = ruleset_document(active_ruleset())
    document["version"] = "2026.4-reasons"
    for rule in document["rules"]:
        if rule["code"] == "BP-STAGE2":
            rule["override_reasons"] = [{"code": "repeat_normal", "display": "A repeat reading is normal"}]
    ruleset_import(data=document, shipped=True, note="CDS Hooks feedback test")


def overridden(code, system=OVERRIDE_REASONS, comment="Ana Silva's repeat reading was fine"):
    return feedback(
        CARD,
        outcome="overridden",
        overrideReason={"reason": {"code": code, "system": system}, "userComment": comment},
    )


def test_feedback_is_audited_with_the_card_outcome_and_reason_code_never_the_comment(client, ready, mount):
    with_a_coded_reason()
    response = post(client, ready, f"{mount}/{SERVICE_ID}/feedback", overridden("repeat_normal"))
    assert response.status_code == 200
    assert response.json() == {"recorded": 1}
    event = last_event()
    assert (event.action, event.object_type, event.object_id) == ("feedback", "cds_card", CARD)
    assert event.detail == f"CDS Hooks {SERVICE_ID}: overridden, reason repeat_normal"
    assert event.user_name == f"CDS client {ISS} (sub ehr-client-7)"
    assert "Silva" not in as_text(event)


@pytest.mark.parametrize(
    ("code", "system"),
    [
        ("Ana Silva DOB 1980-02-03", OVERRIDE_REASONS),  # free text
        ("made_up", OVERRIDE_REASONS),  # no rule offers it
        ("repeat_normal", "http://ehr.example.org/reasons"),  # the code of another system
    ],
)
def test_a_reason_the_rule_set_does_not_offer_is_audited_as_unrecognised(client, ready, mount, code, system):
    with_a_coded_reason()
    response = post(client, ready, f"{mount}/{SERVICE_ID}/feedback", overridden(code, system))
    assert response.status_code == 200
    assert last_event().detail == f"CDS Hooks {SERVICE_ID}: overridden, reason unrecognised"
    assert "Silva" not in as_text(last_event())


def test_a_reason_without_its_system_is_a_400(client, ready, mount):
    body = feedback(CARD, outcome="overridden", overrideReason={"reason": {"code": "repeat_normal"}})
    response = post(client, ready, f"{mount}/{SERVICE_ID}/feedback", body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "feedback.0.overrideReason.reason.system"


def test_each_feedback_item_is_an_entry(client, ready, mount):
    body = feedback(CARD)
    body["feedback"].append({**body["feedback"][0], "card": "f6b95768-b1c8-40dc-8385-bf3504b82ffb"})
    before = AuditEvent.objects.filter(action="feedback").count()
    assert post(client, ready, f"{mount}/{SERVICE_ID}/feedback", body).json() == {"recorded": 2}
    assert AuditEvent.objects.filter(action="feedback").count() == before + 2


# ---------------------------------------------------------------------------------------------- 412


def test_a_required_prefetch_not_sent_is_a_412_that_names_it(client, ready, mount):
    sent = prefetch(example("eligible"))
    del sent["medications"], sent["bodyMeasures"]
    before = AuditEvent.objects.count()
    response = post(client, ready, f"{mount}/{SERVICE_ID}", hook_call(sent))
    assert response.status_code == 412
    (message,) = response.json().values()
    assert "Required prefetch not sent: medications, bodyMeasures." in message
    assert AuditEvent.objects.count() == before  # nothing was screened


def test_no_prefetch_at_all_is_a_412_that_names_every_required_key(client, ready, mount):
    response = post(client, ready, f"{mount}/{SERVICE_ID}", hook_call(None))
    assert response.status_code == 412
    assert ", ".join(REQUIRED) in response.json()["error"]


def test_the_optional_questionnaire_may_be_left_out(client, ready, mount):
    assert call(client, ready, mount, hook_call(prefetch(example("eligible"), questionnaire=False)))


def test_the_412_is_in_the_openapi_schema(client, clinician):
    schema = client.get("/api/v1/openapi.json", headers=bearer(clinician)).json()
    responses = schema["paths"]["/api/v1/cds-services/{service_id}"]["post"]["responses"]
    assert "412" in responses


# ---------------------------------------------------------------------------------------------- bad requests


def test_a_body_that_is_not_json_is_a_400_with_the_message(client, ready, mount):
    path = f"{mount}/{SERVICE_ID}"
    token = ready.token(HOST + path)
    response = client.post(
        path, data="{not json", content_type="application/json", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 400
    ((problem),) = response.json()["errors"]
    assert problem["path"] == "document"


def test_a_call_without_its_context_is_a_400_by_path(client, ready, mount):
    response = post(client, ready, f"{mount}/{SERVICE_ID}", {"hook": "patient-view", "hookInstance": "x"})
    assert response.status_code == 400
    assert {"path": "context", "message": "Field required"} in response.json()["errors"]


def with_user(text):
    body = hook_call(prefetch(example("eligible")))
    body["context"]["userId"] = text
    return "", body


def with_hook_instance(text):
    return "", hook_call(prefetch(example("eligible")), instance=text)


def with_reason_code(text):
    return "/feedback", overridden(text)


@pytest.mark.parametrize("make", [with_user, with_hook_instance, with_reason_code], ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Practitioner/a\x00b", "contains a NUL character"),
        ("Practitioner/a\ud800b", "contains an invalid character (a lone UTF-16 surrogate)"),
    ],
    ids=["nul", "lone-surrogate"],
)
def test_text_no_database_can_store_is_a_400_on_both_mounts(client, ready, mount, make, text, message):
    tail, body = make(text)
    before = AuditEvent.objects.count()
    response = post(client, ready, f"{mount}/{SERVICE_ID}{tail}", body)
    assert response.status_code == 400
    assert [problem["message"] for problem in response.json()["errors"]] == [message]
    assert AuditEvent.objects.count() == before


def test_the_wrong_hook_is_a_400(client, ready, mount):
    body = {**hook_call(prefetch(example("eligible"))), "hook": "order-sign"}
    response = post(client, ready, f"{mount}/{SERVICE_ID}", body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "hook"


def test_feedback_with_an_unknown_outcome_is_a_400(client, ready, mount):
    response = post(client, ready, f"{mount}/{SERVICE_ID}/feedback", feedback(CARD, outcome="ignored"))
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "feedback.0.outcome"


@pytest.mark.parametrize("tail", ["", "/feedback"])
def test_an_unknown_service_is_a_404(client, ready, mount, tail):
    body = hook_call(prefetch(example("eligible"))) if not tail else feedback(CARD)
    response = post(client, ready, f"{mount}/no-such-service{tail}", body)
    assert response.status_code == 404
    assert set(response.json()) == {"error"}


def test_a_body_too_large_is_a_413_before_anything_is_read(client, ready, mount, settings):
    settings.API_MAX_BODY_BYTES = 100
    response = post(client, ready, f"{mount}/{SERVICE_ID}", hook_call(prefetch(example("eligible"))))
    assert response.status_code == 413
    assert set(response.json()) == {"error"}


@pytest.mark.parametrize("tail", ["", "/feedback"])
def test_a_service_answers_only_post(client, ready, mount, tail):
    assert client.get(f"{mount}/{SERVICE_ID}{tail}").status_code == 405


@pytest.mark.parametrize("tail", ["", "/feedback"])
def test_no_token_is_a_401_before_anything_is_read(client, ready, mount, tail):
    response = client.post(f"{mount}/{SERVICE_ID}{tail}", data="{}", content_type="application/json")
    assert response.status_code == 401
    assert set(response.json()) == {"error"}
