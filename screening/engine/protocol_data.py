"""A rule set's protocol as data: validation of its numbers, sources, consult checklist and day-of-infusion
checklist (protocol.day_of_checklist, issue 18), each problem by its path; parsing of the day-of items."""

from __future__ import annotations

import re
from typing import Any

from .predicates import validate_predicate
from .problems import Problem
from .protocol import DEFAULT_MEASURE_WINDOW_DAYS, DEFAULT_VALIDITY_DAYS, DayOfItem

# The sources listed in shared/sources/README.md: seed documents S1-S5, anchor references A1-A16.
SOURCE_ID = re.compile(r"^(?:S[1-5]|A(?:[1-9]|1[0-6]))$")

ITEM_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def validate_protocol(protocol: Any) -> list[Problem]:
    if not isinstance(protocol, dict):
        return [Problem("protocol", "must be an object")]
    errors = []
    allowed = {
        "dose_mg_per_kg",
        "infusion_minutes",
        "dose_sources",
        "bp_window_days",
        "measure_window_days",
        "validity_days",
        "checklist",
        "day_of_checklist",
    }
    for key in sorted(set(protocol) - allowed):
        errors.append(Problem(f"protocol.{key}", "unknown field"))
    dose = protocol.get("dose_mg_per_kg")
    if not (
        isinstance(dose, list)
        and len(dose) == 2
        and all(_is_number(v) and v > 0 for v in dose)
        and dose[0] <= dose[1]
    ):
        errors.append(
            Problem("protocol.dose_mg_per_kg", "must be [low, high], positive numbers, low <= high")
        )
    minutes = protocol.get("infusion_minutes")
    if not (
        isinstance(minutes, list)
        and len(minutes) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in minutes)
        and minutes[0] <= minutes[1]
    ):
        errors.append(
            Problem("protocol.infusion_minutes", "must be [shortest, longest], positive whole minutes")
        )
    window = protocol.get("bp_window_days")
    if not (isinstance(window, int) and not isinstance(window, bool) and 1 <= window <= 365):
        errors.append(Problem("protocol.bp_window_days", "must be a whole number of days from 1 to 365"))
    measure_window = protocol.get("measure_window_days", DEFAULT_MEASURE_WINDOW_DAYS)
    if not (
        isinstance(measure_window, int)
        and not isinstance(measure_window, bool)
        and 1 <= measure_window <= 365
    ):
        errors.append(Problem("protocol.measure_window_days", "must be a whole number of days from 1 to 365"))
    validity = protocol.get("validity_days", DEFAULT_VALIDITY_DAYS)
    if not (isinstance(validity, int) and not isinstance(validity, bool) and 1 <= validity <= 365):
        errors.append(Problem("protocol.validity_days", "must be a whole number of days from 1 to 365"))
    errors += validate_sources(protocol.get("dose_sources", []), "protocol.dose_sources")
    checklist = protocol.get("checklist", [])
    if not isinstance(checklist, list):
        errors.append(Problem("protocol.checklist", "must be a list"))
    else:
        for i, item in enumerate(checklist):
            where = f"protocol.checklist[{i}]"
            if (
                not isinstance(item, dict)
                or not isinstance(item.get("text"), str)
                or not item["text"].strip()
            ):
                errors.append(Problem(f"{where}.text", "required"))
                continue
            errors += validate_sources(item.get("sources", []), f"{where}.sources")
    return errors


def validate_sources(sources: Any, where: str) -> list[Problem]:
    if not isinstance(sources, list):
        return [Problem(where, "must be a list of source ids such as S5 or A1")]
    return [
        Problem(f"{where}[{i}]", f"{s!r} is not a source id (S1-S5, A1-A16)")
        for i, s in enumerate(sources)
        if not (isinstance(s, str) and SOURCE_ID.match(s))
    ]


def day_of_problems(items: Any, rule_codes: set[str]) -> list[Problem]:
    """Every problem of protocol.day_of_checklist, each by its path. An item names the rules whose findings
    ask for it (`findings`, codes of this set) or a predicate over the intake (`predicate`), not both."""
    where = "protocol.day_of_checklist"
    if not isinstance(items, list):
        return [Problem(where, "must be a list")]
    errors: list[Problem] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        at = f"{where}[{i}]"
        if not isinstance(item, dict):
            errors.append(Problem(at, "must be an object"))
            continue
        for key in sorted(set(item) - {"key", "text", "sources", "findings", "predicate"}):
            errors.append(Problem(f"{at}.{key}", "unknown field"))
        key = item.get("key")
        if not (isinstance(key, str) and ITEM_KEY.match(key)):
            errors.append(Problem(f"{at}.key", "required: lower-case letters, digits and _ (up to 40)"))
        elif key in seen:
            errors.append(Problem(f"{at}.key", f"{key!r} is used twice"))
        else:
            seen.add(key)
        if not (isinstance(item.get("text"), str) and item["text"].strip()):
            errors.append(Problem(f"{at}.text", "required"))
        errors += validate_sources(item.get("sources", []), f"{at}.sources")
        if "findings" in item and "predicate" in item:
            errors.append(Problem(f"{at}.predicate", "give findings or a predicate, not both"))
        findings = item.get("findings", [])
        if not (isinstance(findings, list) and findings and all(isinstance(c, str) for c in findings)):
            if "findings" in item:
                errors.append(Problem(f"{at}.findings", "must be a non-empty list of rule codes"))
        else:
            for j, code in enumerate(findings):
                if code not in rule_codes:
                    errors.append(Problem(f"{at}.findings[{j}]", f"{code!r} is not a rule of this set"))
        if "predicate" in item:
            errors += validate_predicate(item["predicate"], f"{at}.predicate")
    return errors


def day_of_items(items: list[dict[str, Any]]) -> tuple[DayOfItem, ...]:
    return tuple(
        DayOfItem(
            key=i["key"],
            text=i["text"],
            sources=tuple(i.get("sources", [])),
            findings=tuple(i.get("findings", [])),
            predicate=i.get("predicate"),
        )
        for i in items
    )
