"""protocol.day_of_checklist as rule-set data (rule set 2026.4): validated by path (key, text, sources,
findings naming rules of the set, a predicate of the rule language), parsed into the engine's protocol, kept
by the settings editor, and a rule it names cannot be removed while it names it."""

import copy
import json

import pytest

from rules.models import Rule
from rules.services import rule_remove, ruleset_clone
from screening.engine import RuleSetInvalid, ruleset_from_data
from screening.engine.ruleset import ruleset_problems
from tests.conftest import ROOT

DEFAULT = json.loads((ROOT / "fixtures" / "ruleset-default.json").read_text())


def problems_with(change):
    doc = copy.deepcopy(DEFAULT)
    change(doc["protocol"]["day_of_checklist"])
    return [str(p) for p in ruleset_problems(doc)]


def test_the_default_parses_into_the_protocol():
    items = ruleset_from_data(DEFAULT).protocol.day_of_checklist
    assert [i.key for i in items][:3] == ["fasting", "escort_present", "consent_current"]
    assert items[3].findings == ("MEDS-BENZO-HIGH",)
    assert items[5].predicate["kind"] == "all"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda items: items[0].update(key="Fasting"), "protocol.day_of_checklist[0].key: required"),
        (
            lambda items: items[1].update(key="fasting"),
            "protocol.day_of_checklist[1].key: 'fasting' is used twice",
        ),
        (lambda items: items[0].update(text=" "), "protocol.day_of_checklist[0].text: required"),
        (lambda items: items[0].update(sources=["Z9"]), "protocol.day_of_checklist[0].sources[0]"),
        (lambda items: items[0].update(colour="red"), "protocol.day_of_checklist[0].colour: unknown field"),
        (
            lambda items: items[3].update(findings=["MEDS-BENZO-HIHG"]),
            "protocol.day_of_checklist[3].findings[0]: 'MEDS-BENZO-HIHG' is not a rule of this set",
        ),
        (
            lambda items: items[3].update(findings=[]),
            "protocol.day_of_checklist[3].findings: must be a non-empty",
        ),
        (
            lambda items: items[5]["predicate"]["params"]["of"][0]["params"].update(answer="sex"),
            "protocol.day_of_checklist[5].predicate.params.of[0].params.answer",
        ),
        (
            lambda items: items[3].update(predicate={"kind": "age", "params": {"min": 12}}),
            "protocol.day_of_checklist[3].predicate: give findings or a predicate, not both",
        ),
        (lambda items: items.append("fasting"), "protocol.day_of_checklist[6]: must be an object"),
    ],
)
def test_each_problem_by_its_path(change, expected):
    found = problems_with(change)
    assert any(p.startswith(expected) for p in found), found


def test_not_a_list():
    doc = copy.deepcopy(DEFAULT)
    doc["protocol"]["day_of_checklist"] = {"fasting": True}
    assert [str(p) for p in ruleset_problems(doc)] == ["protocol.day_of_checklist: must be a list"]
    with pytest.raises(RuleSetInvalid):
        ruleset_from_data(doc)


@pytest.mark.django_db
def test_a_rule_the_checklist_names_cannot_be_removed(rules_admin):
    from io import StringIO

    from django.core.management import call_command

    from rules.selectors import active_ruleset

    call_command("load_defaults", stdout=StringIO())
    draft = ruleset_clone(source=active_ruleset(), version="2026.4-draft", created_by=rules_admin)
    with pytest.raises(RuleSetInvalid, match="asks on MEDS-BENZO-HIGH: change the item first"):
        rule_remove(rule=draft.rules.get(code="MEDS-BENZO-HIGH"), user=rules_admin)
    assert Rule.objects.filter(ruleset=draft, code="MEDS-BENZO-HIGH").exists()
    rule_remove(rule=draft.rules.get(code="AGE-65-PLUS"), user=rules_admin)  # one it does not name
