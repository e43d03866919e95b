"""Two-person publishing: an author submits a draft with a change note, another rules admin approves it
(publishing it) or returns it; every step in the rule set's governance trail."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from rules.models import RuleSet, RuleSetEvent
from rules.services import (
    PublishRefused,
    rule_update,
    ruleset_approve,
    ruleset_return,
    ruleset_settings_update,
    ruleset_submit,
    ruleset_withdraw,
)
from tests.rules.conftest import rule

pytestmark = pytest.mark.django_db


def actions(ruleset) -> list[str]:
    return list(
        RuleSetEvent.objects.filter(version=ruleset.version)
        .order_by("at", "pk")
        .values_list("action", flat=True)
    )


def test_the_shipped_default_is_published_by_the_product_not_by_a_person(active):
    assert active.published_by_product == f"shipped default {active.version}"
    assert active.approved_by is None and active.submitted_by is None
    assert actions(active) == ["created", "approved", "activated"]
    approved = RuleSetEvent.objects.get(version=active.version, action="approved")
    assert approved.actor is None and approved.who == f"shipped default {active.version}"
    assert approved.sha256 == active.sha256


def test_the_author_cannot_approve_their_own_draft(draft, rules_admin):
    ruleset_submit(ruleset=draft, by=rules_admin, note="Same content, new label")
    with pytest.raises(PublishRefused, match="author cannot approve their own draft"):
        ruleset_approve(ruleset=draft, by=rules_admin)
    draft.refresh_from_db()
    assert draft.is_draft and not draft.is_active


def test_approval_by_a_second_admin_records_author_approver_times_and_note(
    active, draft, rules_admin, rules_admin2
):
    ruleset_submit(ruleset=draft, by=rules_admin, note="Stage 2 wording")
    ruleset_approve(ruleset=draft, by=rules_admin2, comment="Checked against S5")

    draft.refresh_from_db()
    active.refresh_from_db()
    assert draft.status == RuleSet.Status.PUBLISHED and draft.is_active
    assert draft.submitted_by == rules_admin and draft.approved_by == rules_admin2
    assert draft.activated_by == rules_admin2 and not draft.self_approved
    assert draft.submitted_at <= draft.published_at == draft.activated_at
    assert draft.note.startswith("Stage 2 wording") and "Checked against S5" in draft.note
    assert actions(draft) == ["created", "submitted", "approved", "activated"]
    assert active.status == RuleSet.Status.RETIRED and active.retired_by == rules_admin2
    assert actions(active)[-1] == "retired"
    retired = RuleSetEvent.objects.get(version=active.version, action="retired")
    assert retired.actor == rules_admin2 and retired.note == f"replaced by {draft.version}"


def test_a_single_admin_clinic_may_allow_self_approval_and_it_is_shown(draft, rules_admin, client, settings):
    settings.RULES_ALLOW_SELF_APPROVAL = True
    ruleset_submit(ruleset=draft, by=rules_admin, note="Alone")
    ruleset_approve(ruleset=draft, by=rules_admin)

    draft.refresh_from_db()
    assert draft.self_approved and draft.approved_by == rules_admin
    assert RuleSetEvent.objects.get(version=draft.version, action="approved").self_approved
    client.force_login(rules_admin)
    for name in ("rules:ruleset_detail", "rules:ruleset_review", "rules:ruleset_submit"):
        page = client.get(reverse(name, args=[draft.pk])).content.decode()
        assert 'data-testid="self-approved"' in page, name


def test_a_returned_draft_goes_back_to_its_author_with_the_comment(draft, rules_admin, rules_admin2):
    ruleset_submit(ruleset=draft, by=rules_admin, note="First try")
    with pytest.raises(PublishRefused, match="a comment is required"):
        ruleset_return(ruleset=draft, by=rules_admin2, comment="  ")
    with pytest.raises(PublishRefused, match="withdraw it instead"):
        ruleset_return(ruleset=draft, by=rules_admin, comment="mine")

    ruleset_return(ruleset=draft, by=rules_admin2, comment="Cite A3 for the threshold")

    draft.refresh_from_db()
    assert not draft.is_submitted
    assert (
        RuleSetEvent.objects.get(version=draft.version, action="returned").note == "Cite A3 for the threshold"
    )
    with pytest.raises(PublishRefused, match="not been submitted"):
        ruleset_approve(ruleset=draft, by=rules_admin2)


def test_only_the_author_withdraws(draft, rules_admin, rules_admin2):
    ruleset_submit(ruleset=draft, by=rules_admin, note="Oops")
    with pytest.raises(PublishRefused, match="only its author withdraws"):
        ruleset_withdraw(ruleset=draft, by=rules_admin2)
    ruleset_withdraw(ruleset=draft, by=rules_admin)
    draft.refresh_from_db()
    assert not draft.is_submitted and actions(draft)[-1] == "withdrawn"


def test_a_draft_changed_after_submission_cannot_be_approved_until_submitted_again(
    draft, rules_admin, rules_admin2
):
    ruleset_submit(ruleset=draft, by=rules_admin, note="v1")
    rule_update(rule=rule(draft, "BP-ELEVATED"), values={"title": "Changed after submission"})
    draft.refresh_from_db()
    assert draft.changed_since_submitted
    with pytest.raises(PublishRefused, match="changed after it was submitted"):
        ruleset_approve(ruleset=draft, by=rules_admin2)

    ruleset_submit(ruleset=draft, by=rules_admin, note="v2")
    ruleset_approve(ruleset=draft, by=rules_admin2)
    draft.refresh_from_db()
    assert draft.is_active and draft.note == "v2"


def test_protocol_and_baseline_edits_leave_a_history_with_the_editor(draft, rules_admin):
    protocol = {**draft.protocol, "validity_days": 14}
    ruleset_settings_update(
        ruleset=draft, protocol=protocol, test_baseline=draft.test_baseline, user=rules_admin
    )
    record = draft.history.order_by("-history_date").first()
    assert record.history_user == rules_admin and record.protocol["validity_days"] == 14


# ----------------------------------------------------------------------------------------------- the pages


def test_the_pages_take_a_draft_from_submission_to_active(draft, rules_admin, rules_admin2, client):
    client.force_login(rules_admin)
    empty = client.post(reverse("rules:ruleset_submit", args=[draft.pk]), {"note": ""})
    assert empty.status_code == 400 and "This field is required" in empty.content.decode()
    response = client.post(reverse("rules:ruleset_submit", args=[draft.pk]), {"note": "New validity"})
    assert response.status_code == 302

    own = client.post(reverse("rules:ruleset_review", args=[draft.pk]), {"decision": "approve"})
    assert own.status_code == 400 and "You submitted this draft" in own.content.decode()

    client.force_login(rules_admin2)
    page = client.get(reverse("rules:ruleset_review", args=[draft.pk])).content.decode()
    assert "New validity" in page and "Record the decision" in page
    response = client.post(reverse("rules:ruleset_review", args=[draft.pk]), {"decision": "approve"})
    assert response.status_code == 302
    detail = client.get(reverse("rules:ruleset_detail", args=[draft.pk])).content.decode()
    assert 'data-testid="approved-by"' in detail and "admin2" in detail and "Submitted for review" in detail


def test_returning_on_the_page_needs_a_comment_and_keeps_what_was_typed(
    draft, rules_admin, rules_admin2, client
):
    ruleset_submit(ruleset=draft, by=rules_admin, note="Please check")
    client.force_login(rules_admin2)
    response = client.post(
        reverse("rules:ruleset_review", args=[draft.pk]), {"decision": "return", "comment": ""}
    )
    assert response.status_code == 400 and "Say what the author should change" in response.content.decode()
    response = client.post(
        reverse("rules:ruleset_review", args=[draft.pk]),
        {"decision": "return", "comment": "Add a silent case"},
    )
    assert response.status_code == 302
    assert RuleSetEvent.objects.get(version=draft.version, action="returned").actor == rules_admin2


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("rules:ruleset_submit", {"note": "bad\x00note"}),
        ("rules:ruleset_submit", {"note": "x" * 5000}),
        ("rules:ruleset_review", {"decision": "return", "comment": "nul\x00"}),
        ("rules:ruleset_review", {"decision": "publish-everything"}),
        ("rules:ruleset_clone", {"version": "v\x00"}),
        ("rules:ruleset_clone", {"version": "x" * 41}),
        ("rules:ruleset_clone", {"version": "   "}),
    ],
)
def test_malformed_governance_input_is_a_form_error_never_a_500(draft, rules_admin, client, name, data):
    client.force_login(rules_admin)
    count = RuleSet.objects.count()
    response = client.post(reverse(name, args=[draft.pk]), data)
    assert response.status_code == 400
    assert RuleSet.objects.count() == count


def test_cloning_to_a_taken_label_says_so(active, draft, rules_admin, client):
    client.force_login(rules_admin)
    response = client.post(reverse("rules:ruleset_clone", args=[active.pk]), {"version": draft.version})
    assert response.status_code == 400 and "exists already" in response.content.decode()


def test_deleting_a_draft_asks_first_and_the_trail_keeps_a_record(draft, rules_admin, client):
    client.force_login(rules_admin)
    page = client.get(reverse("rules:ruleset_delete", args=[draft.pk]))
    assert page.status_code == 200 and "Delete draft" in page.content.decode()
    assert RuleSet.objects.filter(pk=draft.pk).exists()

    client.post(reverse("rules:ruleset_delete", args=[draft.pk]))

    assert not RuleSet.objects.filter(pk=draft.pk).exists()
    deleted = RuleSetEvent.objects.get(version=draft.version, action="deleted")
    assert deleted.actor == rules_admin and deleted.ruleset is None


def test_load_defaults_twice_records_one_shipped_publication(active):
    call_command("load_defaults", stdout=StringIO())
    assert RuleSetEvent.objects.filter(version=active.version, action="approved").count() == 1


def test_removing_a_rule_asks_first(draft, rules_admin, client):
    target = rule(draft, "BP-ELEVATED")
    client.force_login(rules_admin)
    page = client.get(reverse("rules:rule_remove", args=[draft.pk, target.pk]))
    assert page.status_code == 200 and "Remove BP-ELEVATED" in page.content.decode()
    assert draft.rules.filter(code="BP-ELEVATED").exists()

    client.post(reverse("rules:rule_remove", args=[draft.pk, target.pk]))

    assert not draft.rules.filter(code="BP-ELEVATED").exists()


def test_the_self_approval_setting_is_shown_on_every_page_of_a_draft(draft, rules_admin, client, settings):
    settings.RULES_ALLOW_SELF_APPROVAL = True
    target = rule(draft, "BP-ELEVATED")
    client.force_login(rules_admin)
    for url in (
        reverse("rules:ruleset_detail", args=[draft.pk]),
        reverse("rules:ruleset_submit", args=[draft.pk]),
        reverse("rules:ruleset_settings", args=[draft.pk]),
        reverse("rules:rule_edit", args=[draft.pk, target.pk]),
        reverse("rules:rule_add", args=[draft.pk]),
        reverse("rules:rule_history", args=[draft.pk, target.pk]),
    ):
        assert 'data-testid="self-approval-allowed"' in client.get(url).content.decode(), url
