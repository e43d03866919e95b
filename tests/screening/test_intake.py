"""`ketamine-intake/1` (docs/intake-format.md): the whole document is checked, every problem is
named by its JSON path, nothing partial is returned; a valid document becomes engine facts."""

import copy
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from screening.engine.facts import Drug
from screening.engine.vocabulary import SECTIONS
from screening.intake import IntakeInvalid, facts_from_intake, validate_intake

VALID = {
    "format": "ketamine-intake/1",
    "assessed_on": "2026-11-20",
    "patient": {
        "mrn": "KT-0001",
        "given_name": "Ana",
        "family_name": "Silva",
        "date_of_birth": "1984-03-02",
        "sex_at_birth": "female",
        "weight_kg": 68.0,
        "height_cm": 165,
        "pregnancy": "not_pregnant",
    },
    "diagnoses": [{"icd10": "F33.2", "status": "active", "severity": "severe", "note": "three episodes"}],
    "treatment_history": {"failed_antidepressant_trials": 3, "psychotherapy_current": "yes"},
    "psychiatric": {
        "psychotic_symptoms_current": "no",
        "psychosis_history": "no",
        "mania_current": "no",
        "suicidal_ideation": "passive",
        "suicidal_intent_or_plan": "no",
        "substance_use_disorder": "none",
    },
    "medications": {
        "reconciled": True,
        "items": [
            {
                "name": "Klonopin",
                "dose_mg": 0.5,
                "times_per_day": 2,
                "as_needed": False,
                "max_doses_per_day": None,
            }
        ],
    },
    "blood_pressure": [
        {"taken_at": "2026-11-20T09:10:00-08:00", "systolic": 138, "diastolic": 86, "heart_rate": 72}
    ],
    "cardiovascular": dict.fromkeys(SECTIONS["cardiovascular"], "no"),
    "other_medical": {**dict.fromkeys(SECTIONS["other_medical"], "no"), "hepatic_impairment": "none"},
    "support": {"escort_available": "yes", "support_person": "yes"},
}


# A path is written with `__` between keys and list positions as digits: "blood_pressure__0__systolic".


def steps(path: str) -> list[str | int]:
    return [int(part) if part.isdigit() else part for part in path.split("__")]


def json_path(path: str) -> str:
    """The path as the validator names it: blood_pressure[0].systolic."""
    return ".".join(str(step) for step in steps(path)).replace(".0", "[0]")


def value_at(doc: dict, path: str):
    for step in steps(path):
        doc = doc[step]
    return doc


def parent_and_key(doc: dict, path: str):
    *parents, last = steps(path)
    for step in parents:
        doc = doc[step]
    return doc, last


def intake(**changes) -> dict:
    """A copy of the valid document with `path=value` changes."""
    doc = copy.deepcopy(VALID)
    for path, value in changes.items():
        parent, key = parent_and_key(doc, path)
        parent[key] = value
    return doc


def without(*paths: str) -> dict:
    """A copy of the valid document with these paths removed."""
    doc = copy.deepcopy(VALID)
    for path in paths:
        parent, key = parent_and_key(doc, path)
        del parent[key]
    return doc


def problems(doc) -> list[str]:
    with pytest.raises(IntakeInvalid) as rejected:
        validate_intake(doc)
    return rejected.value.errors


def problem_paths(doc) -> list[str]:
    return [problem.split(": ", 1)[0] for problem in problems(doc)]


# -- the whole document --------------------------------------------------------------------------------------


def test_a_complete_document_is_accepted_and_returned_normalised():
    valid = validate_intake(intake())

    assert valid["format"] == "ketamine-intake/1"
    assert valid["assessed_on"] == "2026-11-20"
    assert valid["patient"]["mrn"] == "KT-0001"
    assert valid["diagnoses"] == [
        {"icd10": "F33.2", "status": "active", "severity": "severe", "note": "three episodes"}
    ]
    assert valid["medications"]["items"][0]["name"] == "Klonopin"
    assert valid["blood_pressure"][0]["systolic"] == 138


