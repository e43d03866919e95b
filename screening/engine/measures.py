"""Rating measures as structured data: PHQ-9, GAD-7 and the C-SSRS screener, scored from their answers.

Only the answers are kept; the total, the band and the C-SSRS risk level are computed here every time, so
a typed score can never disagree with the answers behind it. Pure: no Django, no clock, no I/O.

    score("phq9", [1, 2, 1, 2, 2, 1, 2, 2, 1]).summary   # "PHQ-9 14 (moderate); item 9: 1"
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from .problems import Problem

ITEM_MIN = 0
ITEM_MAX = 3  # each PHQ-9 and GAD-7 item is scored 0 (not at all) to 3 (nearly every day)
PHQ9_ITEM9 = 8  # the index of the PHQ-9's self-harm item, reported on its own

# Short labels for the forms, in the questionnaires' order (paraphrased, not the published wording).
PHQ9_ITEMS = (
    "Little interest or pleasure",
    "Feeling down or hopeless",
    "Sleeping too little or too much",
    "Tired or low in energy",
    "Poor appetite or overeating",
    "Feeling bad about oneself",
    "Trouble concentrating",
    "Slowed down, or restless",
    "Better off dead, or self-harm",
)
GAD7_ITEMS = (
    "Nervous or on edge",
    "Cannot stop worrying",
    "Worrying about many things",
    "Trouble relaxing",
    "Too restless to sit still",
    "Easily irritated",
    "Afraid something awful may happen",
)

# The C-SSRS screener's answer keys, in the order it asks them, and their short labels.
CSSRS_QUESTIONS = (
    "wish_to_be_dead",  # Q1
    "suicidal_thoughts",  # Q2
    "thoughts_with_method",  # Q3, asked only when Q2 is yes
    "intent",  # Q4, asked only when Q2 is yes
    "intent_with_plan",  # Q5, asked only when Q2 is yes
    "behavior_ever",  # Q6
    "behavior_past_3_months",  # Q6 follow-up, asked only when Q6 is yes
)
CSSRS_ITEMS = (
    "Wished to be dead",
    "Thoughts of killing oneself",
    "Thought about how (method)",
    "Some intention of acting",
    "Started to work out a plan, with intent",
    "Any suicidal behaviour ever",
    "… within the past 3 months",
)
CSSRS_ALWAYS_ASKED = ("wish_to_be_dead", "suicidal_thoughts", "behavior_ever")
# question -> the questions asked only when it is answered yes
CSSRS_FOLLOW_UPS = {
    "suicidal_thoughts": ("thoughts_with_method", "intent", "intent_with_plan"),
    "behavior_ever": ("behavior_past_3_months",),
}
CSSRS_NUMBER = {key: f"Q{n}" for n, key in enumerate(CSSRS_QUESTIONS[:6], start=1)}

# The C-SSRS screener's risk levels, lowest first.
RISK_LEVELS = ("none", "low", "moderate", "high")


class Band(NamedTuple):
    """A range of totals, both ends included, and its severity label."""

    low: int
    high: int
    label: str


@dataclass(frozen=True)
class Instrument:
    """A measure: its key, its display name and, for the item measures, how many items and the bands.
    The C-SSRS screener has no items to add up (item_count None, no bands)."""

    key: str
    name: str
    item_count: int | None = None
    bands: tuple[Band, ...] = ()

    def __post_init__(self) -> None:
        # The bands must cover every possible total exactly once, or some total would have no band.
        if self.item_count is None:
            return
        expected_low = 0
        for band in self.bands:
            if band.low != expected_low or band.high < band.low:
                raise ValueError(f"{self.key}: band {band} does not continue from {expected_low}")
            expected_low = band.high + 1
        if expected_low != self.max_total + 1:
            raise ValueError(f"{self.key}: the bands end at {expected_low - 1}, not at {self.max_total}")

    @property
    def max_total(self) -> int | None:
        return None if self.item_count is None else self.item_count * ITEM_MAX

    @property
    def summed(self) -> bool:
        """True for the measures whose answers are items added up to a total."""
        return self.item_count is not None


INSTRUMENTS: dict[str, Instrument] = {
    "phq9": Instrument(
        "phq9",
        "PHQ-9",
        len(PHQ9_ITEMS),
        (
            Band(0, 4, "minimal"),
            Band(5, 9, "mild"),
            Band(10, 14, "moderate"),
            Band(15, 19, "moderately severe"),
            Band(20, 27, "severe"),
        ),
    ),
    "gad7": Instrument(
        "gad7",
        "GAD-7",
        len(GAD7_ITEMS),
        (Band(0, 4, "minimal"), Band(5, 9, "mild"), Band(10, 14, "moderate"), Band(15, 21, "severe")),
    ),
    "cssrs_screener": Instrument("cssrs_screener", "C-SSRS screener"),
}

ITEMS: dict[str, tuple[str, ...]] = {"phq9": PHQ9_ITEMS, "gad7": GAD7_ITEMS, "cssrs_screener": CSSRS_ITEMS}


class MeasureInvalid(ValueError):
    """Answers that cannot be scored, with every problem found: (path relative to the answers, message).
    Paths: "" for the answers as a whole, "[3]" for the fourth item, a C-SSRS key for its question,
    "instrument" for an unknown instrument."""

    def __init__(self, errors: list[tuple[str, str]]):
        self.errors = list(errors)
        super().__init__("; ".join(f"{path}: {message}" if path else message for path, message in errors))

    @property
    def problems(self) -> list[Problem]:
        """The errors as the engine's Problem records, for code that renders those."""
        return [Problem(path, message) for path, message in self.errors]


