"""Go or hold on the day of an infusion (issue 18), and the series' response: pure, no Django, no clock.

The inputs are what the infusion record holds (today's weight, the readings before dosing, the day-of
checklist answers), what the screening that cleared the patient decided (its rule set's blood-pressure
thresholds and day-of checklist, which items its findings ask for) and the measure rules re-applied to the
measures taken since. Every reason is a sentence a clinician reads on the page and the printed sheet.

Precedence: anything that holds the infusion wins; then anything missing (fail closed: nothing unknown reads
as "no problem"); then what needs the physician's go with a reason; else go.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from screening.engine.evaluate import DoseRange, dose_range
from screening.engine.protocol import DayOfItem, Protocol

GO = "go"
PHYSICIAN = "physician"  # held until a physician gives the go, with a reason
HOLD = "hold"
INCOMPLETE = "incomplete"
STATUS_TEXT = {
    GO: "Go: the checks before dosing are met",
    PHYSICIAN: "Held until a physician gives the go, with a reason",
    HOLD: "Hold: no infusion today",
    INCOMPLETE: "Not decided: the checks before dosing are incomplete",
}
PHYSICIAN_GAVE_GO = "Go: a physician weighed the reasons below and gave the go, with a reason"


def status_text(status: str, authorized: bool = False) -> str:
    """The status in words; a decision that waited for the physician reads as the go once it was given."""
    return PHYSICIAN_GAVE_GO if authorized and status == PHYSICIAN else STATUS_TEXT.get(status, status)


HOLDING_SEVERITIES = {"contraindicated", "not_candidate", "defer", "missing"}
YES, NO = "yes", "no"
RESPONSE_DROP = Fraction(1, 2)  # a response: PHQ-9 at least 50% below its baseline (A3)
REASSESS_AFTER = 3  # infusions without a response before the plan is reassessed (A3)


@dataclass(frozen=True)
class Reading:
    systolic: int
    diastolic: int
    heart_rate: int | None = None


@dataclass(frozen=True)
class Threshold:
    """A blood-pressure threshold of the screening's rule set (screening.bp_chart.ReferenceLine)."""

    systolic: float
    diastolic: float
    inclusive: bool
    severity: str
    rule: str


@dataclass(frozen=True)
class MeasureFinding:
    """A measure rule that fires on the measures taken since the screening."""

    rule: str
    severity: str
    title: str
    evidence: str


@dataclass(frozen=True)
class Decision:
    status: str
    holds: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    cautions: tuple[str, ...] = ()
    dose: DoseRange | None = None
    mean: tuple[Fraction, Fraction] | None = None

    @property
    def text(self) -> str:
        return STATUS_TEXT[self.status]

    @property
    def reasons(self) -> tuple[str, ...]:
        """Every reason in words, holds first."""
        return self.holds + tuple(f"Missing: {m}" for m in self.missing) + self.cautions

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "text": self.text,
            "holds": list(self.holds),
            "missing": list(self.missing),
            "needs_physician": list(self.cautions),
            "dose_range_mg": [self.dose.low_mg, self.dose.high_mg] if self.dose else None,
            "mean_bp": mean_text(self.mean) if self.mean else None,
        }


def mmhg(value: Fraction | float) -> str:
    """A mean as the clinic reads it: whole numbers when whole, else one decimal (145.5)."""
    value = Fraction(value)
    return str(value.numerator) if value.denominator == 1 else f"{float(value):.1f}"


def mean_text(mean: tuple[Fraction, Fraction]) -> str:
    return f"{mmhg(mean[0])}/{mmhg(mean[1])}"


def mean_of(readings: tuple[Reading, ...]) -> tuple[Fraction, Fraction] | None:
    if not readings:
        return None
    n = len(readings)
    return Fraction(sum(r.systolic for r in readings), n), Fraction(sum(r.diastolic for r in readings), n)


def _reaches(mean: tuple[Fraction, Fraction], line: Threshold) -> bool:
    s, d = Fraction(str(line.systolic)), Fraction(str(line.diastolic))
    if line.inclusive:
        return mean[0] >= s or mean[1] >= d
    return mean[0] > s or mean[1] > d