def test_the_problem_is_named_by_its_json_path_with_the_limit_it_breaks():
    assert problems(intake(blood_pressure__0__systolic=400)) == [
        "blood_pressure[0].systolic: 400 is above 300"
    ]


def test_every_problem_in_the_document_is_listed_not_only_the_first():
    doc = intake(
        patient__weight_kg=400,
        diagnoses__0__icd10="33.2",
        medications__items__0__times_per_day=0,
        blood_pressure__0__systolic=400,
        support__escort_available="maybe",
    )

    assert sorted(problem_paths(doc)) == sorted(
        [
            "patient.weight_kg",
            "diagnoses[0].icd10",
            "medications.items[0].times_per_day",
            "blood_pressure[0].systolic",
            "support.escort_available",
        ]
    )


def test_nothing_partial_is_returned_for_an_invalid_document():
    with pytest.raises(IntakeInvalid) as rejected:
        validate_intake(intake(blood_pressure__0__systolic=400))

    assert isinstance(rejected.value, ValueError)
    assert "blood_pressure[0].systolic: 400 is above 300" in str(rejected.value)


@pytest.mark.parametrize("document", [[], "ketamine-intake/1", None, 42])
def test_a_document_that_is_not_a_json_object_is_rejected(document):
    assert problems(document) == ["document: must be a JSON object"]


@pytest.mark.parametrize("fmt", ["ketamine-intake/2", "", None])
def test_the_format_must_be_ketamine_intake_1(fmt):
    assert problem_paths(intake(format=fmt)) == ["format"]


def test_a_document_without_format_is_rejected():
    assert problem_paths(without("format")) == ["format"]


@pytest.mark.parametrize(
    "path",
    [
        "assessed_on",
        "patient",
        "patient__mrn",
        "patient__given_name",
        "patient__family_name",
        "patient__date_of_birth",
        "diagnoses__0__icd10",
        "medications__items__0__name",
        "blood_pressure__0__taken_at",
        "blood_pressure__0__systolic",
        "blood_pressure__0__diastolic",
    ],
)
def test_required_fields_are_named_when_absent(path):
    assert problems(without(path)) == [f"{json_path(path)}: required"]


# -- unknown keys: a misspelt flag must not turn into "unknown" silently -------------------------------------


@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("allergies", "allergies"),
        ("patient__nickname", "patient.nickname"),
        ("treatment_history__failed_trials", "treatment_history.failed_trials"),
        ("psychiatric__mania", "psychiatric.mania"),
        ("cardiovascular__avm", "cardiovascular.avm"),
        ("other_medical__glaucomma", "other_medical.glaucomma"),
        ("support__escort", "support.escort"),
        ("medications__complete", "medications.complete"),
        ("medications__items__0__route", "medications.items[0].route"),
        ("diagnoses__0__code", "diagnoses[0].code"),
        ("blood_pressure__0__position", "blood_pressure[0].position"),
    ],
)
def test_an_unknown_key_is_an_error_at_every_level(path, named):
    assert problems(intake(**{path: "yes"})) == [f"{named}: unknown field"]


# -- ranges at their boundaries ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reading",
    [
        {"systolic": 60, "diastolic": 30},
        {"systolic": 300, "diastolic": 200},
        {"systolic": 121, "diastolic": 120},
        {"systolic": 120, "diastolic": 80, "heart_rate": 20},
        {"systolic": 120, "diastolic": 80, "heart_rate": 250},
        {"systolic": 120, "diastolic": 80, "heart_rate": None},
    ],
)
def test_blood_pressure_at_the_edges_of_its_ranges_is_accepted(reading):
    doc = intake(blood_pressure=[{"taken_at": "2026-11-20T09:10:00-08:00", **reading}])

    assert validate_intake(doc)["blood_pressure"][0]["systolic"] == reading["systolic"]


