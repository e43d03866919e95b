"""Checks of single values of an intake document; every failure becomes a Problem at its path."""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any

from ..engine.problems import Problem
from ..engine.vocabulary import Bound

ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Every date and time in a document: far from the limits of Python's and the database's calendars.
EARLIEST, LATEST = date(1900, 1, 1), date(2100, 12, 31)


class IntakeInvalid(ValueError):
    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s): " + "; ".join(self.errors))

    @property
    def errors(self) -> list[str]:
        """Each problem as one line, "path: message"."""
        return [str(problem) for problem in self.problems]


class Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def error(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def obj(self, value: Any, path: str, allowed: tuple[str, ...] | list[str]) -> dict | None:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(path, f"must be an object, got {type(value).__name__}")
            return None
        for key in value:
            if key not in allowed:
                shown = key if key.isprintable() and is_encodable(key) else ascii(key)
                self.error(f"{path}.{shown}" if path else shown, "unknown field")
        return value

    def text(self, value: Any, path: str, *, required: bool, max_len: int = 100) -> str | None:
        if value is None:
            if required:
                self.error(path, "required")
            return None
        if not isinstance(value, str):
            self.error(path, f"must be text, got {type(value).__name__}")
            return None
        problem = unstorable_text(value)
        if problem:
            self.error(path, problem)
            return None
        value = value.strip()
        if required and not value:
            self.error(path, "required")
            return None
        if len(value) > max_len:
            self.error(path, f"is longer than {max_len} characters")
            return None
        return value

    def choice(
        self, value: Any, path: str, choices: tuple[str, ...], default: str | None = "unknown"
    ) -> str | None:
        if value is None:
            if default is None:
                self.error(path, "required")
            return default
        if value not in choices:
            self.error(path, f"{value!r} is not one of {', '.join(choices)}")
            return None
        return value

    def number(
        self,
        value: Any,
        path: str,
        *,
        low: float,
        high: float,
        integer: bool,
        required: bool = False,
        exclusive_low: bool = False,
    ) -> float | int | None:
        if value is None:
            if required:
                self.error(path, "required")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(path, f"must be a number, got {value!r}")
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.error(path, f"{value!r} is not a finite number")
            return None
        if integer and value != int(value):
            self.error(path, f"{value!r} must be a whole number")
            return None
        if exclusive_low and value <= low:
            self.error(path, f"{value!r} must be greater than {low:g}")
            return None
        if not exclusive_low and value < low:
            self.error(path, f"{_show(value)} is below {low:g}")
            return None
        if value > high:
            self.error(path, f"{_show(value)} is above {high:g}")
            return None
        return int(value) if integer else float(value)

    def bounded(self, value: Any, path: str, bound: Bound, *, required: bool = False) -> float | int | None:
        """A number within a bound of the field table (engine/vocabulary.NUMBERS)."""
        return self.number(
            value,
            path,
            low=bound.low,
            high=bound.high,
            integer=bound.integer,
            required=required,
            exclusive_low=bound.low_exclusive,
        )

    def day(self, value: Any, path: str, *, required: bool = True) -> date | None:
        if value is None:
            if required:
                self.error(path, "required")
            return None
        try:
            if not isinstance(value, str) or not ISO_DAY.fullmatch(value):
                raise ValueError
            day = date.fromisoformat(value)
        except ValueError:
            self.error(path, f"{value!r} is not a date (YYYY-MM-DD)")
            return None
        return day if self.in_range(day, path) else None

    def in_range(self, value: date, path: str) -> bool:
        """Dates and times of a clinical record fall between EARLIEST and LATEST (both storable anywhere)."""
        if EARLIEST <= value <= LATEST:
            return True
        self.error(path, f"{value.isoformat()} is outside {EARLIEST.isoformat()} to {LATEST.isoformat()}")
        return False

    def moment(self, value: Any, path: str) -> datetime | None:
        if value is None:
            self.error(path, "required")
            return None
        try:
            if not isinstance(value, str):
                raise ValueError
            parsed = datetime.fromisoformat(value)
        except ValueError:
            self.error(path, f"{value!r} is not a date and time (ISO 8601 with UTC offset)")
            return None
        if parsed.tzinfo is None:
            self.error(path, f"{value!r} needs a UTC offset, e.g. 2026-11-20T09:10:00-07:00")
            return None
        return parsed if self.in_range(parsed.date(), path) else None

    def boolean(self, value: Any, path: str, default: bool) -> bool | None:
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(path, f"must be true or false, got {value!r}")
            return None
        return value


def is_encodable(text: str) -> bool:
    """False for text that cannot be stored or sent as UTF-8 (lone surrogates from a JSON "\\ud800")."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def unstorable_text(text: str) -> str | None:
    """Why no database could store this text (a NUL character, a lone surrogate), or None. Used by the
    document validation, the API's bodies and the services, so every entry point refuses the same."""
    if "\x00" in text:
        return "contains a NUL character"
    if not is_encodable(text):
        return "contains an invalid character (a lone UTF-16 surrogate)"
    return None


def _show(number: float | int) -> str:
    # ints as they are: "{:g}" would turn 1234567 into 1.23457e+06 and overflow on very long ones
    return str(number) if isinstance(number, int) else f"{number:g}"
