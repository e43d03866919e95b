"""Dates and times of the clinical record lie between EARLIEST and LATEST (1900-01-01 … 2100-12-31), as the
intake format says: one validator for the model fields and the forms, and the matching database check, so
the database never holds a date it cannot give back (year 1 at +14:00 is year 0 in UTC, which PostgreSQL
stores and no Python can read)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.deconstruct import deconstructible

from screening.intake import EARLIEST, LATEST

RANGE_TEXT = f"{EARLIEST.isoformat()} to {LATEST.isoformat()}"


@deconstructible
class RecordDateValidator:
    """A date, or a date and time both in its own offset and in UTC, within EARLIEST … LATEST."""

    code = "date_out_of_range"

    def __call__(self, value: date | datetime | None) -> None:
        if value is None:
            return
        days = [value.date() if isinstance(value, datetime) else value]
        if isinstance(value, datetime) and value.tzinfo is not None and EARLIEST <= days[0] <= LATEST:
            days.append(value.astimezone(UTC).date())  # safe: its own date is far from the calendar's ends
        if not all(EARLIEST <= day <= LATEST for day in days):
            raise ValidationError(f"Enter a date from {RANGE_TEXT}.", code=self.code)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RecordDateValidator)

    def __hash__(self) -> int:
        return hash(type(self))


record_date_validator = RecordDateValidator()


def record_date_condition(column: str, *, with_time: bool, nullable: bool = False) -> Q:
    """The database check of RecordDateValidator: plain comparisons (SQLite and PostgreSQL alike); a time
    is compared in UTC, as it is stored."""
    if with_time:
        low = datetime.combine(EARLIEST, time.min, tzinfo=UTC)
        above = datetime.combine(LATEST, time.max, tzinfo=UTC)
        condition = Q(**{f"{column}__gte": low, f"{column}__lte": above})
    else:
        condition = Q(**{f"{column}__gte": EARLIEST, f"{column}__lte": LATEST})
    return Q(**{f"{column}__isnull": True}) | condition if nullable else condition