@pytest.mark.parametrize(
    ("reading", "problem"),
    [
        ({"systolic": 59, "diastolic": 30}, "blood_pressure[0].systolic: 59 is below 60"),
        ({"systolic": 301, "diastolic": 80}, "blood_pressure[0].systolic: 301 is above 300"),
        ({"systolic": 120, "diastolic": 29}, "blood_pressure[0].diastolic: 29 is below 30"),
        ({"systolic": 250, "diastolic": 201}, "blood_pressure[0].diastolic: 201 is above 200"),
        (
            {"systolic": 120, "diastolic": 120},
            "blood_pressure[0].diastolic: 120 must be below the systolic 120",
        ),
        (
            {"systolic": 100, "diastolic": 110},
            "blood_pressure[0].diastolic: 110 must be below the systolic 100",
        ),
        (
            {"systolic": 120, "diastolic": 80, "heart_rate": 19},
            "blood_pressure[0].heart_rate: 19 is below 20",
        ),
        (
            {"systolic": 120, "diastolic": 80, "heart_rate": 251},
            "blood_pressure[0].heart_rate: 251 is above 250",
        ),
        ({"systolic": 120.5, "diastolic": 80}, "blood_pressure[0].systolic: 120.5 must be a whole number"),
        ({"systolic": "120", "diastolic": 80}, "blood_pressure[0].systolic: must be a number, got '120'"),
        ({"systolic": True, "diastolic": 80}, "blood_pressure[0].systolic: must be a number, got True"),
    ],
)
def test_blood_pressure_outside_its_ranges_is_rejected(reading, problem):
    doc = intake(blood_pressure=[{"taken_at": "2026-11-20T09:10:00-08:00", **reading}])

    assert problems(doc) == [problem]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_a_number_that_is_not_finite_is_a_problem_not_a_crash(value):
    """json.loads reads NaN and Infinity; they must not slip past the range checks or break them."""
    doc = intake(
        patient__weight_kg=value,
        blood_pressure__0__systolic=value,
        medications__items__0__dose_mg=value,
        medications__items__0__times_per_day=value,
    )

    assert sorted(problem_paths(doc)) == sorted(
        [
            "patient.weight_kg",
            "medications.items[0].dose_mg",
            "medications.items[0].times_per_day",
            "blood_pressure[0].systolic",
        ]
    )


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("patient__weight_kg", 25),
        ("patient__weight_kg", 350),
        ("patient__weight_kg", 72.4),
        ("patient__weight_kg", None),
        ("patient__height_cm", 100),
        ("patient__height_cm", 250),
        ("patient__height_cm", None),
        ("medications__items__0__times_per_day", 1),
        ("medications__items__0__times_per_day", 12),
        ("medications__items__0__times_per_day", None),
        ("medications__items__0__dose_mg", 0.01),
        ("medications__items__0__dose_mg", None),
        ("treatment_history__failed_antidepressant_trials", 0),
        ("treatment_history__failed_antidepressant_trials", None),
    ],
)
def test_measurements_at_the_edges_of_their_ranges_are_accepted(path, value):
    assert value_at(validate_intake(intake(**{path: value})), path) == value


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        ("patient__weight_kg", 24.9, "patient.weight_kg: 24.9 is below 25"),
        ("patient__weight_kg", 350.5, "patient.weight_kg: 350.5 is above 350"),
        ("patient__weight_kg", "68", "patient.weight_kg: must be a number, got '68'"),
        ("patient__height_cm", 99, "patient.height_cm: 99 is below 100"),
        ("patient__height_cm", 251, "patient.height_cm: 251 is above 250"),
        ("medications__items__0__times_per_day", 0, "medications.items[0].times_per_day: 0 is below 1"),
        ("medications__items__0__times_per_day", 13, "medications.items[0].times_per_day: 13 is above 12"),
        (
            "medications__items__0__times_per_day",
            1.5,
            "medications.items[0].times_per_day: 1.5 must be a whole number",
        ),
        ("medications__items__0__dose_mg", 0, "medications.items[0].dose_mg: 0 must be greater than 0"),
        ("medications__items__0__dose_mg", -5, "medications.items[0].dose_mg: -5 must be greater than 0"),
        (
            "treatment_history__failed_antidepressant_trials",
            -1,
            "treatment_history.failed_antidepressant_trials: -1 is below 0",
        ),
    ],
)
def test_measurements_outside_their_ranges_are_rejected(path, value, problem):
    assert problems(intake(**{path: value})) == [problem]


