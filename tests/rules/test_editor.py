"""The structured rule editor's data side: every predicate kind, the default rule set's predicates and test
cases survive the trip to form fields and back; structural edits; malformed text is a problem, not a crash;
changes read in words."""

import json

import pytest

from rules.describe import cases_changes, predicate_changes, protocol_changes, rule_changes
from rules.editor import (
    apply_structure,
    draft_of,
    kinds_changed,
    predicate_from_post,
    predicate_of,
    predicate_to_post,
    read_tree,
    tree_to_post,
)
from rules.editor_widgets import render_tree, target
from rules.rows import (
    intake_from_rows,
    intake_rows,
    parse_value,
    reason_rows_from_post,
    reasons_of,
    reasons_to_post,
    rule_tests_from_post,
    rule_tests_to_post,
    value_text,
)
from screening.engine import REGISTRY
from screening.engine.problems import Problem
from tests.conftest import ROOT

DEFAULT = json.loads((ROOT / "fixtures" / "ruleset-default.json").read_text())
RULES = {rule["code"]: rule for rule in DEFAULT["rules"]}

SAMPLE = {
    "answer": "pregnancy",
    "answers": ["escort_available", "support_person"],
    "values": ["pregnant", "unknown"],
    "atc_prefixes": ["N05BA", "N03AE"],
    "classes": ["opioid", "benzodiazepine"],
    "exclude_atc_prefixes": ["A08AA62"],
    "prefixes": ["F33.2", "F43.1"],
    "exclude_prefixes": ["F32.2"],
    "systolic": 160,
    "diastolic": 99.5,
    "bpm": 100,
    "mg": 8,
    "below": 2,
    "min": 12,
    "max": 55,
    "value": 2,
}
LEAF = {"kind": "bp_mean_at_least", "params": {"systolic": 150, "diastolic": 95}}


def sample_value(name, param):
    if name in SAMPLE:
        return SAMPLE[name]
    return {
        "int": 17,
        "number": 0.5,
        "bool": True,
        "str": param.choices[-1] if param.choices else "text",
        "str_list": list(param.choices) or ["A1"],
        "predicate": LEAF,
        "predicate_list": [LEAF, {"kind": "age", "params": {"min": 65}}],
    }[param.type]


def example(kind, *, optional=True):
    params = REGISTRY[kind].params.items()
    return {
        "kind": kind,
        "params": {n: sample_value(n, p) for n, p in params if optional or p.required},
    }


def round_trip(predicate):
    return predicate_from_post(predicate_to_post(predicate))


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_every_kind_round_trips_through_the_form_fields_with_all_its_parameters(kind):
    assert round_trip(example(kind)) == (example(kind), [])


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_every_kind_round_trips_with_its_optional_parameters_left_out(kind):
    assert round_trip(example(kind, optional=False)) == (example(kind, optional=False), [])


@pytest.mark.parametrize("code", sorted(RULES))
def test_every_predicate_of_the_default_rule_set_round_trips(code):
    assert round_trip(RULES[code]["predicate"]) == (RULES[code]["predicate"], [])


def test_nested_all_any_not_round_trip_with_numbered_and_negated_paths():
    predicate = {
        "kind": "all",
        "params": {
            "of": [
                {"kind": "any", "params": {"of": [LEAF, {"kind": "age", "params": {"max": 17}}]}},
                {"kind": "not", "params": {"predicate": {"kind": "not", "params": {"predicate": LEAF}}}},
            ]
        },
    }
    post = predicate_to_post(predicate)
    assert post["p.0.1.max"] == "17" and post["p.1.n.n.systolic"] == "150"
    assert predicate_from_post(post) == (predicate, [])


def test_numbers_keep_their_type_and_a_false_bool_stays_false():
    predicate = {
        "kind": "number_below",
        "params": {"field": "weight_kg", "below": 40.0, "unknown_fires": False},
    }
    post = predicate_to_post(predicate)
    assert post["p.below"] == "40.0" and "p.unknown_fires" not in post
    assert predicate_from_post(post) == (predicate, [])


def test_a_querydict_with_repeated_values_reads_as_a_list(rf):
    data = rf.post(
        "/", {"p.kind": "answer_in", "p.answer": "pregnancy", "p.values": ["pregnant", "unknown"]}
    ).POST
    assert predicate_from_post(data) == (
        {"kind": "answer_in", "params": {"answer": "pregnancy", "values": ["pregnant", "unknown"]}},
        [],
    )


