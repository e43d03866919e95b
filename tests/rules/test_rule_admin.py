import json
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from rules.bench import ruleset_test_results
from rules.models import Rule, RuleSet
from rules.selectors import ruleset_diff, ruleset_document
from rules.services import PublishRefused, rule_update, ruleset_approve, ruleset_submit
from screening.engine import RuleSetInvalid, content_sha256
from tests.conftest import ROOT
from tests.rules.conftest import publish_reviewed

pytestmark = pytest.mark.django_db
DEFAULT_FIXTURE = ROOT / "fixtures" / "ruleset-default.json"


def rule(ruleset, code):
    return Rule.objects.select_related("ruleset").get(ruleset=ruleset, code=code)


def test_default_rule_set_is_loaded_published_and_active(active):
    assert active.status == RuleSet.Status.PUBLISHED
    assert active.rules.count() == 60
    assert active.sha256 == content_sha256(json.loads(DEFAULT_FIXTURE.read_text()))


def test_a_published_rule_set_can_never_be_edited(active):
    stage2 = rule(active, "BP-STAGE2")
    stage2.predicate = {"kind": "bp_mean_at_least", "params": {"systolic": 150, "diastolic": 95}}
    with pytest.raises(ValidationError, match="never be edited"):
        stage2.save()
    with pytest.raises(ValidationError):
        stage2.delete()
    active.protocol = {**active.protocol, "bp_window_days": 60}
    with pytest.raises(ValidationError, match="Clone it"):
        active.save()
    with pytest.raises(ValidationError):
        active.delete()
    with pytest.raises(RuleSetInvalid, match="not a draft"):
        rule_update(rule=rule(active, "BP-STAGE2"), values={"title": "x"})
    assert rule(active, "BP-STAGE2").predicate["params"]["systolic"] == 160


def test_clone_is_a_draft_with_the_same_content_hash(active, draft):
    assert draft.status == RuleSet.Status.DRAFT and not draft.is_active
    assert draft.sha256 == active.sha256
    assert draft.rules.count() == active.rules.count()


def test_editing_a_draft_rule_changes_its_hash_and_records_who(draft, rules_admin):
    before = draft.sha256
    rule_update(
        rule=rule(draft, "BP-STAGE2"),
        user=rules_admin,
        values={"predicate": {"kind": "bp_mean_at_least", "params": {"systolic": 150, "diastolic": 95}}},
    )
    draft.refresh_from_db()
    assert draft.sha256 != before
    last = rule(draft, "BP-STAGE2").history.order_by("-history_date").first()
    assert last.history_user == rules_admin
    assert last.predicate["params"]["systolic"] == 150


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"predicate": {"kind": "bp_mean_guess", "params": {}}},
            "BP-STAGE2.predicate.kind: 'bp_mean_guess' is not a known",
        ),
        (
            {"predicate": {"kind": "bp_mean_at_least", "params": {"systolic": "160"}}},
            "BP-STAGE2.predicate.params.systolic: expected a number",
        ),
        (
            {"predicate": {"kind": "bp_mean_at_least", "params": {"systolic": 160}}},
            "BP-STAGE2.predicate.params.diastolic: required",
        ),
        (
            {
                "predicate": {
                    "kind": "bp_mean_at_least",
                    "params": {"systolic": 160, "diastolic": 100, "x": 1},
                }
            },
            "BP-STAGE2.predicate.params.x: not a parameter",
        ),
        ({"severity": "urgent"}, "BP-STAGE2.severity: 'urgent' is not one of"),
        ({"sources": ["Z9"]}, "BP-STAGE2.sources[0]: 'Z9' is not a source id"),
        ({"tests": [{"intake": {}, "fires": "yes"}]}, "BP-STAGE2.tests[0].fires: must be true or false"),
    ],
)
def test_invalid_rule_changes_are_refused_naming_rule_and_field(draft, values, message):
    stage2 = rule(draft, "BP-STAGE2")
    with pytest.raises(RuleSetInvalid) as caught:
        rule_update(rule=stage2, values=values)
    assert any(e.startswith(message) for e in caught.value.errors), caught.value.errors
    assert rule(draft, "BP-STAGE2").as_document() == stage2.as_document()


