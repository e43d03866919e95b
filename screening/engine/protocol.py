"""A rule set's protocol numbers and day-of-infusion checklist: data, no behaviour."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_VALIDITY_DAYS = 30
DEFAULT_MEASURE_WINDOW_DAYS = 30


@dataclass(frozen=True)
class ChecklistItem:
    text: str
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Protocol:
    dose_mg_per_kg_low: float = 0.5
    dose_mg_per_kg_high: float = 1.0
    infusion_minutes: tuple[int, int] = (40, 60)
    dose_sources: tuple[str, ...] = ()
    bp_window_days: int = 30
    # how far back (days before the assessment date) a baseline measure counts for the measure rules
    measure_window_days: int = DEFAULT_MEASURE_WINDOW_DAYS
    # how long a screening stays current (criteria.md: 30 days unless the rule set says otherwise)
    validity_days: int = DEFAULT_VALIDITY_DAYS
    checklist: tuple[ChecklistItem, ...] = ()
