"""What the rule-set tests share: the shipped default set made active, and a draft cloned from it."""

from io import StringIO

import pytest
from django.core.management import call_command

from rules.models import Rule, RuleSet


@pytest.fixture
def active(db):
    call_command("load_defaults", stdout=StringIO(), stderr=StringIO())
    return RuleSet.objects.get(is_active=True)


@pytest.fixture
def draft(active, rules_admin):
    from rules.services import ruleset_clone

    return ruleset_clone(source=active, version="2026.2-draft", created_by=rules_admin)


def rule(ruleset, code):
    return Rule.objects.select_related("ruleset").get(ruleset=ruleset, code=code)
