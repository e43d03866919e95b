"""The cards of the CDS Hooks service (docs/cds-hooks.md, "Cards"): the verdict on the summary card with
when each part of the EHR's data was recorded, one card per finding above a note, the rule's coded
override reasons, the link to the app's patient (by id, matched only on the record's mapped MRN), and
the EHR's text never becoming Markdown. Every call is made on both mounts."""

import json
from dataclasses import replace

import pytest
from django.urls import reverse

from interop.cds_hooks.cards import OVERRIDE_REASONS, Frame, report_cards
from interop.cds_hooks.schemas import SUMMARY_MAX, Cards
from interop.fhir import codes
from patients.services import intake_import
from rules.selectors import active_ruleset, verified_engine_ruleset
from screening.engine.ruleset import OverrideReason
from screening.services import intake_evaluate
from tests.defaults_snapshot import load_defaults_for_test

from .cds_hooks_support import HOST, MOUNTS, by_rule, call, example, hook_call, prefetch, trusted_issuer

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(settings, on_assessment_day):
    """A trusted EHR, the default rule set and formulary; today is the examples' assessment day."""
    load_defaults_for_test()
    return trusted_issuer(settings)


@pytest.fixture(params=MOUNTS)
def mount(request):
    return request.param


# ---------------------------------------------------------------------------------------------- verdicts


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
    assert "- intake questionnaire: none used" in summary["detail"]
    assert {"PSY-FLAG-UNKNOWN", "MEDS-NOT-RECONCILED"} <= set(by_rule(cards))


def test_the_needs_information_example_needs_information_with_a_warning(client, ready, mount):
    cards = call(client, ready, mount, hook_call(prefetch(example("needs-information"))))
    assert cards[0]["source"]["topic"]["code"] == "needs_information"
    assert cards[0]["indicator"] == "warning"
    rules = by_rule(cards)
    assert {"PREG-UNKNOWN", "MEDS-NOT-RECONCILED"} <= set(rules)
    assert rules["PREG-UNKNOWN"]["indicator"] == "warning"


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
    Cards.model_validate({"cards": cards})
    for card in cards:
        assert set(card) <= {"uuid", "summary", "detail", "indicator", "source", "overrideReasons", "links"}
        (link,) = card["links"]
        assert link["type"] == "absolute" and link["url"].startswith(HOST + "/")
    assert len({card["uuid"] for card in cards}) == len(cards)


def test_a_summary_is_cut_below_140_characters(ready):
    ruleset = verified_engine_ruleset(active_ruleset())
    rules = tuple(replace(r, title="A very long title " * 10) for r in ruleset.rules)
    ruleset = replace(ruleset, rules=rules)
    report = intake_evaluate(intake=example("deferred-bp-and-benzodiazepine"), ruleset=ruleset)
    frame = Frame("hook-1", "label", HOST + "/", {"label": "x", "url": HOST + "/", "type": "absolute"})
    cards = report_cards(frame, report, ruleset, unread=[], assumed=[])
    assert SUMMARY_MAX == 139
    assert max(len(card["summary"]) for card in cards) == 139
    assert cards[1]["summary"].endswith("…")


# ---------------------------------------------------------------------------------------------- dates


def test_the_summary_says_when_each_part_of_the_data_was_recorded(client, ready, mount):
    sent = prefetch(example("deferred-bp-and-benzodiazepine"))
    sent["intakeQuestionnaire"]["entry"][0]["resource"]["authored"] = "2026-11-12T09:30:00-07:00"
    sent["bodyMeasures"]["entry"][0]["resource"]["effectiveDateTime"] = "2026-11-18"  # the weight
    sent["bloodPressure"]["entry"][0]["resource"]["effectiveDateTime"] = "2026-11-19T08:40:00-07:00"
    detail = call(client, ready, mount, hook_call(sent))[0]["detail"]
    assert "**Dates of the EHR's data:**" in detail
    assert "- intake questionnaire: authored 2026-11-12" in detail
    assert "- latest blood pressure: 2026-11-20" in detail
    assert "- weight: 2026-11-18" in detail
    assert "- height: 2026-11-20" in detail


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


def test_an_mr_identifier_of_another_system_links_to_no_patient(client, ready, mount):
    """Another facility's medical record number may equal one of the app's: it is not the app's MRN."""
    doc = example("eligible")
    intake_import(doc=doc)
    sent = prefetch(doc)
    sent["patient"]["identifier"][0]["system"] = "https://other-hospital.example/mrn"
    cards = call(client, ready, mount, hook_call(sent))
    assert cards[0]["links"][0]["url"] == HOST + reverse("patients:create")


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


# ---------------------------------------------------------------------------------------------- Markdown


def test_an_unknown_prefetch_key_is_listed_on_one_line_and_never_becomes_markdown(client, ready, mount):
    sent = prefetch(example("eligible"))
    sent["x\n\n**[Open the record](https://phish.example/)**\n\n`"] = 1
    detail = call(client, ready, mount, hook_call(sent))[0]["detail"]
    listed = [line for line in detail.splitlines() if "phish" in line]
    assert listed == [
        "- `prefetch.x **[Open the record](https://phish.example/)** '`: not a prefetch this service asks for"
    ]


def test_what_was_not_read_is_listed_on_the_summary(client, ready, mount):
    sent = prefetch(example("eligible"))
    sent["conditions"]["entry"].append(
        {
            "resource": {
                "resourceType": "Condition",
                "id": "snomed-only",
                "code": {"coding": [{"system": codes.SNOMED, "code": "35489007"}]},
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