def test_a_weight_that_was_not_measured_stays_empty_rather_than_zero():
    assert validate_intake(intake(patient__weight_kg=None))["patient"]["weight_kg"] is None


# -- identifiers and codes --------------------------------------------------------------------------------


@pytest.mark.parametrize("mrn", ["KT-0001", "a", "kt-0001-b", "A" * 32, "0123456789"])
def test_an_mrn_of_letters_digits_and_dashes_up_to_32_characters_is_accepted(mrn):
    assert validate_intake(intake(patient__mrn=mrn))["patient"]["mrn"] == mrn


@pytest.mark.parametrize("mrn", ["A" * 33, "KT 0001", "KT_0001", "KT/0001", "KT-0001é", "", "   ", 1234])
def test_an_mrn_outside_the_pattern_or_longer_than_32_is_rejected(mrn):
    assert problem_paths(intake(patient__mrn=mrn)) == ["patient.mrn"]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("F33.2", "F33.2"),
        ("F4310", "F43.10"),
        ("f43.10", "F43.10"),
        ("F33", "F33"),
        ("F32.A", "F32.A"),
        ("F43.1234", "F43.1234"),
        (" F31.4 ", "F31.4"),
        ("Z3A.20", "Z3A.20"),  # a letter in the third place (intake-format, "Bad input")
        ("z3a20", "Z3A.20"),
    ],
)
def test_a_well_formed_icd10_code_is_accepted_and_normalised(typed, stored):
    assert validate_intake(intake(diagnoses__0__icd10=typed))["diagnoses"][0]["icd10"] == stored


@pytest.mark.parametrize(
    "code",
    ["F3", "33.2", "F33.23456", "F3323456", "FF3.2", "F3.32", "F33-2", "F33.2.1", "", 332, "F33.", "Z3A."],
)
def test_a_malformed_icd10_code_is_rejected(code):
    assert problem_paths(intake(diagnoses__0__icd10=code)) == ["diagnoses[0].icd10"]


def test_the_icd10_problem_says_what_a_code_looks_like():
    assert problems(intake(diagnoses__0__icd10="F3")) == [
        "diagnoses[0].icd10: 'F3' is not an ICD-10-CM code (a letter, a digit, a digit or letter, then up to "
        "four more characters, optionally after a dot that is followed by at least one)"
    ]


# -- tri-state answers and enumerations -------------------------------------------------------------------


TRI_STATE = [
    (section, name)
    for section, fields in SECTIONS.items()
    for name, allowed in fields.items()
    if allowed == ("yes", "no", "unknown")
]


@pytest.mark.parametrize(("section", "name"), TRI_STATE)
@pytest.mark.parametrize("answer", ["yes", "no", "unknown"])
def test_every_tri_state_answer_takes_yes_no_or_unknown(section, name, answer):
    assert validate_intake(intake(**{f"{section}__{name}": answer}))[section][name] == answer


@pytest.mark.parametrize(("section", "name"), TRI_STATE)
@pytest.mark.parametrize("answer", ["maybe", "", True, 1])
def test_a_tri_state_answer_outside_yes_no_unknown_is_rejected(section, name, answer):
    assert problem_paths(intake(**{f"{section}__{name}": answer})) == [f"{section}.{name}"]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("patient__sex_at_birth", "intersex"),
        ("patient__pregnancy", "breastfeeding"),
        ("patient__pregnancy", "not_applicable"),
        ("psychiatric__suicidal_ideation", "active"),
        ("psychiatric__substance_use_disorder", "in_remission"),
        ("other_medical__hepatic_impairment", "moderate"),
        ("diagnoses__0__status", "in_remission"),
        ("diagnoses__0__severity", "unspecified"),
    ],
)
def test_enumerated_answers_take_their_listed_values(path, value):
    assert value_at(validate_intake(intake(**{path: value})), path) == value


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("patient__sex_at_birth", "f"),
        ("patient__pregnancy", "no"),
        ("psychiatric__suicidal_ideation", "yes"),
        ("psychiatric__substance_use_disorder", "no"),
        ("other_medical__hepatic_impairment", "no"),
        ("diagnoses__0__status", "current"),
        ("diagnoses__0__severity", "very"),
        ("medications__reconciled", "yes"),
        ("medications__items__0__as_needed", "no"),
    ],
)
def test_enumerated_answers_outside_their_values_are_rejected(path, value):
    assert problem_paths(intake(**{path: value})) == [json_path(path)]


