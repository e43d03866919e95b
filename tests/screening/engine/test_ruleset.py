"""Rule sets as data: validation names the rule and the field; the content hash is canonical."""

import pytest

from screening.engine import RuleSetInvalid, content_sha256, ruleset_from_data, validate_ruleset_data

from .builders import (
    baseline_facts,
    default_ruleset,
    default_ruleset_data,
    reading,
    rule_data,
    rule_index,
    screen,
)


def errors_after(change) -> list[str]:
    data = default_ruleset_data()
    change(data)
    return validate_ruleset_data(data)


def where(code: str) -> str:
    return f"rules[{rule_index(default_ruleset_data(), code)}] ({code})"


def test_default_rule_set_is_valid():
    assert validate_ruleset_data(default_ruleset_data()) == []


def test_default_rule_set_loads_every_rule_enabled():
    ruleset = default_ruleset()

    assert len(ruleset.rules) == 60
    assert all(rule.enabled for rule in ruleset.rules)
    assert ruleset.version == "2026.4"


# ------------------------------------------------------------------------------------------ predicates


def test_unknown_predicate_kind_names_rule_and_field():
    def change(data):
        rule_data(data, "BP-STAGE2")["predicate"]["kind"] = "bp_mean_over"

    [error] = errors_after(change)

    assert error.startswith(
        f"{where('BP-STAGE2')}.predicate.kind: 'bp_mean_over' is not a known predicate kind"
    )


def test_a_misspelt_answer_name_is_refused_naming_rule_and_field():
    def change(data):
        rule_data(data, "PSY-SUICIDE-IMMINENT")["predicate"]["params"]["answer"] = "suicidal_intent_or_plna"

    assert errors_after(change) == [
        f"{where('PSY-SUICIDE-IMMINENT')}.predicate.params.answer: 'suicidal_intent_or_plna' is not an intake answer"
    ]


def test_a_value_the_answer_cannot_take_is_refused_naming_rule_and_field():
    def change(data):
        rule_data(data, "PSY-SUD-CURRENT")["predicate"]["params"]["values"] = ["yes"]

    [error] = errors_after(change)

    assert error.startswith(
        f"{where('PSY-SUD-CURRENT')}.predicate.params.values: 'yes' is not a value of substance_use_disorder"
    )


def test_an_unknown_answer_among_several_is_refused():
    def change(data):
        rule_data(data, "SUP-UNKNOWN")["predicate"]["params"]["answers"] = [
            "escort_available",
            "suport_person",
        ]

    assert errors_after(change) == [
        f"{where('SUP-UNKNOWN')}.predicate.params.answers: 'suport_person' is not an intake answer"
    ]


def test_a_value_that_none_of_several_answers_can_take_is_refused():
    def change(data):
        rule_data(data, "SUP-UNKNOWN")["predicate"]["params"]["values"] = ["maybe"]

    [error] = errors_after(change)

    assert error.startswith(f"{where('SUP-UNKNOWN')}.predicate.params.values: 'maybe' is not a value of")


def test_every_answer_of_the_vocabulary_is_accepted_with_each_of_its_values():
    from screening.engine.predicates import validate_predicate
    from screening.engine.vocabulary import ANSWERS

    problems = [
        validate_predicate({"kind": "answer_in", "params": {"answer": name, "values": list(values)}})
        for name, values in ANSWERS.items()
    ]

    assert problems == [[]] * len(ANSWERS)


def test_unknown_parameter_names_rule_and_field():
    def change(data):
        rule_data(data, "BP-STAGE2")["predicate"]["params"]["mmHg"] = 1

    assert errors_after(change) == [
        f"{where('BP-STAGE2')}.predicate.params.mmHg: not a parameter of bp_mean_at_least"
    ]


def test_missing_parameter_names_rule_and_field():
    def change(data):
        del rule_data(data, "BP-STAGE2")["predicate"]["params"]["diastolic"]

    assert errors_after(change) == [
        f"{where('BP-STAGE2')}.predicate.params.diastolic: required by bp_mean_at_least"
    ]


def test_missing_params_object_reports_every_required_parameter():
    def change(data):
        del rule_data(data, "BP-STAGE2")["predicate"]["params"]

    assert errors_after(change) == [
        f"{where('BP-STAGE2')}.predicate.params.systolic: required by bp_mean_at_least",
        f"{where('BP-STAGE2')}.predicate.params.diastolic: required by bp_mean_at_least",
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("160", "expected a number, got '160'"),
        (True, "expected a number, got True"),
        (None, "expected a number, got None"),
    ],
)
def test_threshold_of_the_wrong_type_names_rule_and_field(value, message):
    def change(data):
        rule_data(data, "BP-STAGE2")["predicate"]["params"]["systolic"] = value

    assert errors_after(change) == [f"{where('BP-STAGE2')}.predicate.params.systolic: {message}"]


