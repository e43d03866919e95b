"""What the CDS Hooks service reads from the prefetch, and when it refuses to screen (docs/cds-hooks.md,
"When the screening cannot run"): fail closed. An OperationOutcome or a resource of another type where a
key's results were expected, a record that may be another patient's, a complete list sent in part, data
the FHIR mapping or the intake cannot accept: one "could not run" card that names why. An intake
questionnaire too old for the rule set is not used. Every call is made on both mounts."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from patients.services import intake_import
from rules.selectors import active_ruleset, ruleset_document
from rules.services import ruleset_import
from tests.defaults_snapshot import load_defaults_for_test

from .cds_hooks_support import (
    HOST,
    MOUNTS,
    NOT_RUN,
    PATIENT_ID,
    by_rule,
    call,
    example,
    hook_call,
    prefetch,
    searchset,
    trusted_issuer,
)

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 20)  # on_assessment_day
KEYS = ["patient", "conditions", "medications", "bloodPressure", "bodyMeasures", "intakeQuestionnaire"]
SEARCHES = KEYS[1:]


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


def not_run(client, ready, mount, sent) -> str:
    """The detail of the one card a call that cannot be screened gets."""
    (card,) = call(client, ready, mount, hook_call(sent))
    assert (card["summary"], card["indicator"]) == (NOT_RUN, "warning")
    return card["detail"]


def outcome(severity: str) -> dict:
    return {"resourceType": "OperationOutcome", "issue": [{"severity": severity, "code": "timeout"}]}


# ---------------------------------------------------------------------------------------------- what a key holds


def an_operation_outcome(sent, key):
    sent[key] = outcome("error")  # the EHR's search (or read) failed


def a_search_outcome(sent, key):
    entry = {"resource": outcome("information"), "search": {"mode": "outcome"}}
    if key == "patient":
        sent[key] = {"resourceType": "Bundle", "type": "searchset", "entry": [entry]}
    else:
        sent[key]["entry"].append(
            entry
        )  # e.g. "a search parameter was ignored": the results are not those asked


def another_type(sent, key):
    practitioner = {"resourceType": "Practitioner", "id": PATIENT_ID}
    if key == "patient":
        sent[key] = practitioner
    else:
        sent[key]["entry"].append({"resource": practitioner})


@pytest.mark.parametrize(
    "form", [an_operation_outcome, a_search_outcome, another_type], ids=lambda f: f.__name__
)
@pytest.mark.parametrize("key", KEYS)
def test_a_key_holding_what_was_not_asked_for_stops_the_screening_and_is_named(
    client, ready, mount, key, form
):
    sent = prefetch(example("deferred-bp-and-benzodiazepine"))
    form(sent, key)
    assert f"`prefetch.{key}" in not_run(client, ready, mount, sent)


def test_an_operation_outcome_is_shown_by_its_issues(client, ready, mount):
    sent = prefetch(example("eligible"))
    sent["medications"] = outcome("fatal")
    detail = not_run(client, ready, mount, sent)
    assert "`prefetch.medications` is an OperationOutcome (fatal timeout)" in detail


def test_a_medication_resource_may_come_with_the_statements(client, ready, mount):
    sent = prefetch(example("eligible"))
    sent["medications"]["entry"].append({"resource": {"resourceType": "Medication", "id": "m-1"}})
    cards = call(client, ready, mount, hook_call(sent))
    assert cards[0]["source"]["topic"]["code"] == "eligible"


def test_a_prefetch_that_is_not_a_resource_stops_the_screening(client, ready, mount):
    sent = {**prefetch(example("eligible")), "conditions": "Condition/dx-0"}
    assert "prefetch `conditions` is not a FHIR resource" in not_run(client, ready, mount, sent)


def test_a_search_bundle_with_no_entries_is_an_empty_list(client, ready, mount):
    sent = prefetch(example("eligible"))
    sent["conditions"] = searchset([])
    assert call(client, ready, mount, hook_call(sent))[0]["summary"].startswith("Ketamine screening:")


def test_a_prefetch_the_service_did_not_ask_for_is_listed_as_not_read(client, ready, mount):
    sent = {**prefetch(example("eligible")), "user": "Practitioner/dr-1"}
    cards = call(client, ready, mount, hook_call(sent))
    assert cards[0]["source"]["topic"]["code"] == "eligible"
    assert "- `prefetch.user`: not a prefetch this service asks for" in cards[0]["detail"]


# ---------------------------------------------------------------------------------------------- pages


@pytest.mark.parametrize("key", ["conditions", "medications"])
def test_a_complete_list_sent_in_part_stops_the_screening(client, ready, mount, key):
    sent = prefetch(example("eligible"))
    sent[key]["link"] = [{"relation": "next", "url": "https://ehr.example.org/fhir/page=2"}]
    assert f"prefetch `{key}` holds only the first page" in not_run(client, ready, mount, sent)


@pytest.mark.parametrize("key", ["bloodPressure", "bodyMeasures", "intakeQuestionnaire"])
def test_of_a_search_for_the_latest_the_first_page_is_read(client, ready, mount, key):
    sent = prefetch(example("eligible"))
    sent[key]["link"] = [
        {"relation": "self", "url": "https://ehr.example.org/fhir/page=1"},
        {"relation": "next", "url": "https://ehr.example.org/fhir/page=2"},
    ]
    cards = call(client, ready, mount, hook_call(sent))
    assert cards[0]["source"]["topic"]["code"] == "eligible"
    assert f"- `prefetch.{key}.link`: the search's next pages: not read" in cards[0]["detail"]


# ---------------------------------------------------------------------------------------------- whose record


def test_another_patients_record_stops_the_screening(client, ready, mount):
    sent = prefetch(example("eligible"))
    sent["patient"]["id"] = "someone-else"
    assert "another patient than the one in context" in not_run(client, ready, mount, sent)


def test_a_patient_without_an_id_stops_the_screening(client, ready, mount):
    sent = prefetch(example("contraindicated-avm"))
    del sent["patient"]["id"]
    assert "`prefetch.patient.id` is missing" in not_run(client, ready, mount, sent)


@pytest.mark.parametrize(
    "subject",
    [
        {"reference": "Patient/someone-else"},
        None,  # no subject at all
        {"display": "someone", "identifier": {"value": "other-mrn"}},  # nothing that names Patient.id
        {"reference": "Group/ehr-4711"},
        {"reference": "https://other-ehr.example/fhir/Patient/ehr-4711"},  # another server's patient
    ],
)
@pytest.mark.parametrize("key", SEARCHES)
def test_a_resource_not_about_the_patient_in_context_stops_the_screening(client, ready, mount, key, subject):
    sent = prefetch(example("contraindicated-avm"))
    resource = sent[key]["entry"][0]["resource"]
    resource.pop("subject")
    if subject is not None:
        resource["subject"] = subject
    assert f"`prefetch.{key}.entry[0].resource.subject` is not a reference to" in not_run(
        client, ready, mount, sent
    )


def test_a_subject_may_be_absolute_on_the_calls_fhir_server(client, ready, mount):
    sent = prefetch(example("contraindicated-avm"))
    sent["conditions"]["entry"][0]["resource"]["subject"] = {
        "reference": f"https://ehr.example.org/fhir/Patient/{PATIENT_ID}/_history/3"
    }
    cards = call(client, ready, mount, hook_call(sent))
    assert cards[0]["source"]["topic"]["code"] == "contraindicated"


# ---------------------------------------------------------------------------------------------- the age of the questionnaire


def authored(days_ago: int | None) -> dict:
    sent = prefetch(example("eligible"))
    questionnaire = sent["intakeQuestionnaire"]["entry"][0]["resource"]
    questionnaire.pop("authored")
    if days_ago is not None:
        questionnaire["authored"] = (TODAY - timedelta(days=days_ago)).isoformat() + "T10:00:00-07:00"
    return sent


def test_a_questionnaire_younger_than_the_rule_sets_validity_is_read(client, ready, mount):
    cards = call(client, ready, mount, hook_call(authored(29)))
    assert cards[0]["source"]["topic"]["code"] == "eligible"
    assert "- intake questionnaire: authored 2026-10-22" in cards[0]["detail"]


def test_a_questionnaire_as_old_as_the_rule_sets_validity_is_not_used(client, ready, mount):
    cards = call(client, ready, mount, hook_call(authored(30)))
    summary = cards[0]
    assert (summary["source"]["topic"]["code"], summary["indicator"]) == ("needs_information", "warning")
    assert (
        "The intake questionnaire sent (`prefetch.intakeQuestionnaire.entry[0].resource`) was authored "
        "2026-10-21, 30 days ago; the rule set counts a screening current for 30 days: its answers are not "
        "used, so every answer it carries is unknown (fail closed)."
    ) in summary["detail"]
    assert "- intake questionnaire: none used" in summary["detail"]
    assert {"PSY-FLAG-UNKNOWN", "MEDS-NOT-RECONCILED"} <= set(by_rule(cards))


def test_a_questionnaire_without_a_date_is_not_used(client, ready, mount):
    summary = call(client, ready, mount, hook_call(authored(None)))[0]
    assert summary["source"]["topic"]["code"] == "needs_information"
    assert "has no full authored date, so how old its answers are cannot be told" in summary["detail"]


def test_the_validity_is_the_active_rule_sets(client, ready, mount):
    document = ruleset_document(active_ruleset())
    document["version"] = "2026.4-ten-days"
    document["protocol"]["validity_days"] = 10
    ruleset_import(data=document, shipped=True, note="CDS Hooks validity test")
    summary = call(client, ready, mount, hook_call(authored(12)))[0]
    assert summary["source"]["topic"]["code"] == "needs_information"
    assert "12 days ago; the rule set counts a screening current for 10 days" in summary["detail"]


# ---------------------------------------------------------------------------------------------- the record


def test_without_an_active_rule_set_the_screening_cannot_run(client, issuer, mount):
    detail = not_run(client, issuer, mount, prefetch(example("eligible")))
    assert "the app has no active rule set it can screen with" in detail


def test_a_record_without_an_mrn_is_screened_under_a_placeholder_and_says_so(client, ready, mount):
    doc = example("contraindicated-avm")
    intake_import(doc=doc)  # the app knows the MRN, but the EHR sent none: nothing to match it by
    cards = call(client, ready, mount, hook_call(prefetch(doc, mrn=False)))
    assert cards[0]["source"]["topic"]["code"] == "contraindicated"
    assert "no usable MRN" in cards[0]["detail"] and "placeholder" in cards[0]["detail"]
    assert cards[0]["links"][0]["url"] == HOST + reverse("patients:create")


def test_an_mrn_the_intake_refuses_is_replaced_by_a_placeholder(client, ready, mount):
    sent = prefetch(example("eligible"))
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


def test_a_record_the_intake_cannot_accept_says_exactly_what_is_wrong(client, ready, mount):
    sent = prefetch(example("eligible"))
    del sent["patient"]["birthDate"]
    assert "`patient.date_of_birth`" in not_run(client, ready, mount, sent)
