"""The structured rule editor's pages: a rules admin changes thresholds, conditions, test cases and the
protocol without typing JSON; structural buttons save nothing; malformed input is a 400 with a message,
never a 500, and saves nothing; the diff and history pages speak in words."""

import json
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from rules.editor import predicate_to_post
from rules.models import Rule
from rules.rows import intake_rows, reasons_to_post, rows_to_post, rule_tests_to_post
from rules.services import rule_update

pytestmark = pytest.mark.django_db


def rule(ruleset, code):
    return Rule.objects.select_related("ruleset").get(ruleset=ruleset, code=code)


def rule_post(document, **changes):
    """What the edit page posts for `document` when nothing is changed, then `changes`."""
    return {
        "severity": document["severity"],
        "title": document["title"],
        "action": document["action"],
        "sources": ", ".join(document["sources"]),
        **({"enabled": "on"} if document.get("enabled", True) else {}),
        "override": document.get("override", ""),
        **predicate_to_post(document["predicate"]),
        **rule_tests_to_post(document.get("tests", [])),
        **reasons_to_post(document.get("override_reasons", [])),
        **changes,
    }


def edit_url(draft, code):
    return reverse("rules:rule_edit", args=[draft.pk, rule(draft, code).pk])


class Inputs(HTMLParser):
    """Every form control of a page and every label's target."""

    def __init__(self):
        super().__init__()
        self.controls, self.labelled = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label" and attrs.get("for"):
            self.labelled.add(attrs["for"])
        if tag in ("select", "textarea") or (
            tag == "input" and attrs.get("type") not in ("hidden", "submit", "button")
        ):
            self.controls.append(attrs)


def unlabelled(page: str) -> list[str]:
    parser = Inputs()
    parser.feed(page)
    return [c.get("name") for c in parser.controls if c.get("id") not in parser.labelled]


@pytest.fixture
def admin(client, rules_admin):
    client.force_login(rules_admin)
    return client


def test_the_edit_page_shows_the_predicate_as_labelled_fields_with_units(draft, admin):
    page = admin.get(edit_url(draft, "BP-ELEVATED")).content.decode()
    assert 'name="p.0.systolic" value="140"' in page and "mmHg" in page
    assert 'name="p.1.n.kind"' in page and "Add condition" in page and "Remove this condition" in page
    assert 'name="t.0.name"' in page and "Predicate kinds" in page
    assert unlabelled(page) == []


def test_the_add_page_and_the_settings_page_label_every_input(draft, admin):
    assert unlabelled(admin.get(reverse("rules:rule_add", args=[draft.pk])).content.decode()) == []
    assert unlabelled(admin.get(reverse("rules:ruleset_settings", args=[draft.pk])).content.decode()) == []


def test_a_threshold_is_changed_through_the_structured_form(draft, admin):
    stage2 = rule(draft, "BP-STAGE2")
    response = admin.post(
        edit_url(draft, "BP-STAGE2"), rule_post(stage2.as_document(), **{"p.systolic": "150"})
    )
    assert response.status_code == 302
    assert rule(draft, "BP-STAGE2").predicate == {
        "kind": "bp_mean_at_least",
        "params": {"systolic": 150, "diastolic": 100},
    }


def test_saving_an_unchanged_form_changes_nothing(draft, admin):
    before = draft.sha256
    for code in ("IND-NO-QUALIFYING", "MEDS-CNS-DEPRESSANT", "PSY-PSYCHOSIS-HISTORY"):
        document = rule(draft, code).as_document()
        assert admin.post(edit_url(draft, code), rule_post(document)).status_code == 302
        assert rule(draft, code).as_document() == document
    draft.refresh_from_db()
    assert draft.sha256 == before


def test_a_test_case_is_added_through_the_rows(draft, admin):
    mania = rule(draft, "PSY-MANIA-CURRENT").as_document()
    new = len(mania["tests"])
    post = rule_post(
        mania,
        **{
            f"t.{new}.name": "mania unknown is silent",
            f"t.{new}.r.0.path": "psychiatric.mania_current",
            f"t.{new}.r.0.value": "unknown",
        },
    )
    assert admin.post(edit_url(draft, "PSY-MANIA-CURRENT"), post).status_code == 302
    assert rule(draft, "PSY-MANIA-CURRENT").tests[-1] == {
        "name": "mania unknown is silent",
        "intake": {"psychiatric": {"mania_current": "unknown"}},
        "fires": False,
    }