def test_tokens_are_split_on_commas_and_spaces_and_stripped():
    post = {"p.kind": "medication", "p.atc_prefixes": " N05BA,N03AE ;  N05CD ", "p.classes": ""}
    assert predicate_from_post(post) == (
        {"kind": "medication", "params": {"atc_prefixes": ["N05BA", "N03AE", "N05CD"]}},
        [],
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("high", "is not a number"),
        ("1e400", "out of range"),
        ("NaN", "is not a number"),
        ("Infinity", "is not a number"),
        ("9" * 4300, "is not a number"),
        ("", "required"),
        ("16\x000", "NUL"),
    ],
)
def test_a_bad_number_is_a_problem_on_its_parameter(text, message):
    predicate, problems = predicate_from_post(
        {"p.kind": "bp_mean_at_least", "p.systolic": text, "p.diastolic": "90"}
    )
    assert predicate is None
    assert [p.path for p in problems] == ["predicate.params.systolic"]
    assert message in problems[0].message


def test_a_whole_number_parameter_refuses_a_fraction_and_an_unknown_kind_is_named():
    _, problems = predicate_from_post(
        {"p.kind": "all", "p.0.kind": "age", "p.0.min": "17.5", "p.1.kind": "nope"}
    )
    assert [str(p) for p in problems] == [
        "predicate.params.of[0].params.min: '17.5' is not a whole number (like 17)",
        "predicate.params.of[1].kind: 'nope' is not a predicate kind",
    ]


def test_conditions_nested_deeper_than_the_editor_goes_are_not_read():
    post = {"p" + ".0" * depth + ".kind": "all" for depth in range(5000)}
    _, problems = predicate_from_post(post)
    assert problems and problems[-1].message == "add at least one condition"


def test_add_and_remove_a_condition():
    tree = draft_of(RULES["BP-ELEVATED"]["predicate"])
    apply_structure(tree, "add:p")
    assert [c.kind for c in tree.children] == ["bp_mean_above", "not", "answer_in"]
    apply_structure(tree, "remove:p.1")
    assert [c.kind for c in tree.children] == ["bp_mean_above", "answer_in"]
    apply_structure(tree, "remove:p.7")  # a path that is not there changes nothing
    assert len(tree.children) == 2


def test_a_simple_condition_changed_to_all_becomes_its_first_condition():
    post = {**predicate_to_post(LEAF), "p.kind": "all"}
    tree = apply_structure(read_tree(post), "kind:p")
    assert predicate_of(tree) == ({"kind": "all", "params": {"of": [LEAF]}}, [])


def test_all_with_two_conditions_changed_to_not_keeps_them_under_one_all():
    both = {"kind": "all", "params": {"of": [LEAF, LEAF]}}
    tree = apply_structure(read_tree({**predicate_to_post(both), "p.kind": "not"}), "kind:p")
    assert predicate_of(tree) == ({"kind": "not", "params": {"predicate": both}}, [])


def test_a_combinator_changed_to_a_simple_kind_drops_its_conditions_and_shows_the_new_fields():
    tree = apply_structure(
        read_tree({**predicate_to_post(RULES["BP-ELEVATED"]["predicate"]), "p.kind": "age"}), "kind:p"
    )
    assert tree.children == [] and predicate_of(tree) == ({"kind": "age", "params": {}}, [])


def test_a_kind_changed_without_apply_is_noticed_unless_its_fields_are_the_same():
    post = predicate_to_post(RULES["BP-ELEVATED"]["predicate"])
    assert kinds_changed(read_tree({**post, "p.0.kind": "bp_mean_at_least"})) == []
    assert kinds_changed(read_tree({**post, "p.0.kind": "age"})) == ["p.0"]


def test_a_structural_edit_keeps_every_typed_value_even_an_invalid_one():
    post = {**predicate_to_post(RULES["BP-ELEVATED"]["predicate"]), "p.0.systolic": "14O"}
    tree = apply_structure(read_tree(post), "add:p")
    assert tree_to_post(tree)["p.0.systolic"] == "14O"


