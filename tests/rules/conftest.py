"""What the rule-set tests share: the shipped default set made active, and a draft cloned from it."""

import pytest

from rules.models import Rule, RuleSet
from tests.defaults_snapshot import load_defaults_for_test


@pytest.fixture
def active(db):
    load_defaults_for_test()
    return RuleSet.objects.get(is_active=True)


@pytest.fixture
def draft(active, rules_admin):
    from rules.services import ruleset_clone

    return ruleset_clone(source=active, version="2026.2-draft", created_by=rules_admin)


def rule(ruleset, code):
    return Rule.objects.select_related("ruleset").get(ruleset=ruleset, code=code)


def publish_reviewed(ruleset, note="Reviewed change", author=None, reviewer=None):
    """Submit a draft (by its author) and approve it (by a second rules admin): the one way a person
    publishes a rule set."""
    from django.contrib.auth import get_user_model

    from core.roles import RULES_ADMIN, role_group
    from rules.services import ruleset_approve, ruleset_submit

    def admin(username):
        user, _ = get_user_model().objects.get_or_create(username=username)
        user.groups.add(role_group(RULES_ADMIN))
        return user

    author = author or admin("author-of-" + ruleset.version[:20])
    reviewer = reviewer or admin("reviewer-of-" + ruleset.version[:20])
    ruleset_submit(ruleset=ruleset, by=author, note=note)
    return ruleset_approve(ruleset=ruleset, by=reviewer)
