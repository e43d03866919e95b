"""The CDS Hooks service (docs/cds-hooks.md): discovery, a patient-view call answered with cards built from
the prefetch alone, feedback in the audit trail, and nothing stored but the audit entry. Every call is made
on both mounts, the specification's /cds-services and the JSON API's /api/v1/cds-services."""

import json
import logging
from dataclasses import replace

import pytest
from django.urls import reverse

from core.models import AuditEvent
from interop.cds_hooks.cards import OVERRIDE_REASONS, Frame, report_cards
from interop.cds_hooks.prefetch import PREFETCH
from interop.cds_hooks.service import SERVICE_ID
from patients.models import Patient
from patients.services import intake_import
from rules.selectors import active_ruleset, verified_engine_ruleset
from screening.engine.ruleset import OverrideReason
from screening.models import Screening
from screening.services import intake_evaluate
from tests.defaults_snapshot import load_defaults_for_test

from .cds_hooks_support import HOST, ISS, Issuer, example, hook_call, prefetch, searchset

pytestmark = pytest.mark.django_db

MOUNTS = ["/cds-services", "/api/v1/cds-services"]


@pytest.fixture
def issuer(settings):
    ehr = Issuer()
    settings.CDS_HOOKS_ISSUERS = {ISS: {"jwks": ehr.jwks()}}
    return ehr


@pytest.fixture
def ready(on_assessment_day, issuer):
    """The default rule set and formulary; today is the examples' assessment day."""
    load_defaults_for_test()
    return issuer


@pytest.fixture(params=MOUNTS)
def mount(request):
    return request.param