def test_engine_paths_name_the_node_and_parameter_of_the_page():
    assert target("predicate.params.of[1].params.systolic") == ("p.1", "systolic")
    assert target("predicate.params.predicate.params.statuses") == ("p.n", "statuses")
    assert target("predicate.params.of[0].params.atc_prefixes[2]") == ("p.0", "atc_prefixes")
    assert target("predicate.params.of[0].kind") == ("p.0", "kind")
    assert target("predicate.params") == ("p", "")
    assert target("tests[0].fires") is None


def test_a_problem_is_shown_on_its_widget_and_a_stray_one_above_the_form():
    tree = draft_of(RULES["BP-ELEVATED"]["predicate"])
    view, unplaced = render_tree(
        tree,
        [
            Problem("predicate.params.of[1].params.predicate.params.systolic", "too high"),
            Problem("predicate.params.of[5]", "x"),
        ],
    )
    systolic = next(w for w in view.children[1].children[0].widgets if w.name == "p.1.n.systolic")
    assert systolic.errors == ["too high"] and systolic.unit == "mmHg"
    assert [p.path for p in unplaced] == ["predicate.params.of[5]"]


def test_the_unit_of_number_below_follows_the_chosen_number():
    view, _ = render_tree(draft_of({"kind": "number_below", "params": {"field": "weight_kg", "below": 40}}))
    assert {w.name: w.unit for w in view.widgets}["p.below"] == "kg"


def test_answer_values_offered_are_those_of_the_chosen_answer():
    view, _ = render_tree(
        draft_of({"kind": "answer_in", "params": {"answer": "pregnancy", "values": ["pregnant"]}})
    )
    values = next(w for w in view.widgets if w.name == "p.values")
    assert [c.value for c in values.choices] == [
        "not_pregnant",
        "pregnant",
        "breastfeeding",
        "not_applicable",
        "unknown",
    ]
    assert [c.value for c in values.choices if c.selected] == ["pregnant"]


# ---------------------------------------------------------------------------------------------- test case rows


@pytest.mark.parametrize("code", sorted(RULES))
def test_every_test_case_of_the_default_rule_set_round_trips_through_the_rows(code):
    tests = RULES[code].get("tests", [])
    assert rule_tests_from_post(rule_tests_to_post(tests)) == (tests, [])


def test_an_intake_is_rows_of_dotted_paths_and_a_list_is_one_row_of_json():
    intake = {
        "psychiatric": {"psychosis_history": "yes"},
        "patient": {"weight_kg": 70, "date_of_birth": "2008-11-21"},
        "medications": {"reconciled": True, "items": [{"name": "Xanax", "dose_mg": 0.25}]},
        "treatment_history": {"failed_antidepressant_trials": None},
    }
    assert intake_rows(intake) == [
        ("psychiatric.psychosis_history", "yes"),
        ("patient.weight_kg", "70"),
        ("patient.date_of_birth", "2008-11-21"),
        ("medications.reconciled", "true"),
        ("medications.items", '[{"name": "Xanax", "dose_mg": 0.25}]'),
        ("treatment_history.failed_antidepressant_trials", "null"),
    ]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("70", 70),
        ("70.0", 70.0),
        ("true", True),
        ("null", None),
        ('"70"', "70"),
        ("yes", "yes"),
        ("F33.2", "F33.2"),
    ],
)
def test_a_value_reads_as_json_when_it_is_json_else_as_text(text, value):
    assert parse_value(text) == value and type(parse_value(text)) is type(value)
    assert parse_value(value_text(value)) == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("NaN", "NaN"),
        ("[1e400]", "too large"),
        ("1" * 4300, "out of range"),
        ("1" * 5000, "more digits than can be read"),
        ("[" * 100_000 + "]" * 100_000, "nested more than 32 levels"),
        ("[" * 40 + "]" * 40, "nested more than 32 levels"),
        ('"a\\u0000b"', "NUL"),
        ("a\x00b", "NUL"),
        ('"\\ud800"', "surrogate"),
        ("[1, 2", "not valid JSON"),
        ("1e16", "out of range"),
    ],
)
def test_a_value_that_cannot_be_stored_is_a_problem_on_its_row(text, message):
    intake, problems = intake_from_rows([("t.0.r.0", "patient.weight_kg", text)])
    assert intake == {} and [p.path for p in problems] == ["t.0.r.0.value"]
    assert message in problems[0].message


