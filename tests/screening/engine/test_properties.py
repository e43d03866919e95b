"""Properties over random valid facts: evaluation never breaks, and missing required data never passes."""

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from screening.engine.facts import Diagnosis, Facts, Medication
from screening.engine.severity import SEVERITIES, SEVERITY_RANK, VERDICT_FOR_SEVERITY

from .builders import (
    ANSWER_CHOICES,
    AS_OF,
    CARDIOVASCULAR_FLAGS,
    CLONAZEPAM,
    DIAZEPAM,
    LAMOTRIGINE,
    LITHIUM,
    LORAZEPAM,
    MEMANTINE,
    METHYLPHENIDATE,
    MIDAZOLAM,
    OTHER_MEDICAL_FLAGS,
    OXYCODONE,
    PHENELZINE,
    PSYCHIATRIC_FLAGS,
    QUETIAPINE,
    SERTRALINE,
    SUPPORT_FLAGS,
    THEOPHYLLINE,
    birthday,
    reading,
    screen,
)

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)
# Secondary properties: fewer examples of the same strategy, to keep the engine suite fast.
CONSISTENCY_SETTINGS = settings(max_examples=100, deadline=None)
PASSING_VERDICTS = {"eligible", "eligible_with_precautions"}

# fmt: off
DIAGNOSIS_CODES = (
    "F32.0", "F32.1", "F32.2", "F32.3", "F32.9", "F33.1", "F33.2", "F33.3", "F31.0", "F31.13", "F31.2", "F31.4",
    "F31.5", "F31.81", "F43.10", "F43.23", "F40.01", "F41.1", "R45.851", "R45.86", "F20.9", "F25.0", "F30.10",
    "F42.2", "F90.0", "Z00.00",
)
# fmt: on
DRUGS = (
    CLONAZEPAM,
    DIAZEPAM,
    LORAZEPAM,
    MIDAZOLAM,
    SERTRALINE,
    LAMOTRIGINE,
    MEMANTINE,
    QUETIAPINE,
    OXYCODONE,
    PHENELZINE,
    METHYLPHENIDATE,
    THEOPHYLLINE,
    LITHIUM,
    None,
)

diagnoses = st.builds(
    Diagnosis,
    icd10=st.sampled_from(DIAGNOSIS_CODES),
    status=st.sampled_from(("active", "in_remission", "history")),
    severity=st.sampled_from(("mild", "moderate", "severe", "unspecified")),
)
medications = st.builds(
    Medication,
    name=st.sampled_from(("tablet", "Klonopin", "herbal mix")),
    dose_mg=st.none() | st.floats(min_value=0.05, max_value=500, allow_nan=False, allow_infinity=False),
    times_per_day=st.none() | st.integers(min_value=1, max_value=12),
    as_needed=st.booleans(),
    max_doses_per_day=st.none() | st.integers(min_value=1, max_value=24),
    drug=st.sampled_from(DRUGS),
)
readings = st.builds(
    reading,
    systolic=st.integers(min_value=60, max_value=300),
    diastolic=st.integers(min_value=30, max_value=200),
    days_before=st.integers(min_value=-5, max_value=45),
    hour=st.integers(min_value=0, max_value=23),
)
# Each answer may be absent (reads as unknown) or any of its allowed values, "unknown" included.
answer_maps = st.fixed_dictionaries(
    {}, optional={name: st.sampled_from(values) for name, values in ANSWER_CHOICES.items()}
)
random_facts = st.builds(
    Facts,
    mrn=st.just("KT-PROP"),
    name=st.just("Random Patient"),
    date_of_birth=st.none() | st.dates(min_value=date(1906, 1, 1), max_value=AS_OF),
    sex_at_birth=st.sampled_from(("female", "male", "intersex", "unknown")),
    weight_kg=st.none() | st.floats(min_value=25, max_value=350, allow_nan=False),
    height_cm=st.none() | st.floats(min_value=100, max_value=250, allow_nan=False),
    diagnoses=st.lists(diagnoses, max_size=4).map(tuple),
    failed_antidepressant_trials=st.none() | st.integers(min_value=0, max_value=50),
    medications_reconciled=st.booleans(),
    medications=st.lists(medications, max_size=4).map(tuple),
    blood_pressure=st.lists(readings, max_size=4).map(tuple),
    answers=answer_maps,
)


# ------------------------------------------------------------------------------------------ one required unknown
# Each strategy draws a change that leaves one piece of required data unknown.


def answer_set_to_unknown(name: str):
    return lambda facts: replace(facts, answers={**facts.answers, name: "unknown"})


def pregnancy_unknown(sex_at_birth: str, age: int, days_past_birthday: int):
    return lambda facts: replace(
        facts,
        sex_at_birth=sex_at_birth,
        date_of_birth=birthday(age) - timedelta(days=days_past_birthday),
        answers={**facts.answers, "pregnancy": "unknown"},
    )


def only_inactive_diagnoses(inactive: list[Diagnosis]):
    return lambda facts: replace(facts, diagnoses=tuple(inactive))


required_unknown = st.one_of(
    st.sampled_from(PSYCHIATRIC_FLAGS + CARDIOVASCULAR_FLAGS + OTHER_MEDICAL_FLAGS + SUPPORT_FLAGS).map(
        answer_set_to_unknown
    ),
    st.just(lambda facts: replace(facts, weight_kg=None)),
    st.just(lambda facts: replace(facts, medications_reconciled=False)),
    st.lists(
        st.builds(
            Diagnosis,
            icd10=st.sampled_from(DIAGNOSIS_CODES),
            status=st.sampled_from(("in_remission", "history")),
        ),
        max_size=3,
    ).map(only_inactive_diagnoses),
    st.builds(
        pregnancy_unknown,
        st.sampled_from(("female", "intersex")),
        st.integers(min_value=12, max_value=55),
        st.integers(min_value=0, max_value=364),
    ),
)


# ------------------------------------------------------------------------------------------ properties


@PROPERTY_SETTINGS
@given(random_facts)
def test_every_rule_evaluates_on_any_valid_facts(facts):
    report = screen(facts)

    assert [f.rule for f in report.findings if f.title.startswith("Rule could not be evaluated")] == []


@PROPERTY_SETTINGS
@given(random_facts, required_unknown)
def test_missing_required_data_is_never_eligible(facts, make_unknown):
    report = screen(make_unknown(facts))

    assert report.verdict not in PASSING_VERDICTS
    assert "missing" in {f.severity for f in report.findings}


@CONSISTENCY_SETTINGS
@given(random_facts)
def test_report_is_consistent_with_its_findings(facts):
    report = screen(facts)
    ranks = [SEVERITY_RANK[f.severity] for f in report.findings]
    worst = SEVERITIES[min(ranks, default=SEVERITY_RANK["info"])]
    dose_shown = facts.weight_kg is not None and report.verdict not in {"contraindicated", "not_a_candidate"}

    assert ranks == sorted(ranks)
    assert report.verdict == VERDICT_FOR_SEVERITY[worst]
    assert (report.dose is not None) == dose_shown
    assert len(report.medications) == len(facts.medications)
