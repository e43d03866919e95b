"""What the engine knows about one patient: frozen dataclasses, no Django, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction
from functools import cached_property

from .measures import Score

UNKNOWN = "unknown"


@dataclass(frozen=True)
class Drug:
    """A formulary entry, as the engine sees it."""

    generic: str
    atc: tuple[str, ...]
    classes: tuple[str, ...] = ()
    # mg of this drug equivalent to 10 mg diazepam (A7); None when no cited factor exists
    diazepam_10mg_equivalent_mg: float | None = None
    # the highest maximum daily dose of the US label (A15), in mg of the component `dose_mg` names; None:
    # none recorded (MEDS-DOSE-IMPLAUSIBLE stays silent)
    max_daily_mg: float | None = None

    @cached_property
    def atc_prefix_set(self) -> frozenset[str]:
        """Every leading part of every ATC code ("N", "N0", "N03", ... "N03AE01"), for set matching."""
        return frozenset(code[:n] for code in self.atc for n in range(1, len(code) + 1))

    @cached_property
    def analysis_columns(self) -> tuple[str, str, tuple[str, ...]]:
        """generic, first ATC code and classes: the report's medication row for this drug."""
        return (self.generic, self.atc[0] if self.atc else None, self.classes)

    @cached_property
    def match_codes(self) -> frozenset[str]:
        """What a medication matcher can name: every ATC prefix and every class as "class:<name>"."""
        return self.atc_prefix_set | {"class:" + name for name in self.classes}


@dataclass(frozen=True)
class Medication:
    name: str  # as typed
    dose_mg: float | None = None
    times_per_day: int | None = None
    as_needed: bool = False
    max_doses_per_day: int | None = None
    drug: Drug | None = None  # None: not resolved in the formulary
    # the name is an error-prone abbreviation (A16: T3, MS, HCTZ...): never resolved, whatever it could mean
    ambiguous: bool = False

    @cached_property
    def daily_exact(self) -> Fraction | None:
        """dose_mg x doses a day, exactly: as-needed use counts the most doses in a day when given
        (criteria.md), else the usual frequency. None when either is unknown."""
        if self.dose_mg is None:
            return None
        count = (self.max_doses_per_day or self.times_per_day) if self.as_needed else self.times_per_day
        if count is None:
            return None
        return Fraction(str(self.dose_mg)) * count

    @cached_property
    def daily_mg(self) -> float | None:
        """The daily dose as reports print it (rounded for display only)."""
        exact = self.daily_exact
        return None if exact is None else round(float(exact), 4)


@dataclass(frozen=True)
class Diagnosis:
    icd10: str
    status: str = "active"  # active | in_remission | history
    severity: str = "unspecified"  # mild | moderate | severe | unspecified

    @property
    def compact_code(self) -> str:
        return self.icd10.replace(".", "").upper()


@dataclass(frozen=True)
class BloodPressureReading:
    taken_at: datetime  # timezone-aware; its local date is the reading day
    systolic: int
    diastolic: int
    heart_rate: int | None = None

    @property
    def day(self) -> date:
        return self.taken_at.date()


@dataclass(frozen=True)
class MeasureFact:
    """One administration of a rating measure (PHQ-9, GAD-7, C-SSRS screener): its instrument key, the day
    it was given and its score, computed from the answers (measures.score)."""

    instrument: str
    day: date
    score: Score


@dataclass(frozen=True)
class Facts:
    mrn: str
    name: str
    date_of_birth: date | None
    sex_at_birth: str = UNKNOWN
    weight_kg: float | None = None
    height_cm: float | None = None
    diagnoses: tuple[Diagnosis, ...] = ()
    failed_antidepressant_trials: int | None = None
    medications_reconciled: bool = False
    medications: tuple[Medication, ...] = ()
    blood_pressure: tuple[BloodPressureReading, ...] = ()
    # baseline measures, in the intake's order (absent: none)
    measures: tuple[MeasureFact, ...] = ()
    # Every categorical answer by its intake name (pregnancy, tri-state flags, enumerations).
    # A name that is absent reads as "unknown".
    answers: Mapping[str, str] = field(default_factory=dict)

    def answer(self, name: str) -> str:
        if name == "medications_reconciled":
            return "yes" if self.medications_reconciled else "no"
        if name == "sex_at_birth":
            return self.sex_at_birth
        return self.answers.get(name, UNKNOWN)

    def age_on(self, day: date) -> int | None:
        if self.date_of_birth is None:
            return None
        return age_in_years(self.date_of_birth, day)


def age_in_years(born: date, on: date) -> int:
    """Whole years from a date of birth to a day (the birthday itself counts)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
