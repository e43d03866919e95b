"""Measures as structured data: PHQ-9, GAD-7 and the C-SSRS screener are scored from their answers, every
band edge on both sides, every C-SSRS risk level, and every way answers are refused (with its path)."""

from itertools import product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.engine.measures import (
    CSSRS_QUESTIONS,
    INSTRUMENTS,
    ITEMS,
    Band,
    Instrument,
    MeasureInvalid,
    Score,
    band_of,
    score,
    validate_answers,
)

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)


def items_totalling(total: int, count: int) -> list[int]:
    """`count` answers 0-3 adding up to `total`, the 3s first: [3, 3, 1, 0, ...]."""
    full, rest = divmod(total, 3)
    answers = [3] * full + ([rest] if rest else [])
    return answers + [0] * (count - len(answers))


def cssrs(**yes_no) -> dict:
    """C-SSRS screener answers: every always-asked question no, unless given; follow-ups as given."""
    return {"wish_to_be_dead": False, "suicidal_thoughts": False, "behavior_ever": False, **yes_no}


THOUGHTS = {
    "suicidal_thoughts": True,
    "thoughts_with_method": False,
    "intent": False,
    "intent_with_plan": False,
}


def errors_of(instrument, answers) -> list[tuple[str, str]]:
    with pytest.raises(MeasureInvalid) as raised:
        validate_answers(instrument, answers)
    return raised.value.errors


def paths_of(instrument, answers) -> list[str]:
    return [path for path, _ in errors_of(instrument, answers)]


# ---------------------------------------------------------------------------------------------- the bands

PHQ9_BANDS = [
    (0, "minimal"),
    (4, "minimal"),
    (5, "mild"),
    (9, "mild"),
    (10, "moderate"),
    (14, "moderate"),
    (15, "moderately severe"),
    (19, "moderately severe"),
    (20, "severe"),
    (27, "severe"),
]
GAD7_BANDS = [
    (0, "minimal"),
    (4, "minimal"),
    (5, "mild"),
    (9, "mild"),
    (10, "moderate"),
    (14, "moderate"),
    (15, "severe"),
    (21, "severe"),
]


@pytest.mark.parametrize(("total", "band"), PHQ9_BANDS)
def test_phq9_total_and_band_at_each_cut_point(total, band):
    result = score("phq9", items_totalling(total, 9))

    assert (result.total, result.band) == (total, band)


@pytest.mark.parametrize(("total", "band"), GAD7_BANDS)
def test_gad7_total_and_band_at_each_cut_point(total, band):
    result = score("gad7", items_totalling(total, 7))

    assert (result.total, result.band) == (total, band)


@pytest.mark.parametrize(
    ("instrument", "total", "band"),
    [("phq9", t, b) for t, b in PHQ9_BANDS] + [("gad7", t, b) for t, b in GAD7_BANDS],
)
def test_band_of_a_total(instrument, total, band):
    assert band_of(instrument, total) == band


@pytest.mark.parametrize(
    ("instrument", "total"),
    [("phq9", -1), ("phq9", 28), ("gad7", 22), ("phq9", True), ("phq9", 5.0), ("cssrs_screener", 0)],
)
def test_band_of_refuses_a_total_the_measure_cannot_have(instrument, total):
    with pytest.raises(ValueError):
        band_of(instrument, total)


def test_band_of_an_unknown_instrument_is_refused():
    with pytest.raises(MeasureInvalid):
        band_of("madrs", 10)


def test_the_instruments_and_their_shapes():
    shapes = {
        key: (m.name, m.item_count, m.max_total, len(ITEMS[key]), m.bands[-1].high if m.bands else None)
        for key, m in INSTRUMENTS.items()
    }

    assert shapes == {
        "phq9": ("PHQ-9", 9, 27, 9, 27),
        "gad7": ("GAD-7", 7, 21, 7, 21),
        "cssrs_screener": ("C-SSRS screener", None, None, 7, None),
    }


def test_the_cssrs_labels_follow_its_questions():
    assert len(ITEMS["cssrs_screener"]) == len(CSSRS_QUESTIONS) == 7


@pytest.mark.parametrize(
    "bands",
    [
        (Band(0, 4, "a"), Band(6, 6, "b")),  # a gap at 5
        (Band(0, 4, "a"), Band(4, 6, "b")),  # 4 in two bands
        (Band(0, 4, "a"), Band(5, 5, "b")),  # stops short of 6
        (Band(1, 6, "a"),),  # does not start at 0
    ],
)
def test_an_instrument_whose_bands_miss_or_repeat_a_total_is_refused(bands):
    with pytest.raises(ValueError):
        Instrument("two", "Two items", 2, bands)