def post(client, issuer, path, body):
    token = issuer.token(HOST + path)
    return client.post(
        path,
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def call(client, issuer, mount, body):
    response = post(client, issuer, f"{mount}/{SERVICE_ID}", body)
    assert response.status_code == 200, response.content
    return response.json()["cards"]


def by_rule(cards):
    return {card["source"].get("topic", {}).get("code"): card for card in cards[1:]}


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


# ---------------------------------------------------------------------------------------------- cards


def test_a_contraindicated_patient_gets_a_critical_summary_and_a_card_for_the_finding(client, ready, mount):
    cards = call(client, ready, mount, hook_call(prefetch(example("contraindicated-avm"))))
    summary = cards[0]
    assert summary["indicator"] == "critical"
    assert summary["summary"].startswith("Ketamine screening: Contraindicated")
    assert summary["source"]["topic"]["code"] == "contraindicated"
    assert summary["source"]["label"].startswith("Ketamine pre-infusion screening, rule set ")
    avm = by_rule(cards)["CV-AVM"]
    assert avm["indicator"] == "critical"
    assert "**Sources:**" in avm["detail"]
    assert all(len(card["summary"]) <= 140 for card in cards)


def test_a_deferred_patient_gets_a_warning_and_a_card_per_finding_above_a_note(client, ready, mount):
    cards = call(client, ready, mount, hook_call(prefetch(example("deferred-bp-and-benzodiazepine"))))
    assert cards[0]["indicator"] == "warning"
    assert cards[0]["source"]["topic"]["code"] == "deferred"
    rules = by_rule(cards)
    assert {"BP-STAGE2", "MEDS-BENZO-HIGH"} <= set(rules)
    assert rules["BP-STAGE2"]["indicator"] == "warning"
    assert "A physician may set it aside in the app, with a reason." in rules["BP-STAGE2"]["detail"]


def test_without_the_intake_questionnaire_every_answer_is_unknown_so_information_is_needed(
    client, ready, mount
):
    cards = call(client, ready, mount, hook_call(prefetch(example("eligible"), questionnaire=False)))
    summary = cards[0]
    assert summary["indicator"] == "warning"
    assert summary["source"]["topic"]["code"] == "needs_information"
    assert "No intake questionnaire was sent (prefetch `intakeQuestionnaire`)" in summary["detail"]
    assert {"PSY-FLAG-UNKNOWN", "MEDS-NOT-RECONCILED"} <= set(by_rule(cards))


def test_the_needs_information_example_needs_information(client, ready, mount):
    cards = call(client, ready, mount, hook_call(prefetch(example("needs-information"))))
    assert cards[0]["source"]["topic"]["code"] == "needs_information"
    assert {"PREG-UNKNOWN", "MEDS-NOT-RECONCILED"} <= set(by_rule(cards))


def test_an_eligible_patient_gets_one_informational_card(client, ready, mount):
    cards = call(client, ready, mount, hook_call(prefetch(example("eligible"))))
    assert [card["indicator"] for card in cards] == ["info"]
    assert cards[0]["source"]["topic"]["code"] == "eligible"
    assert "MEDS-COMPATIBLE" in cards[0]["detail"]  # a note: listed on the summary, no card of its own


def test_the_answer_is_the_same_on_both_mounts(client, ready):
    body = hook_call(prefetch(example("deferred-bp-and-benzodiazepine")))
    assert call(client, ready, MOUNTS[0], body) == call(client, ready, MOUNTS[1], body)


def test_a_card_has_the_shape_cds_hooks_asks_for(client, ready, mount):
    cards = call(client, ready, mount, hook_call(prefetch(example("deferred-bp-and-benzodiazepine"))))
    for card in cards:
        assert set(card) <= {"uuid", "summary", "detail", "indicator", "source", "overrideReasons", "links"}
        assert card["indicator"] in ("info", "warning", "critical")
        (link,) = card["links"]
        assert link["type"] == "absolute" and link["url"].startswith(HOST + "/")
    assert len({card["uuid"] for card in cards}) == len(cards)


# ---------------------------------------------------------------------------------------------- links


def test_a_patient_the_app_knows_is_linked_by_id_never_by_mrn(client, ready, mount):
    doc = example("deferred-bp-and-benzodiazepine")
    patient, _ = intake_import(doc=doc)
    cards = call(client, ready, mount, hook_call(prefetch(doc)))
    (link,) = cards[0]["links"]
    assert link["url"] == HOST + reverse("patients:detail", args=[patient.pk])
    assert doc["patient"]["mrn"] not in json.dumps([card["links"] for card in cards])


def test_a_patient_the_app_does_not_know_is_offered_the_new_patient_page(client, ready, mount):
    cards = call(client, ready, mount, hook_call(prefetch(example("eligible"))))
    assert cards[0]["links"][0]["url"] == HOST + reverse("patients:create")


# ---------------------------------------------------------------------------------------------- fail closed


def test_a_missing_prefetch_stops_the_screening_and_names_it(client, ready, mount):
    sent = prefetch(example("eligible"))
    del sent["medications"]
    (card,) = call(client, ready, mount, hook_call(sent))
    assert card["indicator"] == "warning"
    assert card["summary"] == "Ketamine screening could not run: see the details"
    assert "prefetch `medications` (medications) was not sent" in card["detail"]


def test_no_prefetch_at_all_names_every_required_key(client, ready, mount):
    (card,) = call(client, ready, mount, hook_call(None))
    for key in ("patient", "conditions", "medications", "bloodPressure", "bodyMeasures"):
        assert f"prefetch `{key}`" in card["detail"]


def test_a_search_sent_in_part_stops_the_screening(client, ready, mount):
    sent = prefetch(example("eligible"))
    sent["conditions"]["link"] = [
        {"relation": "next", "url": "https://ehr.example.org/fhir/Condition?page=2"}
    ]
    (card,) = call(client, ready, mount, hook_call(sent))
    assert "prefetch `conditions` holds only the first page" in card["detail"]


def test_a_prefetch_that_is_not_a_resource_stops_the_screening(client, ready, mount):
    sent = {**prefetch(example("eligible")), "conditions": "Condition/dx-0"}
    (card,) = call(client, ready, mount, hook_call(sent))
    assert "prefetch `conditions` is not a FHIR resource" in card["detail"]


def test_a_prefetch_the_service_did_not_ask_for_is_listed_as_not_read(client, ready, mount):
    sent = {**prefetch(example("eligible")), "user": "Practitioner/dr-1"}
    cards = call(client, ready, mount, hook_call(sent))
    assert cards[0]["source"]["topic"]["code"] == "eligible"
    assert "- `prefetch.user`: not a prefetch this service asks for" in cards[0]["detail"]


def test_another_patients_record_stops_the_screening(client, ready, mount):
    sent = prefetch(example("eligible"))
    sent["patient"]["id"] = "someone-else"
    (card,) = call(client, ready, mount, hook_call(sent))
    assert "another patient than the one in context" in card["detail"]


def test_without_an_active_rule_set_the_screening_cannot_run(client, issuer, mount):
    (card,) = call(client, issuer, mount, hook_call(prefetch(example("eligible"))))
    assert "the app has no active rule set it can screen with" in card["detail"]


def test_a_record_without_an_mrn_is_screened_under_a_placeholder_and_says_so(client, ready, mount):
    doc = example("contraindicated-avm")
    intake_import(doc=doc)  # the app knows the MRN, but the EHR sent none: nothing to match it by
    cards = call(client, ready, mount, hook_call(prefetch(doc, mrn=False)))
    assert cards[0]["source"]["topic"]["code"] == "contraindicated"
    assert "no usable MRN" in cards[0]["detail"] and "placeholder" in cards[0]["detail"]
    assert cards[0]["links"][0]["url"] == HOST + reverse("patients:create")


def test_an_mrn_the_intake_refuses_is_replaced_by_a_placeholder(client, ready, mount):
    doc = example("eligible")
    sent = prefetch(doc)
    sent["patient"]["identifier"][0]["value"] = "MRN 12/34"  # a space and a slash: not an MRN of the app
    cards = call(client, ready, mount, hook_call(sent))
    assert cards[0]["source"]["topic"]["code"] == "eligible"
    assert "`patient.mrn` (from `prefetch.patient.identifier[0].value`)" in cards[0]["detail"]


def test_a_patient_without_a_name_is_screened_under_a_placeholder(client, ready, mount):
    sent = prefetch(example("contraindicated-avm"))
    del sent["patient"]["name"]
    cards = call(client, ready, mount, hook_call(sent))
    assert cards[0]["source"]["topic"]["code"] == "contraindicated"
    assert "`patient.given_name`" in cards[0]["detail"] and "the rules do not read it" in cards[0]["detail"]


def test_a_resource_about_another_patient_stops_the_screening(client, ready, mount):
    sent = prefetch(example("eligible"))
    sent["medications"]["entry"][0]["resource"]["subject"] = {"reference": "Patient/someone-else"}
    (card,) = call(client, ready, mount, hook_call(sent))
    assert card["summary"] == "Ketamine screening could not run: see the details"
    assert "`prefetch.medications.entry[0].resource.subject`" in card["detail"]


def test_a_record_the_intake_cannot_accept_says_exactly_what_is_wrong(client, ready, mount):
    sent = prefetch(example("eligible"))
    del sent["patient"]["birthDate"]
    (card,) = call(client, ready, mount, hook_call(sent))
    assert card["summary"] == "Ketamine screening could not run: see the details"
    assert "`patient.date_of_birth`" in card["detail"]


def test_what_was_not_read_is_listed_on_the_summary(client, ready, mount):
    sent = prefetch(example("eligible"))
    sent["conditions"]["entry"].append(
        {
            "resource": {
                "resourceType": "Condition",
                "id": "snomed-only",
                "code": {"coding": [{"system": "http://snomed.info/sct", "code": "35489007"}]},
                "subject": {"reference": "Patient/ehr-4711"},
            }
        }
    )
    cards = call(client, ready, mount, hook_call(sent))
    assert "**Not read from the EHR record (1):**" in cards[0]["detail"]
    assert (
        "`prefetch.conditions.entry[1].resource`: Condition: no ICD-10-CM code \\(SNOMED CT 35489007\\)"
        in cards[0]["detail"]
    )


# ---------------------------------------------------------------------------------------------- overrides


def test_a_rule_that_may_be_set_aside_offers_its_coded_reasons_and_one_that_may_not_offers_none(ready):
    ruleset = verified_engine_ruleset(active_ruleset())
    reasons = (OverrideReason("repeat-normal", "Repeat reading within limits"),)
    rules = tuple(
        replace(r, override_reasons=reasons) if r.code in ("BP-STAGE2", "MEDS-BENZO-HIGH") else r
        for r in ruleset.rules
    )
    ruleset = replace(ruleset, rules=rules)
    report = intake_evaluate(intake=example("deferred-bp-and-benzodiazepine"), ruleset=ruleset)
    frame = Frame("hook-1", "label", HOST + "/", {"label": "x", "url": HOST + "/", "type": "absolute"})
    cards = by_rule(report_cards(frame, report, ruleset, unread=[], assumed=[]))
    policies = {r.code: r.policy for r in ruleset.rules}
    assert policies["BP-STAGE2"] == "reason"
    assert cards["BP-STAGE2"]["overrideReasons"] == [
        {"system": OVERRIDE_REASONS, "code": "repeat-normal", "display": "Repeat reading within limits"}
    ]
    assert policies["MEDS-BENZO-HIGH"] == "none"  # a precaution: followed, never set aside
    assert "overrideReasons" not in cards["MEDS-BENZO-HIGH"]


def test_a_finding_that_can_never_be_set_aside_offers_no_reasons(client, ready, mount):
    cards = call(client, ready, mount, hook_call(prefetch(example("needs-information"))))
    for card in cards[1:]:
        assert "overrideReasons" not in card
    assert (
        "**Override:** Cannot be set aside: record what is missing"
        in by_rule(cards)["PREG-UNKNOWN"]["detail"]
    )


# ---------------------------------------------------------------------------------------------- storage, audit


def test_a_call_stores_nothing_but_its_audit_entry(client, ready, mount):
    doc = example("deferred-bp-and-benzodiazepine")
    before = (Patient.objects.count(), Screening.objects.count(), AuditEvent.objects.count())
    call(client, ready, mount, hook_call(prefetch(doc)))
    assert (Patient.objects.count(), Screening.objects.count()) == before[:2]
    assert AuditEvent.objects.count() == before[2] + 1
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.object_type, event.user_id) == ("screen", "cds_hook", None)
    assert event.object_id == "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea"
    assert event.user_name == f"CDS client {ISS} (sub ehr-client-7)"
    assert event.detail == f"CDS Hooks {SERVICE_ID}, nothing stored; EHR user Practitioner/dr-1"
    row = json.dumps([str(getattr(event, f.name)) for f in AuditEvent._meta.fields])
    for phi in (doc["patient"]["mrn"], doc["patient"]["family_name"], doc["patient"]["date_of_birth"]):
        assert phi not in row


