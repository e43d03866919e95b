"""A rule that can never fire, or has no firing and silent case, cannot become active by any path: import
(service and CLI), save (service and page), the test bench (`rules test`), submission and approval."""

import copy
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from rules.editor import predicate_to_post
from rules.models import Rule, RuleSet
from rules.services import PublishRefused, rule_update, ruleset_import, ruleset_submit
from screening.engine import RuleSetInvalid
from tests.conftest import ROOT
from tests.rules.conftest import rule
from tests.rules.test_editor_pages import rule_post

pytestmark = pytest.mark.django_db
DEFAULT = json.loads((ROOT / "fixtures" / "ruleset-default.json").read_text())


def _psy_rule(document):
    return next(r for r in document["rules"] if r["predicate"].get("kind") == "answer_in")


def misspelt_answer(document):
    _psy_rule(document)["predicate"]["params"]["answer"] = "psychosis_histroy"
    return "is not an intake answer"


def unknown_value(document):
    _psy_rule(document)["predicate"]["params"]["values"] = ["yess"]
    return "is not a value of"


def malformed_atc(document):
    target = next(r for r in document["rules"] if r["predicate"].get("kind") == "medication")
    target["predicate"]["params"]["atc_prefixes"] = ["n06a!"]
    return "is not an ATC code or the start of one"


def malformed_icd(document):
    target = next(r for r in document["rules"] if r["predicate"].get("kind") == "diagnosis")
    target["predicate"]["params"]["prefixes"] = ["F3..3"]
    return "is not the start of an ICD-10-CM code"


def unknown_class(document):
    target = next(r for r in document["rules"] if r["predicate"].get("kind") == "medication")
    target["predicate"]["params"]["classes"] = ["benzodiazapine"]
    return "is a class no formulary entry has"


def no_firing_case(document):
    target = _psy_rule(document)
    target["tests"] = [t for t in target["tests"] if not t["fires"]]
    return "no test case that fires"


def no_silent_case(document):
    target = _psy_rule(document)
    target["tests"] = [t for t in target["tests"] if t["fires"]]
    return "no test case that stays silent"


PSYCHOSIS = _psy_rule(DEFAULT)["code"]
SILENT = [
    misspelt_answer,
    unknown_value,
    malformed_atc,
    malformed_icd,
    unknown_class,
    no_firing_case,
    no_silent_case,
]


def broken(mutate):
    document = copy.deepcopy(DEFAULT)
    document["version"] = "2026.2-broken"
    message = mutate(document)
    return document, message


@pytest.mark.parametrize("mutate", SILENT)
def test_import_refuses_it_naming_rule_and_field(active, mutate):
    document, message = broken(mutate)
    with pytest.raises(RuleSetInvalid) as caught:
        ruleset_import(data=document)
    assert any(message in e for e in caught.value.errors), caught.value.errors
    assert any(e.startswith("rules[") and "(" in e for e in caught.value.errors)
    assert not RuleSet.objects.filter(version="2026.2-broken").exists()


@pytest.mark.parametrize("mutate", SILENT)
def test_the_cli_import_and_test_report_it_and_exit_non_zero(active, mutate, tmp_path):
    document, message = broken(mutate)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(document))
    err = StringIO()
    with pytest.raises(CommandError) as exit_import:
        call_command("rules", "import", str(path), stdout=StringIO(), stderr=err)
    assert exit_import.value.returncode == 2 and message in err.getvalue()

    out = StringIO()
    with pytest.raises((SystemExit, CommandError)) as exit_test:
        call_command("rules", "test", str(path), stdout=out, stderr=StringIO())
    # a set the engine refuses is a CommandError (exit 1); one it runs exits 1 naming what is unfit
    assert getattr(exit_test.value, "code", getattr(exit_test.value, "returncode", 0)) == 1
    assert message in out.getvalue() + str(exit_test.value)


@pytest.mark.parametrize("mutate", SILENT)
def test_submission_refuses_it_even_when_written_into_the_draft_underneath(draft, rules_admin, mutate):
    document, message = broken(mutate)
    for doc_rule in document["rules"]:
        Rule.objects.filter(ruleset=draft, code=doc_rule["code"]).update(
            predicate=doc_rule["predicate"], tests=doc_rule["tests"]
        )
    with pytest.raises(PublishRefused) as caught:
        ruleset_submit(ruleset=draft, by=rules_admin, note="sneaky")
    assert any(message in reason for reason in caught.value.reasons), caught.value.reasons
    draft.refresh_from_db()
    assert not draft.is_submitted


@pytest.mark.parametrize(
    "mutate", [misspelt_answer, unknown_value, malformed_atc, malformed_icd, unknown_class]
)
def test_saving_a_rule_refuses_it(draft, mutate):
    document, message = broken(mutate)
    changed = next(r for r in document["rules"] if r["predicate"] != rule(draft, r["code"]).predicate)
    with pytest.raises(RuleSetInvalid) as caught:
        rule_update(rule=rule(draft, changed["code"]), values={"predicate": changed["predicate"]})
    assert any(message in e for e in caught.value.errors), caught.value.errors


def test_the_rule_set_page_says_what_keeps_it_from_being_published(draft, rules_admin, client):
    target = rule(draft, PSYCHOSIS)
    Rule.objects.filter(pk=target.pk).update(tests=[t for t in target.tests if t["fires"]])
    client.force_login(rules_admin)
    page = client.get(reverse("rules:ruleset_detail", args=[draft.pk])).content.decode()
    assert 'data-testid="blockers"' in page and "no test case that stays silent" in page


def test_rules_test_of_a_stored_version_exits_non_zero_for_a_rule_without_a_silent_case(draft):
    target = rule(draft, PSYCHOSIS)
    Rule.objects.filter(pk=target.pk).update(tests=[t for t in target.tests if t["fires"]])
    out = StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("rules", "test", draft.version, stdout=out)
    assert exited.value.code == 1
    assert "NOT PUBLISHABLE rules[" in out.getvalue() and PSYCHOSIS in out.getvalue()


def test_the_misspelt_answer_is_refused_on_the_structured_rule_page(draft, rules_admin, client):
    target = rule(draft, PSYCHOSIS)
    document = target.as_document()
    misspelt = copy.deepcopy(document["predicate"])
    misspelt["params"]["answer"] = "psychosis_histroy"
    client.force_login(rules_admin)
    response = client.post(
        reverse("rules:rule_edit", args=[draft.pk, target.pk]),
        rule_post(document, **predicate_to_post(misspelt)),
    )
    assert response.status_code == 400
    assert "is not an intake answer" in response.content.decode()
    assert rule(draft, PSYCHOSIS).predicate == target.predicate


def test_the_misspelt_answer_is_refused_through_the_raw_json_fallback_too(draft, rules_admin, client):
    target = rule(draft, PSYCHOSIS)
    document = target.as_document()
    misspelt = copy.deepcopy(document["predicate"])
    misspelt["params"]["answer"] = "psychosis_histroy"
    form = {key: value for key, value in rule_post(document).items() if not key.startswith("p.")}
    client.force_login(rules_admin)
    response = client.post(
        reverse("rules:rule_edit", args=[draft.pk, target.pk]), {**form, "predicate": json.dumps(misspelt)}
    )
    assert response.status_code == 400 and "is not an intake answer" in response.content.decode()
    assert rule(draft, PSYCHOSIS).predicate == target.predicate
