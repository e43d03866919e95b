"""Checks of single values of an intake document; every failure becomes a Problem at its path."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from typing import Any

from ..engine.problems import Problem
from ..engine.vocabulary import Bound

ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Every date and time in a document: far from the limits of Python's and the database's calendars.
EARLIEST, LATEST = date(1900, 1, 1), date(2100, 12, 31)
SHOWN_MAX = 60  # a value quoted in a message is cut here: a message names the problem, not the payload


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
                self.error(key_path(path, key), "unknown field")
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
            self.error(path, f"{brief(value)} is not one of {', '.join(choices)}")
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
            self.error(path, f"must be a number, got {brief(value)}")
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.error(path, f"{value!r} is not a finite number")
            return None
        if integer and value != int(value):
            self.error(path, f"{value!r} must be a whole number")
            return None
        if exclusive_low and value <= low:
            self.error(path, f"{_show(value)} must be greater than {low:g}")
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
            self.error(path, f"{brief(value)} is not a date (YYYY-MM-DD)")
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
            self.error(path, f"{brief(value)} is not a date and time (ISO 8601 with UTC offset)")
            return None
        if parsed.tzinfo is None:
            self.error(path, f"{brief(value)} needs a UTC offset, e.g. 2026-11-20T09:10:00-07:00")
            return None
        if not self.in_range(parsed.date(), path):
            return None
        # Converted only once its own date is in range (year 1 at +14:00 would overflow); the database
        # stores it in UTC, which must be in range too (1900-01-01T00:00:00+14:00 is 1899 in UTC).
        in_utc = parsed.astimezone(UTC)
        if not EARLIEST <= in_utc.date() <= LATEST:
            self.error(
                path,
                f"{brief(value)} is {in_utc.date().isoformat()} in UTC, outside {EARLIEST.isoformat()} to "
                f"{LATEST.isoformat()}",
            )
            return None
        return parsed

    def boolean(self, value: Any, path: str, default: bool) -> bool | None:
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(path, f"must be true or false, got {brief(value)}")
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


def key_path(path: str, key: Any) -> str:
    """The path of `key` under `path`, never empty: a key that is empty, not printable or not storable is
    shown quoted and escaped (''), a very long one cut short."""
    key = str(key)
    shown = key if key and key.isprintable() and is_encodable(key) else ascii(key)
    if len(shown) > SHOWN_MAX:
        shown = shown[:SHOWN_MAX] + "..."
    return f"{path}.{shown}" if path else shown


def brief(value: Any) -> str:
    """A value as a message quotes it: its repr, cut short (an integer too long to print is named so)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return "a very large integer"
    shown = repr(value)
    return shown if len(shown) <= SHOWN_MAX else shown[:SHOWN_MAX] + "..."


def _show(number: float | int) -> str:
    # ints as they are: "{:g}" would turn 1234567 into 1.23457e+06 and overflow on very long ones
    return brief(number) if isinstance(number, int) else f"{number:g}"