def test_a_test_case_ticked_remove_is_removed(draft, admin):
    mania = rule(draft, "PSY-MANIA-CURRENT").as_document()
    assert (
        admin.post(edit_url(draft, "PSY-MANIA-CURRENT"), rule_post(mania, **{"t.0.remove": "on"})).status_code
        == 302
    )
    assert rule(draft, "PSY-MANIA-CURRENT").tests == mania["tests"][1:]


@pytest.mark.parametrize(
    ("action", "shown", "gone"),
    [
        ("add:p", 'name="p.2.kind"', None),
        ("remove:p.1", 'name="p.0.systolic"', 'name="p.1.n.kind"'),
        ("kind:p", 'name="p.0.kind"', None),
    ],
)
def test_a_structural_button_shows_the_edited_tree_and_saves_nothing(draft, admin, action, shown, gone):
    elevated = rule(draft, "BP-ELEVATED").as_document()
    post = rule_post(elevated, structure=action, title="Typed but not saved")
    response = admin.post(edit_url(draft, "BP-ELEVATED"), post)
    page = response.content.decode()
    assert response.status_code == 200
    assert shown in page and (gone is None or gone not in page)
    assert 'value="Typed but not saved"' in page
    assert rule(draft, "BP-ELEVATED").as_document() == elevated


def test_a_simple_condition_changed_to_all_with_apply_becomes_its_first_condition(draft, admin):
    stage2 = rule(draft, "BP-STAGE2").as_document()
    page = admin.post(
        edit_url(draft, "BP-STAGE2"), rule_post(stage2, **{"p.kind": "all", "structure": "kind:p"})
    )
    page = page.content.decode()
    assert 'name="p.0.systolic" value="160"' in page and 'name="p.0.diastolic" value="100"' in page


def test_a_kind_changed_without_apply_shows_its_fields_and_saves_nothing(draft, admin):
    stage2 = rule(draft, "BP-STAGE2").as_document()
    response = admin.post(edit_url(draft, "BP-STAGE2"), rule_post(stage2, **{"p.kind": "age"}))
    assert response.status_code == 400
    page = response.content.decode()
    assert "kind changed" in page and 'name="p.min"' in page
    assert rule(draft, "BP-STAGE2").as_document() == stage2


