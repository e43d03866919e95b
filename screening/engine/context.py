"""Values derived once per evaluation (age, BP summary, diazepam equivalents) for the predicates to share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from .facts import Facts, MeasureFact
from .protocol import Protocol


@dataclass(frozen=True)
class BloodPressureSummary:
    """The means are kept exact (whole totals over the count) and compared exactly with thresholds;
    `shown_*` are what reports print."""

    systolic_total: int
    diastolic_total: int
    readings: int
    day: date
    # the readings of that day that record a heart rate: their total and count (0: none recorded)
    heart_rate_total: int = 0
    heart_rate_readings: int = 0

    @property
    def heart_rate(self) -> Fraction | None:
        if not self.heart_rate_readings:
            return None
        return Fraction(self.heart_rate_total, self.heart_rate_readings)

    @property
    def systolic(self) -> Fraction:
        return Fraction(self.systolic_total, self.readings)

    @property
    def diastolic(self) -> Fraction:
        return Fraction(self.diastolic_total, self.readings)

    @property
    def shown_systolic(self) -> float | int:
        return _shown(self.systolic)

    @property
    def shown_diastolic(self) -> float | int:
        return _shown(self.diastolic)

    def mean_over(self, systolic: float, diastolic: float, strict: bool) -> bool:
        """Either mean above (strict) or at least (not strict) its limit, compared exactly:
        total against limit x count, with a fractional limit taken as the exact value of its float."""
        n = self.readings
        high_s, high_d = self.systolic_total, self.diastolic_total
        limit_s = systolic * n if isinstance(systolic, int) else Fraction(systolic) * n
        limit_d = diastolic * n if isinstance(diastolic, int) else Fraction(diastolic) * n
        if strict:
            return high_s > limit_s or high_d > limit_d
        return high_s >= limit_s or high_d >= limit_d


def _shown(mean: Fraction) -> float | int:
    return int(mean) if mean.denominator == 1 else round(float(mean), 1)


class Context:
    """`match_codes`: every code the rule set's medication matchers name (see RuleSet.match_codes), so that
    the medication index holds only those; None indexes every code (a predicate run on its own)."""

    def __init__(
        self, facts: Facts, protocol: Protocol, as_of: date, match_codes: frozenset[str] | None = None
    ):
        self.facts = facts
        self.protocol = protocol
        self.as_of = as_of
        self.match_codes = match_codes
        # every answer by name, the two that live in their own fields included; absent reads as unknown
        self.answers = {
            **facts.answers,
            "medications_reconciled": "yes" if facts.medications_reconciled else "no",
            "sex_at_birth": facts.sex_at_birth,
        }
        # every report shows these, so they are derived at once (plain attributes: a cached_property
        # takes a lock on first use, which costs more than deriving them here)
        self.age = facts.age_on(as_of)
        self.bp_summary = self._bp_summary()
        # each diagnosis with its code as prefixes are compared ("F33.2" -> "F332")
        self.diagnoses = [(dx, dx.compact_code) for dx in facts.diagnoses]
        self._index: dict[str, set[int]] | None = None
        self._matching: dict[frozenset[str], list[int]] = {}
        self._diazepam: dict[int, Fraction | None] = {}
        self._labels: dict[int, str] = {}

    def _bp_summary(self) -> BloodPressureSummary | None:
        """Mean of the readings on the most recent reading day inside the window; None if there is none."""
        as_of = self.as_of
        earliest = as_of - timedelta(days=self.protocol.bp_window_days)
        recent = [
            (day, r) for r in self.facts.blood_pressure if earliest <= (day := r.taken_at.date()) <= as_of
        ]
        if not recent:
            return None
        latest = max(day for day, _ in recent)
        same_day = [r for day, r in recent if day == latest]
        return BloodPressureSummary(
            systolic_total=sum([r.systolic for r in same_day]),
            diastolic_total=sum([r.diastolic for r in same_day]),
            readings=len(same_day),
            day=latest,
            heart_rate_total=sum(r.heart_rate for r in same_day if r.heart_rate is not None),
            heart_rate_readings=sum(1 for r in same_day if r.heart_rate is not None),
        )

    def latest_measures(self, instrument: str) -> list[MeasureFact]:
        """The administrations of a measure on its most recent day within the protocol's measure window
        (counted back from the assessment date, both ends included, as the blood pressure window is); more
        than one when it was given twice that day; empty when there is none in the window."""
        as_of = self.as_of
        earliest = as_of - timedelta(days=self.protocol.measure_window_days)
        recent = [m for m in self.facts.measures if m.instrument == instrument and earliest <= m.day <= as_of]
        if not recent:
            return []
        latest = max(m.day for m in recent)
        return [m for m in recent if m.day == latest]

    def _by_code(self) -> dict[str, set[int]]:
        """Each matcher code (an ATC prefix, or "class:benzodiazepine") held by a resolved medication -> the
        medications' indexes: a matcher then costs a few lookups instead of a set test per medication."""
        index: dict[str, set[int]] = {}
        wanted = self.match_codes
        for i, med in enumerate(self.facts.medications):
            if med.drug is None:
                continue
            codes = med.drug.match_codes
            for code in codes if wanted is None else codes & wanted:
                index.setdefault(code, set()).add(i)
        return index

    def matching(self, codes: frozenset[str]) -> list[int]:
        """Indexes of the resolved medications holding any of these matcher codes (memoised per evaluation)."""
        found = self._matching.get(codes)
        if found is None:
            index = self._index
            if index is None:
                index = self._index = self._by_code()
            hits: set[int] = set()
            for code, meds in index.items():  # the index holds a few codes; a matcher may name dozens
                if code in codes:
                    hits |= meds
            found = self._matching[codes] = sorted(hits)
        return found

    def medication_label(self, index: int) -> str:
        """How evidence names a medication: as typed, with the generic and ATC code when resolved."""
        found = self._labels.get(index)
        if found is None:
            found = self._labels[index] = _med_label(self.facts.medications[index])
        return found

    def diazepam_exact(self, index: int) -> Fraction | None:
        """The medication's daily diazepam equivalent, exactly (thresholds compare this; criteria.md:
        20.001 mg/day of chlordiazepoxide is 8.0004 mg and is over 8). None: dose, frequency or factor
        unknown."""
        if index in self._diazepam:
            return self._diazepam[index]
        med = self.facts.medications[index]
        daily = med.daily_exact
        factor = med.drug.diazepam_10mg_equivalent_mg if med.drug else None
        value = None if daily is None or factor is None else daily * 10 / exact(factor)
        self._diazepam[index] = value
        return value

    def diazepam_equivalent(self, index: int) -> float | None:
        """The same, rounded for display only."""
        value = self.diazepam_exact(index)
        return None if value is None else shown(value)


def exact(number: float | int) -> Fraction:
    """A number as written (a float's shortest decimal form: 20.001 is 20001/1000, not its binary value)."""
    return Fraction(str(number)) if isinstance(number, float) else Fraction(number)


def shown(value: Fraction) -> float:
    """An exact amount as reports print it: to 3 decimals."""
    return round(float(value), 3)


def _med_label(med) -> str:
    if med.drug is None:
        return med.name
    code = med.drug.atc[0] if med.drug.atc else "no ATC code"
    if med.name.strip().lower() == med.drug.generic:
        return f"{med.drug.generic} ({code})"
    return f"{med.name} ({med.drug.generic}, {code})"