def bp_verdict(readings: tuple[Reading, ...], thresholds: tuple[Threshold, ...]) -> tuple[str, str] | None:
    """(HOLD or PHYSICIAN, the reason) for the most severe threshold the mean before dosing reaches; None
    when it reaches none (or nothing was measured: the caller reports that as missing)."""
    mean = mean_of(readings)
    if mean is None:
        return None
    readings_text = "1 reading" if len(readings) == 1 else f"mean of {len(readings)} readings"
    for line in sorted(thresholds, key=lambda t: (t.severity not in HOLDING_SEVERITIES, -t.systolic)):
        if not _reaches(mean, line):
            continue
        limit = f"{mmhg(Fraction(str(line.systolic)))}/{mmhg(Fraction(str(line.diastolic)))}"
        where = "at or above" if line.inclusive else "above"
        said = f"Blood pressure before dosing {mean_text(mean)} ({readings_text}) is {where} {limit} ({line.rule})"
        if line.severity in HOLDING_SEVERITIES:
            return HOLD, f"{said}: bring it under control first; no infusion today."
        return PHYSICIAN, f"{said}: a physician weighs it and gives the go with a reason, or holds."
    return None


def item_applies(item: DayOfItem, finding_codes: set[str], predicate_holds) -> bool:
    """Whether the screening asks this item: always, or when it has one of the item's findings, or when
    the item's predicate holds on the screening's intake (`predicate_holds(predicate) -> bool`)."""
    if item.findings:
        return bool(finding_codes & set(item.findings))
    if item.predicate is not None:
        return bool(predicate_holds(item.predicate))
    return True


def decide(
    *,
    protocol: Protocol,
    weight_kg: float | None,
    readings: tuple[Reading, ...],
    items: tuple[DayOfItem, ...],
    answers: dict[str, str],
    thresholds: tuple[Threshold, ...],
    measure_findings: tuple[MeasureFinding, ...] = (),
    screening_problems: tuple[str, ...] = (),
) -> Decision:
    """The day-of decision. `items`: the checklist items the screening asks for (item_applies);
    `screening_problems`: why the screening no longer clears the patient (empty when it does)."""
    holds: list[str] = list(screening_problems)
    missing: list[str] = []
    cautions: list[str] = []
    if weight_kg is None:
        missing.append("today's weight")
    if not readings:
        missing.append("blood pressure before dosing")
    else:
        bp = bp_verdict(readings, thresholds)
        if bp is not None:
            (holds if bp[0] == HOLD else cautions).append(bp[1])
    for item in items:
        answer = answers.get(item.key)
        if answer == NO:
            holds.append(f"Not confirmed: {item.text}")
        elif answer != YES:
            missing.append(f"checklist: {item.text}")
    for found in measure_findings:
        said = f"{found.title} ({found.rule}): {found.evidence}"
        if found.severity in HOLDING_SEVERITIES:
            holds.append(f"{said}. No infusion today.")
        else:
            cautions.append(f"{said}. A physician weighs it and gives the go with a reason, or holds.")
    status = HOLD if holds else INCOMPLETE if missing else PHYSICIAN if cautions else GO
    return Decision(
        status=status,
        holds=tuple(holds),
        missing=tuple(missing),
        cautions=tuple(cautions),
        dose=dose_range(weight_kg, protocol),
        mean=mean_of(readings),
    )


# ------------------------------------------------------------------------------------------------ the series


@dataclass(frozen=True)
class SeriesStatus:
    given: int
    baseline: int | None  # PHQ-9 total at baseline
    latest: int | None  # the latest PHQ-9 total taken since the series began
    responded: bool | None  # None: cannot be judged (no baseline, a baseline of 0, or no PHQ-9 since)
    reassess: bool
    text: str


def series_status(
    *, given: int, baseline: int | None, latest: int | None, latest_on: str = ""
) -> SeriesStatus:
    """The infusion series: how many were given, whether the PHQ-9 shows a response (a drop of at least
    50% from baseline), and the prompt to reassess the plan after three infusions without one. A response
    that cannot be judged is not a response (fail closed): the prompt shows, saying why."""
    count = f"{given} infusion{'s' if given != 1 else ''} given"
    if baseline is None or baseline == 0:
        responded = None
        why = "no baseline PHQ-9" if baseline is None else "the baseline PHQ-9 is 0"
        judged = f"response cannot be judged ({why})"
    elif latest is None:
        responded = None
        judged = f"PHQ-9 {baseline} at baseline, none scored since: response cannot be judged"
    else:
        drop = Fraction(baseline - latest, baseline)
        responded = drop >= RESPONSE_DROP
        percent = round(float(drop) * 100)
        change = f"{percent}% lower" if percent >= 0 else f"{-percent}% higher"
        when = f" on {latest_on}" if latest_on else ""
        judged = f"PHQ-9 {baseline} at baseline, {latest}{when} ({change}): " + (
            "a response" if responded else "no response yet (a response is a drop of 50% or more)"
        )
    reassess = given >= REASSESS_AFTER and not responded
    text = f"{count}; {judged}."
    if reassess:
        text += f" After {REASSESS_AFTER} infusions without a response, reassess the plan (A3)."
    return SeriesStatus(given, baseline, latest, responded, reassess, text)