def test_error_deep_inside_a_combinator_gives_the_full_path():
    def change(data):
        rule_data(data, "IND-NO-QUALIFYING")["predicate"]["params"]["of"][1]["params"]["predicate"]["params"][
            "prefixes"
        ] = "F32.2"

    assert errors_after(change) == [
        f"{where('IND-NO-QUALIFYING')}.predicate.params.of[1].params.predicate.params.prefixes: "
        "expected a list of text values, got 'F32.2'"
    ]


def test_value_outside_the_allowed_choices_is_named():
    def change(data):
        rule_data(data, "DATA-NO-DIAGNOSIS")["predicate"]["params"]["predicate"]["params"]["statuses"] = [
            "current"
        ]

    assert errors_after(change) == [
        f"{where('DATA-NO-DIAGNOSIS')}.predicate.params.predicate.params.statuses: "
        "'current' is not one of active, in_remission, history"
    ]


def test_number_field_must_be_one_the_engine_knows():
    def change(data):
        rule_data(data, "DATA-NO-WEIGHT")["predicate"]["params"]["field"] = "bmi"

    assert errors_after(change) == [
        f"{where('DATA-NO-WEIGHT')}.predicate.params.field: "
        "'bmi' is not one of failed_antidepressant_trials, weight_kg, height_cm"
    ]


def test_combinator_needs_at_least_one_predicate():
    def change(data):
        rule_data(data, "PSY-PSYCHOSIS-CURRENT")["predicate"]["params"]["of"] = []

    assert errors_after(change) == [
        f"{where('PSY-PSYCHOSIS-CURRENT')}.predicate.params.of: expected a non-empty list of predicates"
    ]


def test_unknown_field_on_a_predicate_is_named():
    def change(data):
        rule_data(data, "SUP-NO-ESCORT")["predicate"]["expression"] = "escort == 'no'"

    assert errors_after(change) == [f"{where('SUP-NO-ESCORT')}.predicate.expression: unknown field"]


def test_predicate_is_required():
    def change(data):
        del rule_data(data, "SUP-NO-ESCORT")["predicate"]

    assert errors_after(change) == [f"{where('SUP-NO-ESCORT')}.predicate: required"]


# ------------------------------------------------------------------------------------------ rule fields


def test_bad_severity_names_rule_and_field():
    def change(data):
        rule_data(data, "MED-GLAUCOMA")["severity"] = "warning"

    assert errors_after(change) == [
        f"{where('MED-GLAUCOMA')}.severity: 'warning' is not one of "
        "contraindicated, not_candidate, missing, defer, review, precaution, info"
    ]


def test_duplicate_code_is_named():
    def change(data):
        data["rules"].append(dict(data["rules"][0]))

    assert errors_after(change) == ["rules[60] (DATA-NO-DIAGNOSIS).code: duplicate rule code"]


@pytest.mark.parametrize("source", ["B1", "S", "s1", "S0", "S6", "A0", "A17", "A99", 5])
def test_bad_source_id_names_rule_and_position(source):
    def change(data):
        rule_data(data, "MED-GLAUCOMA")["sources"] = ["A9", source]

    assert errors_after(change) == [
        f"{where('MED-GLAUCOMA')}.sources[1]: {source!r} is not a source id (S1-S5, A1-A16)"
    ]


@pytest.mark.parametrize("source", ["S1", "S5", "A1", "A9", "A10", "A14"])
def test_every_listed_source_id_is_accepted(source):
    def change(data):
        rule_data(data, "MED-GLAUCOMA")["sources"] = [source]

    assert errors_after(change) == []


def test_sources_must_be_a_list():
    def change(data):
        rule_data(data, "MED-GLAUCOMA")["sources"] = "A9"

    assert errors_after(change) == [
        f"{where('MED-GLAUCOMA')}.sources: must be a list of source ids such as S5 or A1"
    ]


def test_malformed_code_is_named():
    def change(data):
        data["rules"][0]["code"] = "no diagnosis"

    assert errors_after(change) == [
        "rules[0] (no diagnosis).code: 'no diagnosis' is not a rule code like BP-STAGE2"
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "  ", "title: required text"),
        ("action", None, "action: required text"),
        ("enabled", "yes", "enabled: must be true or false"),
        ("severty", "info", "severty: unknown field"),
    ],
)
def test_other_rule_field_errors_are_named(field, value, message):
    def change(data):
        rule_data(data, "MED-GLAUCOMA")[field] = value

    assert errors_after(change) == [f"{where('MED-GLAUCOMA')}.{message}"]


def test_every_problem_is_reported_at_once():
    def change(data):
        rule_data(data, "MED-GLAUCOMA")["severity"] = "warning"
        rule_data(data, "BP-STAGE2")["predicate"]["kind"] = "nope"
        data["rules"][0]["sources"] = ["X1"]

    assert len(errors_after(change)) == 3