@pytest.mark.parametrize(
    "path",
    [
        "patient__sex_at_birth",
        "patient__pregnancy",
        "treatment_history__psychotherapy_current",
        "psychiatric__mania_current",
        "psychiatric__suicidal_ideation",
        "psychiatric__substance_use_disorder",
        "cardiovascular__arteriovenous_malformation",
        "other_medical__hepatic_impairment",
        "support__escort_available",
    ],
)
def test_an_absent_answer_becomes_unknown(path):
    assert value_at(validate_intake(without(path)), path) == "unknown"


@pytest.mark.parametrize("section", ["psychiatric", "cardiovascular", "other_medical", "support"])
def test_an_absent_section_makes_every_answer_in_it_unknown(section):
    assert validate_intake(without(section))[section] == dict.fromkeys(SECTIONS[section], "unknown")


def test_an_absent_medication_list_is_not_reconciled():
    assert validate_intake(without("medications"))["medications"] == {"reconciled": False, "items": []}


# -- dates and times --------------------------------------------------------------------------------------


def test_a_reading_without_a_utc_offset_is_rejected():
    assert problems(intake(blood_pressure__0__taken_at="2026-11-20T09:10:00")) == [
        "blood_pressure[0].taken_at: '2026-11-20T09:10:00' needs a UTC offset, e.g. 2026-11-20T09:10:00-07:00"
    ]


@pytest.mark.parametrize("taken_at", ["2026-11-21T08:00:00-08:00", "2026-11-21T00:00:00+00:00"])
def test_a_reading_dated_after_assessed_on_is_rejected(taken_at):
    assert problem_paths(intake(blood_pressure__0__taken_at=taken_at)) == ["blood_pressure[0].taken_at"]


def test_a_reading_late_on_assessed_on_in_its_own_time_zone_is_accepted():
    """The reading's day is its local date: 23:30 at -08:00 is still 2026-11-20 though UTC has moved on."""
    valid = validate_intake(intake(blood_pressure__0__taken_at="2026-11-20T23:30:00-08:00"))

    assert valid["blood_pressure"][0]["taken_at"] == "2026-11-20T23:30:00-08:00"


@pytest.mark.parametrize("taken_at", ["yesterday", "2026-11-20", "2026-13-01T09:00:00+00:00", 1700000000])
def test_a_reading_time_that_is_not_an_iso_datetime_is_rejected(taken_at):
    assert problem_paths(intake(blood_pressure__0__taken_at=taken_at)) == ["blood_pressure[0].taken_at"]


def test_a_date_of_birth_after_assessed_on_is_rejected():
    assert problems(intake(patient__date_of_birth="2026-11-21")) == [
        "patient.date_of_birth: 2026-11-21 is after assessed_on"
    ]


@pytest.mark.parametrize(
    "day", ["20-11-2026", "2026/11/20", "2026-11-31", "2026-W47-5", "20261120", 20261120]
)
def test_dates_must_be_written_yyyy_mm_dd(day):
    assert problem_paths(intake(assessed_on=day, patient__date_of_birth=day)) == [
        "assessed_on",
        "patient.date_of_birth",
    ]