# --------------------------------------------------------------------------------------------- item 9


def test_phq9_reports_item_9_on_its_own():
    result = score("phq9", [1, 2, 1, 2, 2, 1, 2, 2, 1])

    assert result == Score("phq9", 14, "moderate", 1, None, "PHQ-9 14 (moderate); item 9: 1")


def test_phq9_item_9_is_read_from_the_ninth_answer_only():
    assert score("phq9", [0, 0, 0, 0, 0, 0, 0, 3, 2]).item9 == 2


def test_phq9_item_9_answered_zero_is_zero_not_missing():
    result = score("phq9", [3, 3, 3, 3, 3, 3, 3, 3, 0])

    assert (result.item9, result.summary) == (0, "PHQ-9 24 (severe); item 9: 0")


def test_gad7_has_no_item_9_and_no_imminence():
    assert score("gad7", [2, 2, 2, 2, 2, 1, 1]) == Score(
        "gad7", 12, "moderate", None, None, "GAD-7 12 (moderate)"
    )


# -------------------------------------------------------------------------------------------- C-SSRS

CSSRS_CASES = [
    ("all no", cssrs(), "none", False, "C-SSRS screener: no risk"),
    (
        "wish to be dead only",
        cssrs(wish_to_be_dead=True),
        "low",
        False,
        "C-SSRS screener: low risk (wish to be dead)",
    ),
    ("thoughts, no method", cssrs(**THOUGHTS), "low", False, "C-SSRS screener: low risk (suicidal thoughts)"),
    (
        "wish and thoughts",
        cssrs(wish_to_be_dead=True, **THOUGHTS),
        "low",
        False,
        "C-SSRS screener: low risk (wish to be dead, suicidal thoughts)",
    ),
    (
        "method",
        cssrs(**{**THOUGHTS, "thoughts_with_method": True}),
        "moderate",
        False,
        "C-SSRS screener: moderate risk (method)",
    ),
    (
        "behaviour over 3 months ago",
        cssrs(behavior_ever=True, behavior_past_3_months=False),
        "moderate",
        False,
        "C-SSRS screener: moderate risk (behaviour over 3 months ago)",
    ),
    ("intent", cssrs(**{**THOUGHTS, "intent": True}), "high", True, "C-SSRS screener: high risk (intent)"),
    (
        "plan with intent",
        cssrs(**{**THOUGHTS, "intent_with_plan": True}),
        "high",
        True,
        "C-SSRS screener: high risk (plan with intent)",
    ),
    (
        "behaviour in the past 3 months, no thoughts",
        cssrs(behavior_ever=True, behavior_past_3_months=True),
        "high",
        True,
        "C-SSRS screener: high risk (behaviour in the past 3 months)",
    ),
    (
        "method and recent behaviour",
        cssrs(**{**THOUGHTS, "thoughts_with_method": True}, behavior_ever=True, behavior_past_3_months=True),
        "high",
        True,
        "C-SSRS screener: high risk (behaviour in the past 3 months)",
    ),
    (
        "everything yes",
        dict.fromkeys(CSSRS_QUESTIONS, True),
        "high",
        True,
        "C-SSRS screener: high risk (intent, plan with intent, behaviour in the past 3 months)",
    ),
    (
        "skipped questions given as null",
        cssrs(thoughts_with_method=None, intent=None, intent_with_plan=None, behavior_past_3_months=None),
        "none",
        False,
        "C-SSRS screener: no risk",
    ),
]


@pytest.mark.parametrize(
    ("answers", "level", "imminent", "summary"),
    [case[1:] for case in CSSRS_CASES],
    ids=[c[0] for c in CSSRS_CASES],
)
def test_cssrs_risk_level_and_imminence(answers, level, imminent, summary):
    # the reasons are the summary's words in brackets, as a tuple (the measure rules' evidence reads them)
    reasons = tuple(summary.partition("(")[2].removesuffix(")").split(", ")) if "(" in summary else ()
    assert score("cssrs_screener", answers) == Score(
        "cssrs_screener", None, level, None, imminent, summary, reasons
    )


def cssrs_answer_sets():
    """Every assignment of yes, no or not asked to the seven questions."""
    for values in product((True, False, None), repeat=len(CSSRS_QUESTIONS)):
        yield dict(zip(CSSRS_QUESTIONS, values, strict=True))