def test_rule_edit_page_shows_the_error_on_the_field_and_keeps_the_input(draft, rules_admin, client):
    client.force_login(rules_admin)
    stage2 = rule(draft, "BP-STAGE2")
    response = client.post(
        reverse("rules:rule_edit", args=[draft.pk, stage2.pk]),
        {
            "severity": "defer",
            "title": "Stage 2",
            "action": "Correct first",
            "sources": "S5, A1",
            "enabled": "on",
            "predicate": '{"kind": "bp_mean_at_least", "params": {"systolic": "high", "diastolic": 100}}',
            "tests": "[]",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "predicate.params.systolic: expected a number" in page
    assert "&quot;high&quot;" in page  # the entered JSON is still there


def test_rule_edit_page_rejects_broken_json_with_a_message(draft, rules_admin, client):
    client.force_login(rules_admin)
    stage2 = rule(draft, "BP-STAGE2")
    response = client.post(
        reverse("rules:rule_edit", args=[draft.pk, stage2.pk]),
        {
            "severity": "defer",
            "title": "Stage 2",
            "action": "Correct first",
            "sources": "S5",
            "predicate": "{oops",
            "tests": "",
        },
    )
    assert response.status_code == 400
    assert "Not valid JSON" in response.content.decode()


def test_publishing_needs_a_note_and_retires_the_previous_set(active, draft, rules_admin, rules_admin2):
    with pytest.raises(PublishRefused, match="change note"):
        ruleset_submit(ruleset=draft, by=rules_admin, note="  ")
    ruleset_submit(ruleset=draft, by=rules_admin, note="Cloned without changes")
    ruleset_approve(ruleset=draft, by=rules_admin2)
    active.refresh_from_db()
    draft.refresh_from_db()
    assert draft.is_active and draft.status == RuleSet.Status.PUBLISHED
    assert not active.is_active and active.status == RuleSet.Status.RETIRED
    assert RuleSet.objects.filter(is_active=True).count() == 1


def test_publishing_is_refused_while_a_test_case_fails(draft, rules_admin):
    stage2 = rule(draft, "BP-STAGE2")
    failing_case = {
        "name": "120/80 must fire (wrong on purpose)",
        "fires": True,
        "intake": {
            "blood_pressure": [{"taken_at": "2026-11-20T09:00:00-07:00", "systolic": 120, "diastolic": 80}]
        },
    }
    rule_update(rule=stage2, values={"tests": [*stage2.tests, failing_case]})
    with pytest.raises(PublishRefused, match="test case fails: BP-STAGE2"):
        ruleset_submit(ruleset=draft, by=rules_admin, note="try")
    rule_update(rule=rule(draft, "BP-STAGE2"), values={"tests": stage2.tests})
    publish_reviewed(RuleSet.objects.get(pk=draft.pk), note="fixed", author=rules_admin)


def test_default_rule_set_ships_a_firing_and_a_silent_case_for_every_rule_and_all_pass(active):
    document = ruleset_document(active)
    for r in document["rules"]:
        assert {case["fires"] for case in r.get("tests", [])} == {True, False}, r["code"]
    results = ruleset_test_results(document)
    assert [f"{r.rule} [{r.name}]" for r in results if not r.passed] == []
    assert len(results) >= 108


def test_export_then_import_gives_the_same_hash(active, tmp_path):
    out = tmp_path / "export.json"
    call_command("rules", "export", "-o", str(out), stdout=StringIO(), stderr=StringIO())
    call_command("rules", "import", str(out), "--version", "2026.1-copy", stdout=StringIO())
    copy = RuleSet.objects.get(version="2026.1-copy")
    assert copy.status == RuleSet.Status.DRAFT
    assert copy.sha256 == active.sha256
    assert json.loads(out.read_text())["rules"] == ruleset_document(copy)["rules"]


def test_import_of_a_bad_file_reports_every_error_by_rule_and_field_and_imports_nothing(active, tmp_path):
    data = json.loads(DEFAULT_FIXTURE.read_text())
    data["version"] = "broken"
    data["rules"][0]["severity"] = "urgent"
    stage2 = next(r for r in data["rules"] if r["code"] == "BP-STAGE2")
    stage2["predicate"]["params"]["systolic"] = "high"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data))
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("rules", "import", str(path), stdout=StringIO(), stderr=err)
    assert "(DATA-NO-DIAGNOSIS).severity: 'urgent'" in err.getvalue()
    assert "(BP-STAGE2).predicate.params.systolic: expected a number" in err.getvalue()
    assert not RuleSet.objects.filter(version="broken").exists()
    assert Rule.objects.count() == 60


