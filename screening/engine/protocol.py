"""A rule set's protocol numbers and day-of-infusion checklist: data, no behaviour."""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_VALIDITY_DAYS = 30
DEFAULT_MEASURE_WINDOW_DAYS = 30


@dataclass(frozen=True)
class ChecklistItem:
    text: str
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class DayOfItem:
    """One item of the day-of-infusion checklist (issue 18): confirmed yes or no on the infusion day. It is
    asked on every infusion, or only where the screening has one of `findings` (a benzodiazepine held for
    MEDS-BENZO-HIGH), or where `predicate` holds on the screening's intake (a pregnancy test where one is
    indicated). An item answered no, or not answered, holds the infusion."""

    key: str
    text: str
    sources: tuple[str, ...] = ()
    findings: tuple[str, ...] = ()
    # a dict cannot be hashed; the rule set's sha256 already tells two sets apart
    predicate: dict | None = field(default=None, compare=False)

    @property
    def conditional(self) -> bool:
        return bool(self.findings) or self.predicate is not None


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
    day_of_checklist: tuple[DayOfItem, ...] = ()