def is_valid(answers) -> bool:
    try:
        validate_answers("cssrs_screener", answers)
    except MeasureInvalid:
        return False
    return True


def test_cssrs_skip_logic_admits_exactly_the_answer_sets_the_screener_can_produce():
    # Q1 x Q2 (no: 1 way; yes: 2^3 follow-ups) x Q6 (no: 1 way; yes: 2 follow-ups) = 2 x 9 x 3
    assert sum(map(is_valid, cssrs_answer_sets())) == 54


def test_cssrs_imminent_is_intent_plan_or_recent_behaviour_for_every_valid_answer_set():
    for answers in filter(is_valid, cssrs_answer_sets()):
        expected = bool(answers["intent"] or answers["intent_with_plan"] or answers["behavior_past_3_months"])
        assert score("cssrs_screener", answers).imminent is expected, answers


# ---------------------------------------------------------------------------------------- C-SSRS errors

CSSRS_ERRORS = [
    (
        "method answered yes when Q2 is no",
        cssrs(thoughts_with_method=True),
        [("thoughts_with_method", "not asked when Q2 is no: leave it unanswered")],
    ),
    (
        "intent answered no when Q2 is no",
        cssrs(intent=False),
        [("intent", "not asked when Q2 is no: leave it unanswered")],
    ),
    (
        "plan answered yes when Q2 is no",
        cssrs(intent_with_plan=True),
        [("intent_with_plan", "not asked when Q2 is no: leave it unanswered")],
    ),
    (
        "recent behaviour yes when Q6 is no",
        cssrs(behavior_past_3_months=True),
        [("behavior_past_3_months", "not asked when Q6 is no: leave it unanswered")],
    ),
    (
        "Q2 yes, follow-ups missing",
        cssrs(suicidal_thoughts=True, intent=None),
        [
            ("thoughts_with_method", "required when Q2 is yes"),
            ("intent", "required when Q2 is yes"),
            ("intent_with_plan", "required when Q2 is yes"),
        ],
    ),
    (
        "Q6 yes, timing missing",
        cssrs(behavior_ever=True),
        [("behavior_past_3_months", "required when Q6 is yes")],
    ),
    (
        "always-asked questions missing or null",
        {"suicidal_thoughts": None},
        [
            ("wish_to_be_dead", "required: this question is always asked"),
            ("suicidal_thoughts", "required: this question is always asked"),
            ("behavior_ever", "required: this question is always asked"),
        ],
    ),
    ("unknown question", cssrs(hopelessness=True), [("hopelessness", "unknown question")]),
    (
        "answers that are not yes/no",
        cssrs(wish_to_be_dead="yes", behavior_ever=1),
        [
            ("wish_to_be_dead", "expected true, false or null (not asked), got 'yes'"),
            ("behavior_ever", "expected true, false or null (not asked), got 1"),
        ],
    ),
    ("a list instead of an object", [False] * 7, [("", "expected an object of yes/no answers, got list")]),
    ("nothing", None, [("", "expected an object of yes/no answers, got NoneType")]),
]


@pytest.mark.parametrize(
    ("answers", "errors"), [c[1:] for c in CSSRS_ERRORS], ids=[c[0] for c in CSSRS_ERRORS]
)
def test_cssrs_answers_refused_with_their_paths(answers, errors):
    assert errors_of("cssrs_screener", answers) == errors


def test_cssrs_reports_every_problem_at_once():
    answers = {"wish_to_be_dead": True, "suicidal_thoughts": False, "intent": True, "mood": 3}

    assert sorted(paths_of("cssrs_screener", answers)) == ["behavior_ever", "intent", "mood"]


def test_score_refuses_cssrs_answers_that_break_the_skip_logic():
    with pytest.raises(MeasureInvalid):
        score("cssrs_screener", cssrs(intent=True))


# ------------------------------------------------------------------------------------------ item errors


