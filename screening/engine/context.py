"""Values derived once per evaluation (age, BP summary, diazepam equivalents) for the predicates to share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from functools import cached_property

from .facts import Facts
from .protocol import Protocol


@dataclass(frozen=True)
class BloodPressureSummary:
    """The exact means are compared with thresholds; `shown_*` are what reports print."""

    systolic: Fraction
    diastolic: Fraction
    readings: int
    day: date

    @property
    def shown_systolic(self) -> float | int:
        return _shown(self.systolic)

    @property
    def shown_diastolic(self) -> float | int:
        return _shown(self.diastolic)


def _mean(values: list[int]) -> Fraction:
    return Fraction(sum(values), len(values))


def _shown(mean: Fraction) -> float | int:
    return int(mean) if mean.denominator == 1 else round(float(mean), 1)


class Context:
    def __init__(self, facts: Facts, protocol: Protocol, as_of: date):
        self.facts = facts
        self.protocol = protocol
        self.as_of = as_of
        self._matching: dict[tuple[frozenset[str], frozenset[str]], list[int]] = {}
        self._diazepam: dict[int, float | None] = {}

    @cached_property
    def age(self) -> int | None:
        return self.facts.age_on(self.as_of)

    @cached_property
    def bp_summary(self) -> BloodPressureSummary | None:
        """Mean of the readings on the most recent reading day inside the window; None if there is none."""
        earliest = self.as_of - timedelta(days=self.protocol.bp_window_days)
        recent = [r for r in self.facts.blood_pressure if earliest <= r.day <= self.as_of]
        if not recent:
            return None
        day = max(r.day for r in recent)
        same_day = [r for r in recent if r.day == day]
        return BloodPressureSummary(
            systolic=_mean([r.systolic for r in same_day]),
            diastolic=_mean([r.diastolic for r in same_day]),
            readings=len(same_day),
            day=day,
        )

    @cached_property
    def _by_code(self) -> dict[str, set[int]]:
        """Every ATC prefix and class ("class:benzodiazepine") of the resolved medications -> their indexes:
        a matcher then costs a few lookups instead of a set test per medication."""
        index: dict[str, set[int]] = {}
        for i, med in enumerate(self.facts.medications):
            if med.drug is None:
                continue
            for code in med.drug.atc_prefix_set:
                index.setdefault(code, set()).add(i)
            for name in med.drug.classes:
                index.setdefault("class:" + name, set()).add(i)
        return index

    def matching(self, atc_prefixes: frozenset[str], classes: frozenset[str]) -> list[int]:
        """Indexes of the resolved medications matching an ATC prefix or a class (memoised per evaluation)."""
        key = (atc_prefixes, classes)
        found = self._matching.get(key)
        if found is None:
            index = self._by_code
            hits: set[int] = set()
            for code in atc_prefixes:
                hits |= index.get(code, set())
            for name in classes:
                hits |= index.get("class:" + name, set())
            found = self._matching[key] = sorted(hits)
        return found

    def diazepam_equivalent(self, index: int) -> float | None:
        if index in self._diazepam:
            return self._diazepam[index]
        self._diazepam[index] = value = self._diazepam_equivalent(index)
        return value

    def _diazepam_equivalent(self, index: int) -> float | None:
        med = self.facts.medications[index]
        daily = med.daily_mg
        factor = med.drug.diazepam_10mg_equivalent_mg if med.drug else None
        if daily is None or factor is None:
            return None
        return round(daily * 10.0 / factor, 3)
