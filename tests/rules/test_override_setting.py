"""A rule's override setting and coded reasons are rule data: validated by severity (naming the rule and
the field), edited by rules admins on the rule page, versioned, and part of the hash only when set."""

import json

import pytest
from django.urls import reverse

from rules.models import Rule, RuleSet
from rules.selectors import ruleset_document
from rules.services import rule_update, ruleset_clone
from screening.engine import RuleSetInvalid, ruleset_from_data
from screening.engine.ruleset import validate_rule
from tests.conftest import ROOT
from tests.defaults_snapshot import load_defaults_for_test

pytestmark = pytest.mark.django_db

BASE = {
    "code": "TEST-RULE",
    "title": "A test rule",
    "action": "Look.",
    "sources": ["S1"],
    "predicate": {"kind": "age", "params": {"min": 18}},
}


def problems(**fields):
    return [str(p) for p in validate_rule({**BASE, **fields}, "rules[0] (TEST-RULE)")]


@pytest.mark.parametrize(
    ("severity", "setting"),
    [
        ("missing", "reason"),
        ("missing", "cosign"),
        ("not_candidate", "reason"),
        ("info", "reason"),
        ("precaution", "cosign"),
        ("contraindicated", "reason"),
    ],
)
def test_a_setting_that_would_let_a_guess_pass_is_refused(severity, setting):
    assert problems(severity=severity, override=setting) == [
        f"rules[0] (TEST-RULE).override: a {severity} finding allows only "
        + " or ".join({"contraindicated": ["none", "cosign"]}.get(severity, ["none"]))
    ]


@pytest.mark.parametrize(
    ("severity", "setting"),
    [("contraindicated", "none"), ("contraindicated", "cosign"), ("defer", "cosign"), ("review", "none")],
)
def test_allowed_settings_validate(severity, setting):
    assert problems(severity=severity, override=setting) == []


def test_an_unknown_setting_is_named():
    assert problems(severity="defer", override="sometimes") == [
        "rules[0] (TEST-RULE).override: 'sometimes' is not one of none, reason, cosign"
    ]


@pytest.mark.parametrize(
    ("reasons", "message"),
    [
        ("x", "override_reasons: must be a list of {code, display}"),
        ([{"code": "ok"}], "override_reasons[0]: must be an object with code and display"),
        ([{"code": "Bad Code", "display": "x"}], "override_reasons[0].code: 'Bad Code' is not a reason code"),
        ([{"code": "a", "display": " "}], "override_reasons[0].display: required text"),
        (
            [{"code": "a", "display": "x"}, {"code": "a", "display": "y"}],
            "override_reasons[1].code: duplicate",
        ),
    ],
)
def test_coded_reasons_are_validated(reasons, message):
    assert any(message in p for p in problems(severity="defer", override_reasons=reasons))


def test_coded_reasons_on_a_rule_that_cannot_be_overridden_are_refused():
    assert problems(severity="missing", override_reasons=[{"code": "a", "display": "x"}]) == [
        "rules[0] (TEST-RULE).override_reasons: this rule's finding cannot be overridden"
    ]


def test_a_rule_set_document_with_a_bad_setting_is_refused_whole():
    data = json.loads((ROOT / "fixtures" / "ruleset-default.json").read_text())
    data["rules"][0]["override"] = "reason"  # DATA-NO-DIAGNOSIS, a missing finding
    with pytest.raises(RuleSetInvalid, match=r"rules\[0\] \(DATA-NO-DIAGNOSIS\)\.override"):
        ruleset_from_data(data)


@pytest.fixture
def draft(rules_admin):
    load_defaults_for_test()
    return ruleset_clone(
        source=RuleSet.objects.get(is_active=True), version="2026.1-draft", created_by=rules_admin
    )


def test_an_explicit_setting_is_versioned_and_hashed_and_clearing_it_restores_the_hash(draft, rules_admin):
    before = draft.sha256
    stage2 = draft.rules.get(code="BP-STAGE2")

    rule_update(rule=stage2, values={"override": "cosign"}, user=rules_admin)
    draft.refresh_from_db()
    assert draft.sha256 != before
    assert Rule.objects.get(pk=stage2.pk).history.first().override == "cosign"
    assert (
        next(r for r in ruleset_document(draft)["rules"] if r["code"] == "BP-STAGE2")["override"] == "cosign"
    )

    rule_update(rule=stage2, values={"override": ""}, user=rules_admin)
    draft.refresh_from_db()
    assert draft.sha256 == before


def test_the_rule_page_edits_the_setting_and_shows_the_error_on_its_field(draft, rules_admin, client):
    client.force_login(rules_admin)
    stage2 = draft.rules.get(code="DATA-NO-WEIGHT")
    form = {
        "severity": "missing",
        "title": stage2.title,
        "action": stage2.action,
        "sources": ", ".join(stage2.sources),
        "enabled": "on",
        "predicate": json.dumps(stage2.predicate),
        "tests": json.dumps(stage2.tests),
        "override": "reason",
        "override_reasons": "",
    }

    response = client.post(reverse("rules:rule_edit", args=[draft.pk, stage2.pk]), form)

    assert response.status_code == 400
    assert "a missing finding allows only none" in response.content.decode()
    assert Rule.objects.get(pk=stage2.pk).override == ""
    form["override"] = "none"
    assert client.post(reverse("rules:rule_edit", args=[draft.pk, stage2.pk]), form).status_code == 302
    assert Rule.objects.get(pk=stage2.pk).override == "none"


def test_the_rule_set_page_shows_each_rules_setting(draft, rules_admin, client):
    client.force_login(rules_admin)
    page = client.get(reverse("rules:ruleset_detail", args=[draft.pk])).content.decode()
    assert "cosign" in page and "(default)" in page