# -- lists and objects of the wrong shape -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value", "named"),
    [
        ("diagnoses", {"icd10": "F33.2"}, "diagnoses"),
        ("blood_pressure", "138/86", "blood_pressure"),
        ("medications__items", "Klonopin", "medications.items"),
        ("patient", ["KT-0001"], "patient"),
        ("psychiatric", "no", "psychiatric"),
        ("diagnoses__0", "F33.2", "diagnoses[0]"),
        ("blood_pressure__0", [138, 86], "blood_pressure[0]"),
    ],
)
def test_a_list_or_object_of_the_wrong_shape_is_rejected(path, value, named):
    assert problem_paths(intake(**{path: value})) == [named]


def test_an_empty_reconciled_medication_list_is_valid():
    valid = validate_intake(intake(medications={"reconciled": True, "items": []}))

    assert valid["medications"] == {"reconciled": True, "items": []}


# -- facts_from_intake ------------------------------------------------------------------------------------

CLONAZEPAM = Drug("clonazepam", ("N03AE01",), ("benzodiazepine",), 0.5)


def resolve_only_klonopin(name: str) -> Drug | None:
    return {"Klonopin": CLONAZEPAM}.get(name)


def test_facts_carry_the_patient_and_measurements():
    facts = facts_from_intake(validate_intake(intake()), resolve_only_klonopin)

    assert facts.mrn == "KT-0001"
    assert facts.name == "Ana Silva"
    assert facts.date_of_birth == date(1984, 3, 2)
    assert facts.sex_at_birth == "female"
    assert facts.weight_kg == 68.0
    assert facts.height_cm == 165
    assert facts.failed_antidepressant_trials == 3
    assert facts.age_on(date(2026, 11, 20)) == 42


def test_facts_carry_diagnoses_with_normalised_codes():
    facts = facts_from_intake(validate_intake(intake(diagnoses__0__icd10="f3320")), resolve_only_klonopin)

    assert [(d.icd10, d.status, d.severity) for d in facts.diagnoses] == [("F33.20", "active", "severe")]


def test_facts_carry_readings_as_aware_datetimes():
    facts = facts_from_intake(validate_intake(intake()), resolve_only_klonopin)
    reading = facts.blood_pressure[0]

    assert reading.taken_at == datetime(2026, 11, 20, 17, 10, tzinfo=UTC)
    assert reading.taken_at.utcoffset() == timedelta(hours=-8)
    assert (reading.systolic, reading.diastolic, reading.heart_rate) == (138, 86, 72)
    assert reading.day == date(2026, 11, 20)


def test_facts_resolve_each_medication_by_its_typed_name_and_keep_unresolved_ones():
    doc = intake(
        medications__items=[
            {"name": "Klonopin", "dose_mg": 0.5, "times_per_day": 2},
            {"name": "Zzyzxitol", "dose_mg": 10, "times_per_day": 1},
        ]
    )
    facts = facts_from_intake(validate_intake(doc), resolve_only_klonopin)

    assert [(m.name, m.drug) for m in facts.medications] == [("Klonopin", CLONAZEPAM), ("Zzyzxitol", None)]
    assert facts.medications[0].daily_mg == 1.0
    assert facts.medications_reconciled is True


def test_facts_keep_as_needed_use_with_its_daily_maximum():
    doc = intake(
        medications__items=[{"name": "Klonopin", "dose_mg": 0.5, "as_needed": True, "max_doses_per_day": 3}]
    )
    medication = facts_from_intake(validate_intake(doc), resolve_only_klonopin).medications[0]

    assert (medication.as_needed, medication.max_doses_per_day, medication.times_per_day) == (True, 3, None)
    assert medication.daily_mg == 1.5


def test_facts_map_every_answer_by_its_intake_name():
    doc = intake(
        psychiatric__suicidal_ideation="active",
        cardiovascular__valvular_disease="yes",
        other_medical__hepatic_impairment="mild",
        support__support_person="unknown",
    )
    facts = facts_from_intake(validate_intake(doc), resolve_only_klonopin)

    assert facts.answer("pregnancy") == "not_pregnant"
    assert facts.answer("psychotherapy_current") == "yes"
    assert facts.answer("suicidal_ideation") == "active"
    assert facts.answer("valvular_disease") == "yes"
    assert facts.answer("stroke_history") == "no"
    assert facts.answer("hepatic_impairment") == "mild"
    assert facts.answer("support_person") == "unknown"
    assert facts.answer("medications_reconciled") == "yes"