def test_diff_lists_added_removed_and_changed_rules_with_old_and_new_values(active, draft):
    rule_update(
        rule=rule(draft, "BP-STAGE2"),
        values={"predicate": {"kind": "bp_mean_at_least", "params": {"systolic": 150, "diastolic": 95}}},
    )
    rule(draft, "SUP-UNKNOWN").delete()
    diff = ruleset_diff(ruleset_document(active), ruleset_document(draft))
    assert [r["code"] for r in diff["removed"]] == ["SUP-UNKNOWN"]
    assert diff["added"] == []
    (change,) = diff["changed"]
    assert change["code"] == "BP-STAGE2"
    field, old, new = change["fields"][0]
    assert field == "predicate" and old["params"]["systolic"] == 160 and new["params"]["systolic"] == 150


def test_diff_page_shows_the_change(active, draft, rules_admin, client):
    rule_update(rule=rule(draft, "BP-ELEVATED"), values={"title": "BP over 140/90 (reworded)"})
    client.force_login(rules_admin)
    page = client.get(reverse("rules:ruleset_diff"), {"a": active.pk, "b": draft.pk}).content.decode()
    assert (
        "BP-ELEVATED" in page
        and "BP over 140/90 (reworded)" in page
        and "Blood pressure above 140/90" in page
    )


def test_rule_history_page_shows_editor_and_before_after(draft, rules_admin, client):
    rule_update(rule=rule(draft, "BP-ELEVATED"), values={"title": "Reworded title"}, user=rules_admin)
    client.force_login(rules_admin)
    page = client.get(
        reverse("rules:rule_history", args=[draft.pk, rule(draft, "BP-ELEVATED").pk])
    ).content.decode()
    assert "Robin" in page or rules_admin.username in page
    assert "Blood pressure above 140/90" in page and "Reworded title" in page


@pytest.mark.parametrize(
    "name",
    [
        "rules:ruleset_clone",
        "rules:ruleset_submit",
        "rules:ruleset_review",
        "rules:ruleset_withdraw",
        "rules:ruleset_delete",
        "screening:impact_start",
    ],
)
def test_rule_changing_pages_are_for_rules_admins_only(draft, clinician_client, name):
    assert (
        clinician_client.post(reverse(name, args=[draft.pk]), {"version": "x", "note": "x"}).status_code
        == 403
    )
    draft.refresh_from_db()
    assert draft.status == RuleSet.Status.DRAFT


def test_rule_admin_pages_require_login(draft, client):
    for url in (
        reverse("rules:ruleset_list"),
        reverse("rules:ruleset_detail", args=[draft.pk]),
        reverse("screening:impact", args=[draft.pk]),
    ):
        assert client.get(url).status_code == 302


def test_draft_page_shows_the_test_bench_summary(draft, rules_admin, client):
    client.force_login(rules_admin)
    page = client.get(reverse("rules:ruleset_detail", args=[draft.pk])).content.decode()
    assert "test cases pass" in page
    assert "Submit for review" in page


NEW_RULE = {
    "code": "MEDS-KETAMINE-ORAL",
    "severity": "review",
    "title": "Already takes ketamine",
    "action": "Reconcile with the current ketamine prescriber.",
    "sources": "A1",
    "enabled": "on",
    "predicate": '{"kind": "medication", "params": {"atc_prefixes": ["N01AX03"]}}',
    "tests": "[]",
}