@dataclass(frozen=True)
class Score:
    """A measure's computed result. total: the sum of the items (None for the C-SSRS screener); band: the
    severity band, or the C-SSRS risk level; item9: the PHQ-9 self-harm item on its own (a rule reads it);
    imminent: the C-SSRS screener's intent, plan or recent behaviour (None for the other measures)."""

    instrument: str
    total: int | None
    band: str
    item9: int | None
    imminent: bool | None
    summary: str
    # the C-SSRS answers that set its risk level, in words ("intent", "plan with intent"); () otherwise
    reasons: tuple[str, ...] = ()

    @property
    def flag(self) -> str:
        """What the rules over measures will read, in words, for the page and the report ("" for none)."""
        if self.imminent:
            return "imminent risk: same-day safety evaluation"
        if self.item9:
            return f"item 9 = {self.item9}: physician review"
        return ""


def _instrument(instrument: str) -> Instrument:
    try:
        return INSTRUMENTS[instrument]
    except (KeyError, TypeError):
        known = ", ".join(INSTRUMENTS)
        raise MeasureInvalid([("instrument", f"unknown instrument {instrument!r}; known: {known}")]) from None


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."  # a message never repeats a whole long value


def _item_errors(measure: Instrument, answers: Any) -> list[tuple[str, str]]:
    if isinstance(answers, str | bytes) or not isinstance(answers, Sequence):
        return [("", f"expected a list of {measure.item_count} answers, got {type(answers).__name__}")]
    errors = []
    if len(answers) != measure.item_count:
        errors.append(("", f"expected {measure.item_count} answers, got {len(answers)}"))
    for index, value in enumerate(answers):
        # bool is an int in Python, but true/false is not an answer on a 0-3 scale
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(
                (f"[{index}]", f"expected a whole number {ITEM_MIN} to {ITEM_MAX}, got {_describe(value)}")
            )
        elif not ITEM_MIN <= value <= ITEM_MAX:
            errors.append((f"[{index}]", f"expected {ITEM_MIN} to {ITEM_MAX}, got {value}"))
    return errors