def test_a_hook_instance_that_is_not_a_uuid_is_audited_as_its_hash(client, ready, mount):
    call(client, ready, mount, hook_call(prefetch(example("eligible")), instance="visit of A. Silva"))
    object_id = AuditEvent.objects.order_by("-seq").first().object_id
    assert object_id.startswith("sha256:") and "Silva" not in object_id


def test_the_audit_entry_names_the_apps_patient_when_the_mrn_matches(client, ready, mount):
    doc = example("eligible")
    patient, _ = intake_import(doc=doc)
    call(client, ready, mount, hook_call(prefetch(doc)))
    assert AuditEvent.objects.order_by("-seq").first().patient_id == patient.pk


def test_no_patient_data_reaches_the_log(client, ready, mount, caplog):
    doc = example("contraindicated-avm")
    with caplog.at_level(logging.DEBUG):
        call(client, ready, mount, hook_call(prefetch(doc)))
        post(client, ready, f"{mount}/{SERVICE_ID}", {"hook": "patient-view"})
    for phi in (doc["patient"]["mrn"], doc["patient"]["family_name"], doc["patient"]["date_of_birth"]):
        assert phi not in caplog.text


def feedback(card_id, **item):
    return {
        "feedback": [
            {"card": card_id, "outcome": "accepted", "outcomeTimestamp": "2026-11-20T10:00:00Z", **item}
        ]
    }


