"""A published (or retired) rule set stays as it was published, in the database too: on PostgreSQL a
trigger refuses an UPDATE of its content columns, turning it back into a draft, or a DELETE, while its
lifecycle and governance columns stay writable (publishing one set retires another); another refuses any
INSERT, UPDATE or DELETE of the rules of a set that is not a draft. A draft stays editable throughout."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from rules.models import Rule, RuleSet, RuleSetEvent
from rules.services import rule_add, rule_remove, rule_update, ruleset_clone, ruleset_delete_draft
from tests.rules.conftest import publish_reviewed, rule

pytestmark = pytest.mark.django_db
POSTGRESQL_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the triggers are PostgreSQL's; CI runs them"
)

CONTENT_CHANGES = {
    "version": "version = version || '-forged'",
    "protocol": "protocol = '{}'::jsonb",
    "test_baseline": "test_baseline = '{\"patient\": {}}'::jsonb",
    "sha256": "sha256 = repeat('0', 64)",
    "note": "note = 'quietly rewritten'",
    "published_at": "published_at = now() - interval '1 day'",
    "back to draft": "status = 'draft', is_active = false",
}
NEW_RULE = {
    "code": "IND-EXTRA",
    "severity": "info",
    "title": "An extra rule",
    "action": "No action.",
    "sources": ["S5"],
    "predicate": {"kind": "diagnosis", "params": {"prefixes": ["F32.0"]}},
}


def execute(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def refused(match: str):
    """The statement fails, and the test's transaction goes on (the failure rolled back to a savepoint)."""
    return pytest.raises(DatabaseError, match=match)


@pytest.fixture
def retired(active, rules_admin):
    """The shipped set retired by a reviewed successor, which is now the active one."""
    successor = ruleset_clone(source=active, version="2026.2-next", created_by=rules_admin)
    publish_reviewed(successor)
    return RuleSet.objects.get(pk=active.pk)


# ------------------------------------------------------------------------------- on every database


def test_a_published_sets_lifecycle_columns_stay_writable(active, rules_admin):
    now = timezone.now()
    RuleSet.objects.filter(pk=active.pk).update(
        is_active=False, status=RuleSet.Status.RETIRED, retired_by=rules_admin, retired_at=now
    )
    active.refresh_from_db()
    assert (active.status, active.is_active, active.retired_at) == ("retired", False, now)


def test_publishing_retires_the_set_it_replaces(retired):
    assert (retired.status, retired.is_active, retired.retired_at is not None) == ("retired", False, True)
    assert RuleSet.objects.get(is_active=True).version == "2026.2-next"


def test_a_drafts_rules_stay_editable_and_the_draft_deletable(draft, rules_admin):
    rule_update(rule=rule(draft, "AGE-65-PLUS"), values={"title": "Aged 65 or more"}, user=rules_admin)
    added = rule_add(ruleset=draft, values=NEW_RULE, user=rules_admin)
    Rule.objects.filter(ruleset=draft, code="AGE-65-PLUS").update(enabled=False)
    rule_remove(rule=added, user=rules_admin)
    assert (rule(draft, "AGE-65-PLUS").title, rule(draft, "AGE-65-PLUS").enabled) == (
        "Aged 65 or more",
        False,
    )

    ruleset_delete_draft(ruleset=draft, by=rules_admin)

    assert not RuleSet.objects.filter(pk=draft.pk).exists()
    assert not Rule.objects.filter(ruleset_id=draft.pk).exists()


# ---------------------------------------------------------------------------------- PostgreSQL triggers


@POSTGRESQL_ONLY
@pytest.mark.parametrize("which", ["active", "retired"])
@pytest.mark.parametrize("change", CONTENT_CHANGES.values(), ids=CONTENT_CHANGES.keys())
def test_postgresql_refuses_a_content_update_of_a_published_or_retired_set(request, which, change):
    ruleset = request.getfixturevalue(which)
    with refused("its content is never changed"), transaction.atomic():
        execute(f"UPDATE screening_ruleset SET {change} WHERE id = %s", [ruleset.pk])  # noqa: S608
    stored = RuleSet.objects.get(pk=ruleset.pk)
    assert (stored.version, stored.sha256, stored.status) == (ruleset.version, ruleset.sha256, ruleset.status)


@POSTGRESQL_ONLY
def test_postgresql_refuses_a_content_update_through_the_orm_too(active):
    with refused("its content is never changed"), transaction.atomic():
        RuleSet.objects.filter(pk=active.pk).update(note="quietly rewritten")