# ------------------------------------------------------------------------------------------ document


def test_rules_must_be_a_non_empty_list():
    def change(data):
        data["rules"] = []

    assert errors_after(change) == ["rules: must be a non-empty list"]


def test_rule_must_be_an_object():
    def change(data):
        data["rules"][3] = "IND-NO-QUALIFYING"

    assert errors_after(change) == ["rules[3]: must be an object"]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "dose_mg_per_kg",
            [1.0, 0.5],
            "protocol.dose_mg_per_kg: must be [low, high], positive numbers, low <= high",
        ),
        (
            "infusion_minutes",
            [40.5, 60],
            "protocol.infusion_minutes: must be [shortest, longest], positive whole minutes",
        ),
        ("bp_window_days", 0, "protocol.bp_window_days: must be a whole number of days from 1 to 365"),
        ("dose_sources", ["Z1"], "protocol.dose_sources[0]: 'Z1' is not a source id (S1-S5, A1-A16)"),
        ("checklist", [{"text": ""}], "protocol.checklist[0].text: required"),
        ("max_dose_mg", 100, "protocol.max_dose_mg: unknown field"),
    ],
)
def test_protocol_errors_name_the_field(key, value, message):
    def change(data):
        data["protocol"][key] = value

    assert errors_after(change) == [message]


def test_version_is_required():
    def change(data):
        del data["version"]

    assert errors_after(change) == ["version: required, 1-40 characters"]


def test_loading_an_invalid_rule_set_raises_with_every_error():
    data = default_ruleset_data()
    rule_data(data, "MED-GLAUCOMA")["severity"] = "warning"

    with pytest.raises(RuleSetInvalid) as raised:
        ruleset_from_data(data)

    assert raised.value.errors == [
        f"{where('MED-GLAUCOMA')}.severity: 'warning' is not one of "
        "contraindicated, not_candidate, missing, defer, review, precaution, info"
    ]


# ------------------------------------------------------------------------------------------ content hash


def reorder_keys(value):
    """The same document with every object's keys in reverse order."""
    if isinstance(value, dict):
        return {key: reorder_keys(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [reorder_keys(item) for item in value]
    return value


def test_content_hash_is_a_sha256_hex_digest():
    digest = content_sha256(default_ruleset_data())

    assert len(digest) == 64
    assert int(digest, 16) >= 0


def test_loaded_rule_set_carries_its_content_hash():
    assert default_ruleset().sha256 == content_sha256(default_ruleset_data())


def test_content_hash_is_stable_under_key_order():
    data = default_ruleset_data()

    assert list(reorder_keys(data)) != list(data)
    assert content_sha256(reorder_keys(data)) == content_sha256(data)


def test_content_hash_changes_when_a_threshold_changes():
    data = default_ruleset_data()
    rule_data(data, "BP-STAGE2")["predicate"]["params"]["systolic"] = 150

    assert content_sha256(data) != content_sha256(default_ruleset_data())


def test_content_hash_changes_when_a_protocol_number_changes():
    data = default_ruleset_data()
    data["protocol"]["bp_window_days"] = 14

    assert content_sha256(data) != content_sha256(default_ruleset_data())


def test_content_hash_changes_when_a_severity_changes():
    data = default_ruleset_data()
    rule_data(data, "MED-GLAUCOMA")["severity"] = "defer"

    assert content_sha256(data) != content_sha256(default_ruleset_data())


def test_version_label_and_note_do_not_change_the_content_hash():
    data = default_ruleset_data()
    data["version"] = "2027.9-draft"
    data["note"] = "Relabelled."

    assert content_sha256(data) == content_sha256(default_ruleset_data())


# ------------------------------------------------------------------------------------------ rules as data


def test_bp_window_is_rule_set_data():
    data = default_ruleset_data()
    data["protocol"]["bp_window_days"] = 7
    facts = baseline_facts(blood_pressure=(reading(120, 80, days_before=8),))

    assert "BP-NONE-RECENT" in screen(facts, ruleset=ruleset_from_data(data)).rule_codes


def test_threshold_is_rule_set_data():
    data = default_ruleset_data()
    rule_data(data, "BP-STAGE2")["predicate"]["params"]["systolic"] = 150
    facts = baseline_facts(blood_pressure=(reading(150, 80),))

    assert "BP-STAGE2" in screen(facts, ruleset=ruleset_from_data(data)).rule_codes


def test_disabled_rule_in_the_data_does_not_fire():
    data = default_ruleset_data()
    rule_data(data, "BP-NONE-RECENT")["enabled"] = False

    assert screen(baseline_facts(blood_pressure=()), ruleset=ruleset_from_data(data)).findings == ()