def test_a_rules_admin_adds_a_rule_to_a_draft(draft, rules_admin, client):
    client.force_login(rules_admin)
    before = draft.sha256
    response = client.post(reverse("rules:rule_add", args=[draft.pk]), NEW_RULE)
    assert response.status_code == 302
    added = rule(draft, "MEDS-KETAMINE-ORAL")
    assert added.sources == ["A1"] and added.position > rule(draft, "SUP-UNKNOWN").position
    draft.refresh_from_db()
    assert draft.sha256 != before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"code": "BP-STAGE2"}, "this draft already has a rule BP-STAGE2"),
        ({"code": "lower-case"}, "is not a rule code"),
        (
            {"predicate": '{"kind": "medication", "params": {"atc": ["N01AX03"]}}'},
            "predicate.params.atc: not a parameter",
        ),
    ],
)
def test_adding_an_invalid_rule_shows_why_and_adds_nothing(draft, rules_admin, client, change, message):
    client.force_login(rules_admin)
    response = client.post(reverse("rules:rule_add", args=[draft.pk]), {**NEW_RULE, **change})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert draft.rules.count() == 60


def test_a_rule_is_removed_from_a_draft_but_never_from_a_published_set(active, draft, rules_admin, client):
    client.force_login(rules_admin)
    client.post(reverse("rules:rule_remove", args=[draft.pk, rule(draft, "SUP-UNKNOWN").pk]))
    assert not draft.rules.filter(code="SUP-UNKNOWN").exists()
    client.post(reverse("rules:rule_remove", args=[active.pk, rule(active, "SUP-UNKNOWN").pk]))
    assert active.rules.filter(code="SUP-UNKNOWN").exists()
    assert client.get(reverse("rules:rule_add", args=[active.pk])).status_code == 404


def test_a_rule_cannot_be_moved_out_of_a_published_set(active, draft):
    avm = rule(active, "CV-AVM")
    avm.ruleset = draft
    with pytest.raises(ValidationError, match="cannot be moved"):
        avm.save()
    assert active.rules.filter(code="CV-AVM").exists()


def test_a_published_sets_note_and_date_are_frozen_too(active):
    active.note = "rewritten afterwards"
    with pytest.raises(ValidationError):
        active.save()


@pytest.mark.parametrize("name", ["rule_edit", "rule_remove"])
def test_rule_pages_for_one_rule_are_for_rules_admins_only(draft, clinician_client, name):
    stage2 = rule(draft, "BP-STAGE2")
    assert (
        clinician_client.post(reverse(f"rules:{name}", args=[draft.pk, stage2.pk]), NEW_RULE).status_code
        == 403
    )
    assert rule(draft, "BP-STAGE2").as_document() == stage2.as_document()


def test_adding_a_rule_is_for_rules_admins_only(draft, clinician_client):
    assert clinician_client.post(reverse("rules:rule_add", args=[draft.pk]), NEW_RULE).status_code == 403
    assert not draft.rules.filter(code="MEDS-KETAMINE-ORAL").exists()


def test_a_drafts_protocol_numbers_are_data_an_admin_changes(draft, rules_admin, client):
    client.force_login(rules_admin)
    protocol = {**draft.protocol, "bp_window_days": 14, "dose_mg_per_kg": [0.5, 0.75]}
    response = client.post(
        reverse("rules:ruleset_settings", args=[draft.pk]),
        {"protocol": json.dumps(protocol), "test_baseline": json.dumps(draft.test_baseline)},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.protocol["bp_window_days"] == 14
    assert draft.sha256 == content_sha256(ruleset_document(draft))


def test_an_invalid_protocol_is_refused_naming_the_field(draft, rules_admin, client):
    client.force_login(rules_admin)
    protocol = {**draft.protocol, "bp_window_days": 0}
    response = client.post(
        reverse("rules:ruleset_settings", args=[draft.pk]),
        {"protocol": json.dumps(protocol), "test_baseline": json.dumps(draft.test_baseline)},
    )
    assert response.status_code == 400
    assert (
        "protocol.bp_window_days: must be a whole number of days from 1 to 365" in response.content.decode()
    )
    draft.refresh_from_db()
    assert draft.protocol["bp_window_days"] == 30


def test_a_published_sets_protocol_page_does_not_exist(active, rules_admin, client):
    client.force_login(rules_admin)
    assert client.get(reverse("rules:ruleset_settings", args=[active.pk])).status_code == 404