@pytest.mark.parametrize(
    ("section", "questions"),
    [
        ("treatment_history", ["psychotherapy_current"]),
        *[
            (section, list(SECTIONS[section]))
            for section in ("psychiatric", "cardiovascular", "other_medical", "support")
        ],
    ],
)
def test_facts_answer_unknown_for_every_question_of_a_missing_section(section, questions):
    facts = facts_from_intake(validate_intake(without(section)), resolve_only_klonopin)

    assert {name: facts.answer(name) for name in questions} == dict.fromkeys(questions, "unknown")


def test_facts_of_a_missing_treatment_history_leave_the_failed_trials_unknown():
    facts = facts_from_intake(validate_intake(without("treatment_history")), resolve_only_klonopin)

    assert facts.failed_antidepressant_trials is None


def test_facts_from_a_missing_medication_list_are_not_reconciled():
    facts = facts_from_intake(validate_intake(without("medications")), resolve_only_klonopin)

    assert facts.medications == ()
    assert facts.answer("medications_reconciled") == "no"


def test_facts_of_a_patient_without_answers_for_pregnancy_or_sex_are_unknown():
    facts = facts_from_intake(
        validate_intake(without("patient__pregnancy", "patient__sex_at_birth")), resolve_only_klonopin
    )

    assert (facts.answer("pregnancy"), facts.answer("sex_at_birth")) == ("unknown", "unknown")


def test_an_offset_is_kept_for_readings_taken_east_of_utc():
    doc = intake(blood_pressure__0__taken_at="2026-11-20T00:30:00+05:30")
    facts = facts_from_intake(validate_intake(doc), resolve_only_klonopin)

    assert facts.blood_pressure[0].taken_at.tzinfo == timezone(timedelta(hours=5, minutes=30))
    assert facts.blood_pressure[0].day == date(2026, 11, 20)


def test_dose_with_more_than_three_decimals_is_refused_by_path():
    import json

    from tests.conftest import EXAMPLES

    doc = json.loads((EXAMPLES / "eligible.json").read_text())
    doc["medications"]["items"][0]["dose_mg"] = 0.0004
    with pytest.raises(IntakeInvalid) as caught:
        validate_intake(doc)
    assert caught.value.errors == [
        "medications.items[0].dose_mg: 0.0004 has more than 3 decimal places (mg to the microgram)"
    ]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("assessed_on",), "1899-12-31"),
        (("assessed_on",), "2101-01-01"),
        (("patient", "date_of_birth"), "1899-12-31"),
    ],
)
def test_a_date_outside_1900_to_2100_is_refused_by_path(path, value):
    import copy
    import json

    from tests.conftest import EXAMPLES

    doc = copy.deepcopy(json.loads((EXAMPLES / "eligible.json").read_text()))
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(IntakeInvalid) as caught:
        validate_intake(doc)
    assert f"{'.'.join(path)}: {value} is outside 1900-01-01 to 2100-12-31" in caught.value.errors


def test_a_reading_time_before_1900_is_refused_by_path():
    import json

    from tests.conftest import EXAMPLES

    doc = json.loads((EXAMPLES / "eligible.json").read_text())
    doc["blood_pressure"][0]["taken_at"] = "1899-12-31T23:00:00+00:00"
    with pytest.raises(IntakeInvalid) as caught:
        validate_intake(doc)
    assert caught.value.errors == [
        "blood_pressure[0].taken_at: 1899-12-31 is outside 1900-01-01 to 2100-12-31"
    ]


def test_a_medication_name_may_have_200_characters_as_the_contract_says_and_not_201():
    accepted = validate_intake(intake(medications__items__0__name="x" * 200))
    assert accepted["medications"]["items"][0]["name"] == "x" * 200
    assert problem_paths(intake(medications__items__0__name="x" * 201)) == ["medications.items[0].name"]