@POSTGRESQL_ONLY
def test_postgresql_lets_the_lifecycle_columns_of_a_published_set_change(active, rules_admin):
    execute(
        "UPDATE screening_ruleset SET is_active = false, status = 'retired', retired_at = now(), "
        "retired_by_id = %s, activated_at = activated_at, submitted_note = submitted_note WHERE id = %s",
        [rules_admin.pk, active.pk],
    )
    assert RuleSet.objects.get(pk=active.pk).status == RuleSet.Status.RETIRED


@POSTGRESQL_ONLY
@pytest.mark.parametrize("which", ["active", "retired"])
def test_postgresql_refuses_deleting_a_published_or_retired_set(request, which):
    ruleset = request.getfixturevalue(which)
    with refused("only a draft is deleted"), transaction.atomic():
        execute("DELETE FROM screening_ruleset WHERE id = %s", [ruleset.pk])
    with refused("DELETE refused"), transaction.atomic():
        RuleSet.objects.filter(pk=ruleset.pk).delete()  # the ORM deletes the rules first: refused there
    assert Rule.objects.filter(ruleset=ruleset).count() == 60


@POSTGRESQL_ONLY
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE screening_rule SET title = 'Quietly reworded' WHERE ruleset_id = %s",
        "UPDATE screening_rule SET enabled = NOT enabled WHERE ruleset_id = %s",
        "DELETE FROM screening_rule WHERE ruleset_id = %s",
    ],
    ids=["reword", "disable", "delete"],
)
def test_postgresql_refuses_changing_the_rules_of_a_published_set(active, statement):
    before = list(Rule.objects.filter(ruleset=active).order_by("pk").values_list("pk", "title", "enabled"))
    with refused("belongs to a published rule set"), transaction.atomic():
        execute(statement, [active.pk])
    assert (
        list(Rule.objects.filter(ruleset=active).order_by("pk").values_list("pk", "title", "enabled"))
        == before
    )


@POSTGRESQL_ONLY
def test_postgresql_refuses_adding_a_rule_to_a_published_set(active):
    extra = Rule(ruleset=active, position=999, **NEW_RULE)
    with refused("belongs to a published rule set: INSERT refused"), transaction.atomic():
        Rule.objects.bulk_create([extra])  # bulk_create goes around Rule.save()
    with refused("belongs to a published rule set"), transaction.atomic():
        Rule.objects.filter(ruleset=active, code="AGE-65-PLUS").update(title="Quietly reworded")
    assert Rule.objects.filter(ruleset=active).count() == 60


@POSTGRESQL_ONLY
def test_postgresql_refuses_moving_a_drafts_rule_into_a_published_set(active, draft):
    with refused("belongs to a published rule set: UPDATE refused"), transaction.atomic():
        execute(
            "UPDATE screening_rule SET ruleset_id = %s, code = 'MOVED' WHERE id = %s",
            [active.pk, rule(draft, "AGE-65-PLUS").pk],
        )


@POSTGRESQL_ONLY
def test_postgresql_leaves_a_draft_and_its_rules_editable(draft):
    execute("UPDATE screening_rule SET title = 'Reworded' WHERE ruleset_id = %s", [draft.pk])
    execute("UPDATE screening_ruleset SET note = 'work in progress', sha256 = '' WHERE id = %s", [draft.pk])
    execute("DELETE FROM screening_rule WHERE ruleset_id = %s AND code = 'AGE-65-PLUS'", [draft.pk])
    assert set(Rule.objects.filter(ruleset=draft).values_list("title", flat=True)) == {"Reworded"}
    assert RuleSet.objects.get(pk=draft.pk).note == "work in progress"


@POSTGRESQL_ONLY
@pytest.mark.parametrize(
    "statement",
    ["UPDATE rules_rulesetevent SET note = 'rewritten'", "DELETE FROM rules_rulesetevent"],
)
def test_the_governance_trail_refuses_update_and_delete(active, statement):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        execute(statement)


@POSTGRESQL_ONLY
def test_deleting_a_draft_keeps_its_trail_unlinked(draft, rules_admin):
    ruleset_delete_draft(ruleset=draft, by=rules_admin)
    events = RuleSetEvent.objects.filter(version=draft.version)
    assert events.count() >= 2 and not events.exclude(ruleset=None).exists()