def test_an_engine_problem_is_shown_on_its_widget_and_the_input_is_kept(draft, admin):
    sud = rule(draft, "PSY-SUD-CURRENT").as_document()
    response = admin.post(
        edit_url(draft, "PSY-SUD-CURRENT"), rule_post(sud, **{"p.values": ["current", "maybe"]})
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "&#x27;maybe&#x27; is not a value of substance_use_disorder" in page
    assert 'value="maybe" checked' in page
    assert rule(draft, "PSY-SUD-CURRENT").as_document() == sud


def test_a_rule_is_added_through_the_structured_form(draft, admin):
    post = {
        "code": "MEDS-KETAMINE-ORAL",
        "severity": "review",
        "title": "Already takes ketamine",
        "action": "Reconcile with the current ketamine prescriber.",
        "sources": "A1",
        "enabled": "on",
        "p.kind": "medication",
        "p.atc_prefixes": "N01AX03, N06AX27",
        "t.0.name": "esketamine fires",
        "t.0.fires": "on",
        "t.0.r.0.path": "medications.items",
        "t.0.r.0.value": '[{"name": "esketamine", "dose_mg": 56, "times_per_day": 1, "as_needed": false}]',
        "or.0.code": "already_supervised",
        "or.0.display": "Already supervised by the prescriber",
    }
    response = admin.post(reverse("rules:rule_add", args=[draft.pk]), post)
    assert response.status_code == 302
    added = rule(draft, "MEDS-KETAMINE-ORAL")
    assert added.predicate == {"kind": "medication", "params": {"atc_prefixes": ["N01AX03", "N06AX27"]}}
    assert added.tests[0]["intake"]["medications"]["items"][0]["name"] == "esketamine"
    assert added.override_reasons == [
        {"code": "already_supervised", "display": "Already supervised by the prescriber"}
    ]


MALFORMED_RULE_POSTS = {
    "deep nesting in a row value": {"t.0.r.0.value": "[" * 100_000 + "]" * 100_000},
    "deep nesting in the JSON fallback": {"tests": "[" * 100_000 + "]" * 100_000},
    "a 4300-digit integer in a number input": {"p.systolic": "9" * 4300},
    "a 4301-digit integer in a row value": {"t.0.r.0.value": "9" * 4301},
    "a 4301-digit integer in the JSON fallback": {
        "predicate": '{"kind": "age", "params": {"min": ' + "9" * 4301 + "}}"
    },
    "NaN in a number input": {"p.systolic": "NaN"},
    "NaN in a row value": {"t.0.r.0.value": "NaN"},
    "Infinity in the JSON fallback": {
        "predicate": '{"kind": "bp_mean_at_least", "params": {"systolic": Infinity, "diastolic": 1}}'
    },
    "NUL in a plain field": {"title": "Stage\x002"},
    "NUL in a number input": {"p.systolic": "16\x000"},
    "NUL in a case name": {"t.0.name": "a\x00b"},
    "NUL in a row value": {"t.0.r.0.value": "a\x00b"},
    "NUL inside JSON": {"tests": '[{"name": "a\\u0000b", "intake": {}, "fires": true}]'},
    "NUL in a reason": {"or.0.code": "a", "or.0.display": "b\x00"},
    "1e400 in a number input": {"p.systolic": "1e400"},
    "1e400 in a row value": {"t.0.r.0.value": "1e400"},
    "1e400 in the JSON fallback": {
        "predicate": '{"kind": "bp_mean_at_least", "params": {"systolic": 1e400, "diastolic": 1}}'
    },
}


@pytest.mark.parametrize("change", MALFORMED_RULE_POSTS.values(), ids=MALFORMED_RULE_POSTS.keys())
def test_malformed_input_on_the_rule_edit_page_is_a_400_with_a_message(draft, admin, change):
    stage2 = rule(draft, "BP-STAGE2").as_document()
    before = draft.sha256
    response = admin.post(edit_url(draft, "BP-STAGE2"), rule_post(stage2, **change))
    assert response.status_code == 400
    assert "invalid-feedback" in response.content.decode() or "alert-danger" in response.content.decode()
    assert rule(draft, "BP-STAGE2").as_document() == stage2
    draft.refresh_from_db()
    assert draft.sha256 == before


@pytest.mark.parametrize(
    "change",
    [
        {"p.atc_prefixes": "N01AX03\x00"},
        {"p.atc_prefixes": "N" * 5000},
        {"t.0.r.0.value": "1e400", "t.0.name": "x", "t.0.r.0.path": "a.b"},
    ],
)
def test_malformed_input_on_the_rule_add_page_adds_nothing(draft, admin, change):
    post = {
        "code": "MEDS-NEW",
        "severity": "review",
        "title": "t",
        "action": "a",
        "sources": "A1",
        "p.kind": "medication",
    }
    response = admin.post(reverse("rules:rule_add", args=[draft.pk]), {**post, **change})
    assert response.status_code == 400
    assert not draft.rules.filter(code="MEDS-NEW").exists()


def settings_post(draft, **changes):
    protocol = draft.protocol
    post = {
        "dose_low": json.dumps(protocol["dose_mg_per_kg"][0]),
        "dose_high": json.dumps(protocol["dose_mg_per_kg"][1]),
        "minutes_shortest": str(protocol["infusion_minutes"][0]),
        "minutes_longest": str(protocol["infusion_minutes"][1]),
        "bp_window_days": str(protocol["bp_window_days"]),
        "measure_window_days": str(protocol["measure_window_days"]),
        "validity_days": str(protocol["validity_days"]),
        "dose_sources": ", ".join(protocol["dose_sources"]),
    }
    for i, item in enumerate(protocol["checklist"]):
        post[f"cl.{i}.text"] = item["text"]
        post[f"cl.{i}.sources"] = ", ".join(item["sources"])
    post.update(rows_to_post(intake_rows(draft.test_baseline), "b.r"))
    return {**post, **changes}


def test_the_settings_page_changes_validity_days_and_nothing_else(draft, admin):
    protocol = dict(draft.protocol)
    response = admin.post(
        reverse("rules:ruleset_settings", args=[draft.pk]), settings_post(draft, validity_days="14")
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.protocol == {**protocol, "validity_days": 14}


def test_the_settings_page_changes_the_measure_window_and_nothing_else(draft, admin):
    protocol = dict(draft.protocol)
    assert protocol["measure_window_days"] == 30
    page = admin.get(reverse("rules:ruleset_settings", args=[draft.pk])).content.decode()
    assert 'name="measure_window_days"' in page and "Baseline measures count for" in page
    response = admin.post(
        reverse("rules:ruleset_settings", args=[draft.pk]), settings_post(draft, measure_window_days="14")
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.protocol == {**protocol, "measure_window_days": 14}


def test_a_blank_measure_window_leaves_it_out_and_the_engine_uses_30(draft, admin):
    response = admin.post(
        reverse("rules:ruleset_settings", args=[draft.pk]), settings_post(draft, measure_window_days="")
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert "measure_window_days" not in draft.protocol


def test_an_invalid_measure_window_is_shown_on_its_field(draft, admin):
    response = admin.post(
        reverse("rules:ruleset_settings", args=[draft.pk]), settings_post(draft, measure_window_days="366")
    )
    assert response.status_code == 400
    assert "must be a whole number of days from 1 to 365" in response.content.decode()
    draft.refresh_from_db()
    assert draft.protocol["measure_window_days"] == 30


def test_the_measure_rules_save_unchanged_and_item9_value_is_edited_in_the_form(draft, admin):
    before = draft.sha256
    for code in ("MEAS-CSSRS-RISK", "MEAS-PHQ9-ITEM9"):
        document = rule(draft, code).as_document()
        page = admin.get(edit_url(draft, code)).content.decode()
        assert document["predicate"]["kind"] in page
        assert admin.post(edit_url(draft, code), rule_post(document)).status_code == 302
        assert rule(draft, code).as_document() == document
    draft.refresh_from_db()
    assert draft.sha256 == before

    item9 = rule(draft, "MEAS-PHQ9-ITEM9").as_document()
    assert (
        admin.post(edit_url(draft, "MEAS-PHQ9-ITEM9"), rule_post(item9, **{"p.value": "2"})).status_code
        == 302
    )
    assert rule(draft, "MEAS-PHQ9-ITEM9").predicate == {"kind": "phq9_item9_at_least", "params": {"value": 2}}


def test_an_item9_value_outside_0_to_3_is_refused_on_its_field(draft, admin):
    item9 = rule(draft, "MEAS-PHQ9-ITEM9").as_document()
    response = admin.post(edit_url(draft, "MEAS-PHQ9-ITEM9"), rule_post(item9, **{"p.value": "4"}))
    assert response.status_code == 400
    assert "an item is scored 0 to 3, got 4" in response.content.decode()
    assert rule(draft, "MEAS-PHQ9-ITEM9").predicate["params"]["value"] == 1


def test_saving_the_settings_unchanged_keeps_the_hash(draft, admin):
    before, baseline = draft.sha256, draft.test_baseline
    assert (
        admin.post(reverse("rules:ruleset_settings", args=[draft.pk]), settings_post(draft)).status_code
        == 302
    )
    draft.refresh_from_db()
    assert draft.sha256 == before and draft.test_baseline == baseline


def test_a_checklist_item_is_added_and_one_removed(draft, admin):
    items = draft.protocol["checklist"]
    post = settings_post(
        draft, **{"cl.0.remove": "on", "cl.9.text": "IV access checked.", "cl.9.sources": "A1"}
    )
    assert admin.post(reverse("rules:ruleset_settings", args=[draft.pk]), post).status_code == 302
    draft.refresh_from_db()
    assert draft.protocol["checklist"] == [*items[1:], {"text": "IV access checked.", "sources": ["A1"]}]


def test_an_invalid_protocol_number_is_shown_on_its_field(draft, admin):
    response = admin.post(
        reverse("rules:ruleset_settings", args=[draft.pk]), settings_post(draft, bp_window_days="0")
    )
    assert response.status_code == 400
    assert "must be a whole number of days from 1 to 365" in response.content.decode()


MALFORMED_SETTINGS_POSTS = {
    "deep nesting in the protocol JSON": {"protocol": "[" * 100_000 + "]" * 100_000},
    "deep nesting in a baseline row": {"b.r.0.value": "[" * 100_000 + "]" * 100_000},
    "a 4301-digit integer in days": {"validity_days": "9" * 4301},
    "a 4301-digit integer in a baseline row": {"b.r.0.value": "9" * 4301},
    "NaN in a dose": {"dose_low": "NaN"},
    "NaN in the protocol JSON": {"protocol": '{"validity_days": NaN}'},
    "NUL in a checklist item": {"cl.0.text": "Consent\x00"},
    "NUL in the baseline JSON": {"test_baseline": '{"patient": {"mrn": "A\\u0000"}}'},
    "1e400 in a dose": {"dose_high": "1e400"},
    "1e400 in minutes": {"minutes_longest": "1e400"},
}


@pytest.mark.parametrize("change", MALFORMED_SETTINGS_POSTS.values(), ids=MALFORMED_SETTINGS_POSTS.keys())
def test_malformed_input_on_the_settings_page_is_a_400_and_saves_nothing(draft, admin, change):
    protocol, baseline = draft.protocol, draft.test_baseline
    response = admin.post(reverse("rules:ruleset_settings", args=[draft.pk]), settings_post(draft, **change))
    assert response.status_code == 400
    draft.refresh_from_db()
    assert (draft.protocol, draft.test_baseline) == (protocol, baseline)


def test_the_diff_page_shows_a_threshold_change_in_words(active, draft, admin):
    stage2 = rule(draft, "BP-STAGE2").as_document()
    admin.post(edit_url(draft, "BP-STAGE2"), rule_post(stage2, **{"p.systolic": "150"}))
    page = admin.get(reverse("rules:ruleset_diff"), {"a": active.pk, "b": draft.pk}).content.decode()
    assert "systolic 160 → 150" in page and "{&#x27;kind&#x27;" not in page


def test_the_diff_page_shows_protocol_changes_in_words(active, draft, admin):
    admin.post(reverse("rules:ruleset_settings", args=[draft.pk]), settings_post(draft, validity_days="14"))
    page = admin.get(reverse("rules:ruleset_diff"), {"a": active.pk, "b": draft.pk}).content.decode()
    assert "validity days 30 → 14" in page


def test_the_history_page_shows_words_not_reprs(draft, admin, rules_admin):
    mania = rule(draft, "PSY-MANIA-CURRENT")
    tests = [{**mania.tests[0], "fires": not mania.tests[0]["fires"]}, *mania.tests[1:]]
    predicate = {**mania.predicate}
    rule_update(rule=mania, user=rules_admin, values={"tests": tests, "predicate": predicate})
    stage2 = rule(draft, "BP-STAGE2").as_document()
    admin.post(edit_url(draft, "BP-STAGE2"), rule_post(stage2, **{"p.systolic": "150"}))
    page = admin.get(
        reverse("rules:rule_history", args=[draft.pk, rule(draft, "BP-STAGE2").pk])
    ).content.decode()
    assert "systolic 160 → 150" in page
    assert "{&#x27;kind&#x27;" not in page and "&#x27;params&#x27;" not in page
    page = admin.get(reverse("rules:rule_history", args=[draft.pk, mania.pk])).content.decode()
    assert f"case &#x27;{mania.tests[0]['name']}&#x27;: must fire yes → no" in page
