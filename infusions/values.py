"""Values typed into an infusion record's steps, read the same way for the pages and the API: numbers
within the field table's bounds, a reading's two pressures together, times on the infusion day, bounded
text; each refusal an InfusionRefused on its field."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils import timezone

from screening.engine.vocabulary import NUMBERS

TEXT_MAX = 2000


class InfusionRefused(ValueError):
    """A step refused: `errors` is a list of (field or "", message)."""

    def __init__(self, errors: list[tuple[str, str]] | str):
        self.errors = [("", errors)] if isinstance(errors, str) else list(errors)
        super().__init__("; ".join(message for _, message in self.errors))


def number(value: Any, field: str, label: str, low, high, places: int | None = None) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        parsed = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InfusionRefused([(field, f"{label}: enter a number.")]) from None
    if not parsed.is_finite() or not (low <= parsed <= high):
        raise InfusionRefused([(field, f"{label}: enter a value from {low} to {high}.")])
    if places is None:
        if parsed != parsed.to_integral_value():
            raise InfusionRefused([(field, f"{label}: enter a whole number.")])
        return parsed
    return parsed.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def reading(values: dict[str, Any], prefix: str, label: str) -> dict[str, int | None]:
    """One blood-pressure reading (systolic and diastolic together, heart rate optional), by field."""
    errors, out = [], {}
    for part in ("systolic", "diastolic", "heart_rate"):
        low, high = NUMBERS[part].low, NUMBERS[part].high  # the field table's bounds, as the intake's
        name = f"{prefix}_{part}"
        try:
            found = number(values.get(name), name, f"{label} {part.replace('_', ' ')}", low, high)
            out[name] = int(found) if found is not None else None
        except InfusionRefused as exc:
            errors += exc.errors
    s, d = out.get(f"{prefix}_systolic"), out.get(f"{prefix}_diastolic")
    if not errors:
        if (s is None) != (d is None):
            errors.append(
                (
                    f"{prefix}_diastolic" if d is None else f"{prefix}_systolic",
                    f"{label}: enter both numbers.",
                )
            )
        elif s is not None and s <= d:
            errors.append((f"{prefix}_systolic", f"{label}: the systolic must be above the diastolic."))
        elif s is None and out[f"{prefix}_heart_rate"] is not None:
            errors.append((f"{prefix}_systolic", f"{label}: enter the blood pressure with the heart rate."))
    if errors:
        raise InfusionRefused(errors)
    return out


def collect(*steps) -> dict[str, Any]:
    """Run each step, gathering every refusal (one message per field) before raising."""
    values, errors = {}, []
    for step in steps:
        try:
            values.update(step())
        except InfusionRefused as exc:
            errors += exc.errors
    if errors:
        raise InfusionRefused(errors)
    return values


def when(value: Any, field: str, label: str, day: date) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise InfusionRefused([(field, f"{label}: enter a date and time.")]) from None
    if not isinstance(value, datetime):
        raise InfusionRefused([(field, f"{label}: enter a date and time.")])
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if timezone.localdate(value) != day:
        raise InfusionRefused([(field, f"{label}: enter a time on {day:%Y-%m-%d}.")])
    if value > timezone.now() + timedelta(minutes=5):
        raise InfusionRefused([(field, f"{label}: cannot be in the future.")])
    return value


def whole(value, field, label, low, high) -> int | None:
    found = number(value, field, label, low, high)
    return int(found) if found is not None else None


def text(value, field, label, limit: int = TEXT_MAX) -> str:
    said = (value or "").strip()
    if len(said) > limit:
        raise InfusionRefused([(field, f"{label}: keep it under {limit} characters.")])
    return said