def test_rows_that_give_one_value_twice_or_a_broken_path_are_problems():
    _, problems = intake_from_rows(
        [
            ("r.0", "patient", '{"weight_kg": 70}'),
            ("r.1", "patient.height_cm", "165"),
            ("r.2", "patient..x", "1"),
            ("r.3", "support.escort_available", ""),
        ]
    )
    assert [(p.path, p.message.split(" ")[0]) for p in problems] == [
        ("r.1.path", "patient"),
        ("r.2.path", "a"),
        ("r.3.value", "a"),
    ]


def test_a_case_without_a_name_is_a_problem_and_a_removed_case_is_left_out():
    tests, problems = rule_tests_from_post(
        {"t.0.r.0.path": "patient.weight_kg", "t.0.r.0.value": "70", "t.1.name": "gone", "t.1.remove": "on"}
    )
    assert tests is None and [p.path for p in problems] == ["t.0.name"]


def test_override_reasons_round_trip_and_blank_rows_are_ignored():
    reasons = [{"code": "patient_declined", "display": "Patient declined"}]
    post = {**reasons_to_post(reasons), "or.1.code": "", "or.1.display": " "}
    assert reasons_of(reason_rows_from_post(post)) == (reasons, [])


# ---------------------------------------------------------------------------------------------- in words


def test_a_threshold_change_reads_as_old_and_new():
    new = {"kind": "bp_mean_at_least", "params": {"systolic": 150, "diastolic": 100}}
    assert predicate_changes(RULES["BP-STAGE2"]["predicate"], new) == ["systolic 160 → 150"]


def test_nested_changes_added_conditions_and_kind_changes_read_in_words():
    old = RULES["BP-ELEVATED"]["predicate"]
    new = json.loads(json.dumps(old))
    new["params"]["of"][1]["params"]["predicate"]["params"]["systolic"] = 170
    new["params"]["of"].append(
        {"kind": "answer_in", "params": {"answer": "pregnancy", "values": ["pregnant"]}}
    )
    assert predicate_changes(old, new) == [
        "condition 2 › not: systolic 160 → 170",
        "added condition 3: answer in (answer pregnancy, values pregnant)",
    ]
    assert predicate_changes(LEAF, {"kind": "age", "params": {"min": 65}}) == [
        "kind bp_mean_at_least → age: now age (min 65)"
    ]


def test_answer_values_read_as_lists():
    old = {"kind": "answer_in", "params": {"answer": "mania_current", "values": ["yes"]}}
    new = {"kind": "answer_in", "params": {"answer": "mania_current", "values": ["yes", "unknown"]}}
    assert predicate_changes(old, new) == ["values yes → yes, unknown"]


def test_test_cases_changes_read_by_name():
    old = [
        {"name": "mania fires", "intake": {"psychiatric": {"mania_current": "yes"}}, "fires": True},
        {"name": "gone", "intake": {}, "fires": False},
    ]
    new = [
        {"name": "mania fires", "intake": {"psychiatric": {"mania_current": "no"}}, "fires": False},
        {"name": "new one", "intake": {"patient": {"weight_kg": 70}}, "fires": True},
    ]
    assert cases_changes(old, new) == [
        "case 'mania fires': must fire yes → no; intake psychiatric.mania_current yes → no",
        "case 'new one' added: must fire yes; intake patient.weight_kg = 70",
        "case 'gone' removed",
    ]


def test_protocol_and_plain_fields_read_as_old_and_new():
    protocol = DEFAULT["protocol"]
    changed = {**protocol, "validity_days": 14, "dose_mg_per_kg": [0.5, 0.75], "dose_sources": ["S4"]}
    assert protocol_changes(protocol, changed) == [
        "dose mg/kg high 1.0 → 0.75",
        "dose sources S4, A4, A3 → S4",
        "validity days 30 → 14",
    ]
    rule = RULES["SUP-NO-ESCORT"]
    assert rule_changes(rule, {**rule, "enabled": False, "sources": ["A1", "S5"]}) == [
        ("sources", [f"{', '.join(rule['sources'])} → A1, S5"]),
        ("enabled", ["yes → no"]),
    ]