def _cssrs_errors(answers: Any) -> list[tuple[str, str]]:
    if not isinstance(answers, Mapping):
        return [("", f"expected an object of yes/no answers, got {type(answers).__name__}")]
    errors = [(str(key)[:60], "unknown question") for key in answers if key not in CSSRS_QUESTIONS]
    for key in CSSRS_QUESTIONS:
        value = answers.get(key)
        if value is not None and not isinstance(value, bool):
            errors.append((key, f"expected true, false or null (not asked), got {_describe(value)}"))
    for key in CSSRS_ALWAYS_ASKED:
        if answers.get(key) is None:
            errors.append((key, "required: this question is always asked"))
    for key, follow_ups in CSSRS_FOLLOW_UPS.items():
        gate = answers.get(key)
        for follow_up in follow_ups:
            value = answers.get(follow_up)
            # a follow-up's answer only counts when it and its gate are yes/no; type errors are above
            if gate is True and value is None:
                errors.append((follow_up, f"required when {CSSRS_NUMBER[key]} is yes"))
            elif gate is False and value is not None:
                errors.append((follow_up, f"not asked when {CSSRS_NUMBER[key]} is no: leave it unanswered"))
    return errors


def validate_answers(instrument: str, answers: Any) -> None:
    """Raise MeasureInvalid with every problem, or return None when the answers can be scored."""
    measure = _instrument(instrument)
    errors = _item_errors(measure, answers) if measure.summed else _cssrs_errors(answers)
    if errors:
        raise MeasureInvalid(errors)


def band_of(instrument: str, total: int) -> str:
    """The severity label of a total on a summed measure (PHQ-9, GAD-7)."""
    measure = _instrument(instrument)
    if not measure.summed:
        raise ValueError(f"{measure.name} has no total to band")
    if isinstance(total, bool) or not isinstance(total, int):
        raise ValueError(f"a total is a whole number, got {_describe(total)}")
    for band in measure.bands:
        if band.low <= total <= band.high:
            return band.label
    raise ValueError(f"{measure.name} totals run from 0 to {measure.max_total}, got {total}")


def _cssrs_level(answers: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    """The risk level and the answers that set it, highest level first."""
    yes = {key for key in CSSRS_QUESTIONS if answers.get(key) is True}
    recent_behaviour = {"behavior_ever", "behavior_past_3_months"} <= yes
    high = [
        *(["intent"] if "intent" in yes else []),
        *(["plan with intent"] if "intent_with_plan" in yes else []),
        *(["behaviour in the past 3 months"] if recent_behaviour else []),
    ]
    if high:
        return "high", tuple(high)
    moderate = [
        *(["method"] if "thoughts_with_method" in yes else []),
        *(["behaviour over 3 months ago"] if "behavior_ever" in yes else []),
    ]
    if moderate:
        return "moderate", tuple(moderate)
    low = [
        *(["wish to be dead"] if "wish_to_be_dead" in yes else []),
        *(["suicidal thoughts"] if "suicidal_thoughts" in yes else []),
    ]
    if low:
        return "low", tuple(low)
    return "none", ()


def score(instrument: str, answers: Any) -> Score:
    """Validate the answers, then compute the measure's total, band and summary."""
    validate_answers(instrument, answers)
    measure = INSTRUMENTS[instrument]
    if not measure.summed:
        level, reasons = _cssrs_level(answers)
        summary = (
            f"{measure.name}: {level} risk ({', '.join(reasons)})" if reasons else f"{measure.name}: no risk"
        )
        # imminent (intent, plan, or behaviour in the past 3 months) is exactly what makes the level high
        return Score(instrument, None, level, None, level == "high", summary, reasons)
    total = sum(answers)
    band = band_of(instrument, total)
    item9 = answers[PHQ9_ITEM9] if instrument == "phq9" else None
    summary = f"{measure.name} {total} ({band})" + (f"; item 9: {item9}" if item9 is not None else "")
    return Score(instrument, total, band, item9, None, summary)