def test_feedback_is_audited_with_the_card_outcome_and_reason_code_never_the_comment(client, ready, mount):
    card = "9368d37b-283f-44a0-93ea-547cebab93ed"
    body = feedback(
        card,
        outcome="overridden",
        overrideReason={
            "reason": {"code": "repeat-normal", "system": OVERRIDE_REASONS},
            "userComment": "Ana Silva's repeat reading was fine",
        },
    )
    response = post(client, ready, f"{mount}/{SERVICE_ID}/feedback", body)
    assert response.status_code == 200
    assert response.json() == {"recorded": 1}
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.object_type, event.object_id) == ("feedback", "cds_card", card)
    assert event.detail == f"CDS Hooks {SERVICE_ID}: overridden, reason repeat-normal"
    assert event.user_name == f"CDS client {ISS} (sub ehr-client-7)"
    assert "Silva" not in json.dumps([str(getattr(event, f.name)) for f in AuditEvent._meta.fields])


def test_each_feedback_item_is_an_entry(client, ready, mount):
    body = feedback("9368d37b-283f-44a0-93ea-547cebab93ed")
    body["feedback"].append({**body["feedback"][0], "card": "f6b95768-b1c8-40dc-8385-bf3504b82ffb"})
    before = AuditEvent.objects.filter(action="feedback").count()
    assert post(client, ready, f"{mount}/{SERVICE_ID}/feedback", body).json() == {"recorded": 2}
    assert AuditEvent.objects.filter(action="feedback").count() == before + 2


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


def test_the_wrong_hook_is_a_400(client, ready, mount):
    body = {**hook_call(prefetch(example("eligible"))), "hook": "order-sign"}
    response = post(client, ready, f"{mount}/{SERVICE_ID}", body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "hook"


def test_feedback_with_an_unknown_outcome_is_a_400(client, ready, mount):
    response = post(
        client,
        ready,
        f"{mount}/{SERVICE_ID}/feedback",
        feedback("9368d37b-283f-44a0-93ea-547cebab93ed", outcome="ignored"),
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "feedback.0.outcome"


@pytest.mark.parametrize("tail", ["", "/feedback"])
def test_an_unknown_service_is_a_404(client, ready, mount, tail):
    body = (
        hook_call(prefetch(example("eligible")))
        if not tail
        else feedback("9368d37b-283f-44a0-93ea-547cebab93ed")
    )
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


def test_a_search_bundle_with_no_entries_is_an_empty_list(client, ready, mount):
    doc = example("eligible")
    sent = prefetch(doc)
    sent["conditions"] = searchset([])
    cards = call(client, ready, mount, hook_call(sent))
    assert cards[0]["summary"].startswith("Ketamine screening:")