@pytest.mark.parametrize(
    ("answers", "errors"),
    [
        ([1] * 8, [("", "expected 9 answers, got 8")]),
        ([1] * 10, [("", "expected 9 answers, got 10")]),
        ([], [("", "expected 9 answers, got 0")]),
        ([1, 1, 1, 4, 1, 1, 1, 1, 1], [("[3]", "expected 0 to 3, got 4")]),
        ([1, 1, 1, 1, 1, 1, 1, 1, -1], [("[8]", "expected 0 to 3, got -1")]),
        ([True, 1, 1, 1, 1, 1, 1, 1, 1], [("[0]", "expected a whole number 0 to 3, got true")]),
        ([1, 1, False, 1, 1, 1, 1, 1, 1], [("[2]", "expected a whole number 0 to 3, got false")]),
        ([1, 1, 1, 1, 1.0, 1, 1, 1, 1], [("[4]", "expected a whole number 0 to 3, got 1.0")]),
        ([1, 1, 1, 1, 1, "2", 1, 1, 1], [("[5]", "expected a whole number 0 to 3, got '2'")]),
        ([1, 1, 1, 1, 1, 1, None, 1, 1], [("[6]", "expected a whole number 0 to 3, got null")]),
        ("111111111", [("", "expected a list of 9 answers, got str")]),
        ({"1": 1}, [("", "expected a list of 9 answers, got dict")]),
        (None, [("", "expected a list of 9 answers, got NoneType")]),
    ],
)
def test_phq9_answers_refused_with_their_paths(answers, errors):
    assert errors_of("phq9", answers) == errors


def test_gad7_wants_seven_answers():
    assert errors_of("gad7", [0] * 9) == [("", "expected 7 answers, got 9")]


def test_item_answers_as_a_tuple_are_scored():
    assert score("gad7", (3, 3, 3, 3, 3, 3, 3)).total == 21


def test_every_item_problem_is_reported_not_only_the_first():
    assert paths_of("phq9", [4, True, 1.5, 1, 1, 1, 1, 1]) == ["", "[0]", "[1]", "[2]"]


def test_an_unknown_instrument_is_refused():
    assert errors_of("madrs", [0] * 10) == [
        ("instrument", "unknown instrument 'madrs'; known: phq9, gad7, cssrs_screener")
    ]


def test_score_validates_before_adding_up():
    with pytest.raises(MeasureInvalid):
        score("phq9", [3] * 8 + [4])


def test_measure_invalid_is_a_value_error_with_problems():
    with pytest.raises(ValueError) as raised:
        validate_answers("phq9", [9] + [0] * 8)

    assert [str(p) for p in raised.value.problems] == ["[0]: expected 0 to 3, got 9"]


# ------------------------------------------------------------------------------------------- properties

ITEM = st.integers(min_value=0, max_value=3)


def band_rank(instrument: str, label: str) -> int:
    return [band.label for band in INSTRUMENTS[instrument].bands].index(label)


@st.composite
def item_answers(draw):
    instrument = draw(st.sampled_from(["phq9", "gad7"]))
    count = INSTRUMENTS[instrument].item_count
    return instrument, draw(st.lists(ITEM, min_size=count, max_size=count))


@PROPERTY_SETTINGS
@given(item_answers())
def test_the_total_is_the_sum_and_the_band_is_the_totals(case):
    instrument, answers = case
    result = score(instrument, answers)

    assert result.total == sum(answers)
    assert result.band == band_of(instrument, sum(answers))


@PROPERTY_SETTINGS
@given(item_answers(), st.data())
def test_raising_one_answer_never_lowers_the_band(case, data):
    instrument, answers = case
    index = data.draw(st.integers(min_value=0, max_value=len(answers) - 1))
    lower = [*answers[:index], data.draw(st.integers(min_value=0, max_value=2)), *answers[index + 1 :]]
    higher = [*lower[:index], lower[index] + 1, *lower[index + 1 :]]

    assert band_rank(instrument, score(instrument, higher).band) >= band_rank(
        instrument, score(instrument, lower).band
    )


@PROPERTY_SETTINGS
@given(st.sampled_from(["phq9", "gad7"]), st.data())
def test_a_higher_total_never_has_a_lower_band(instrument, data):
    top = INSTRUMENTS[instrument].max_total
    low = data.draw(st.integers(min_value=0, max_value=top))
    high = data.draw(st.integers(min_value=low, max_value=top))

    assert band_rank(instrument, band_of(instrument, low)) <= band_rank(instrument, band_of(instrument, high))


def test_the_flag_names_what_the_measure_rules_read():
    assert score("phq9", [0] * 8 + [1]).flag == "item 9 = 1: physician review"
    assert score("phq9", [3] * 8 + [0]).flag == ""
    assert score("gad7", [3] * 7).flag == ""
    imminent = {"wish_to_be_dead": True, "suicidal_thoughts": True, "thoughts_with_method": False,
                "intent": True, "intent_with_plan": False, "behavior_ever": False}  # fmt: skip
    assert score("cssrs_screener", imminent).flag == "imminent risk: same-day safety evaluation"
