"""What the FHIR readers share: the Reading that collects the intake, what was not mapped and where each
intake value came from, and small, defensive readers of FHIR data types (a coding, a quantity, a
date-time's span). Every reader takes whatever it is given and answers None for anything unexpected:
shapes are validated before mapping (read_guard), but the readers never rely on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from . import codes

# FHIR date / dateTime: a year, a year and month, a date, or a date and time with its UTC offset
PARTIAL_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
WIDEST_OFFSET = timedelta(hours=14)  # a date without a time lies somewhere between UTC+14 and UTC-12


@dataclass
class Reading:
    """The intake being built from the resources, with what could not be mapped (by FHIR path), where each
    intake value came from (intake path -> FHIR path), and what refuses the whole input."""

    intake: dict[str, Any]
    unmapped: list[dict[str, str]] = field(default_factory=list)
    origins: dict[str, str] = field(default_factory=dict)
    problems: list[dict[str, str]] = field(default_factory=list)
    current_unmapped: list[str] = field(default_factory=list)  # medications taken now that were not mapped

    def skip(self, path: str, message: str) -> None:
        self.unmapped.append({"path": path, "message": message})

    def skip_current_medication(self, path: str, message: str) -> None:
        """A medication the patient takes (or is about to) that could not be mapped: listed, and the list
        read cannot be a reconciled one."""
        self.skip(path, message)
        self.current_unmapped.append(path)

    def refuse(self, path: str, message: str) -> None:
        self.problems.append({"path": path, "message": message})

    def origin(self, intake_path: str, fhir_path: str) -> None:
        self.origins[intake_path] = fhir_path


def obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def number(value: Any) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def codings(concept: Any, system: str) -> list[tuple[int, str]]:
    """The codes of `system` in a CodeableConcept, each with its index in `coding`."""
    found = []
    for i, coding in enumerate(items(obj(concept).get("coding"))):
        coding = obj(coding)
        code = text(coding.get("code"))
        if coding.get("system") == system and code is not None:
            found.append((i, code))
    return found


def single_code(concept: Any, system: str) -> tuple[int, str] | None:
    """The one code of `system` in a CodeableConcept (the same code written twice counts once); None when
    there is none or the codings disagree: nothing is chosen between two codes."""
    found = codings(concept, system)
    if not found or len({code for _, code in found}) > 1:
        return None
    return found[0]


def has_code(concept: Any, system: str, code: str) -> bool:
    return any(found == code for _, found in codings(concept, system))


def described(concept: Any) -> str:
    """A CodeableConcept as a message names it: its codes ("LOINC 1234-5"), else its text."""
    shown = []
    for coding in items(obj(concept).get("coding"))[:3]:
        coding = obj(coding)
        system, code = text(coding.get("system")) or "no system", text(coding.get("code")) or "no code"
        shown.append(f"{SYSTEM_NAMES.get(system, system)} {code}")
    return ", ".join(shown) or (text(obj(concept).get("text")) or "no code")[:60]


SYSTEM_NAMES = {
    codes.LOINC: "LOINC",
    codes.SNOMED: "SNOMED CT",
    codes.ICD10CM: "ICD-10-CM",
    codes.ATC: "ATC",
    "http://www.nlm.nih.gov/research/umls/rxnorm": "RxNorm",
    "http://hl7.org/fhir/sid/icd-10": "ICD-10",
}


def ucum_value(quantity: Any, unit: str) -> int | float | None:
    """The value of a Quantity in the UCUM `unit` exactly (no conversion, no comparator), else None."""
    quantity = obj(quantity)
    if quantity.get("system") != codes.UCUM or quantity.get("code") != unit or "comparator" in quantity:
        return None
    return number(quantity.get("value"))


def quantity_shown(quantity: Any) -> str:
    quantity = obj(quantity)
    unit = text(quantity.get("code")) or text(quantity.get("unit")) or "no unit"
    return f"{quantity.get('value')!r} {unit}"[:60]


def day_of(value: Any) -> str | None:
    """The calendar date a FHIR date or dateTime names in its own offset ("2026-11-20T08:40:00-07:00" ->
    "2026-11-20"), or None for a partial date (a year, a month) or anything else."""
    if isinstance(value, str) and ISO_DAY.match(value) and (len(value) == 10 or value[10:11] == "T"):
        return value[:10]
    return None


def span(value: Any) -> tuple[datetime, datetime] | None:
    """The earliest and latest instant (UTC) a FHIR date, partial date or dateTime can mean, or None."""
    if not isinstance(value, str):
        return None
    try:
        if "T" in value:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                return None
            moment = moment.astimezone(UTC)
            return moment, moment
        match = PARTIAL_DATE.fullmatch(value)
        if not match:
            return None
        year, month, day = int(match[1]), int(match[2] or 0), int(match[3] or 0)
        first = date(year, month or 1, day or 1)
        if day:
            after = first + timedelta(days=1)
        elif month:
            after = date(year + month // 12, month % 12 + 1, 1)
        else:
            after = date(year + 1, 1, 1)
        start = datetime(first.year, first.month, first.day, tzinfo=UTC) - WIDEST_OFFSET
        end = datetime(after.year, after.month, after.day, tzinfo=UTC) + WIDEST_OFFSET
        return start, end
    except (ValueError, OverflowError):
        return None


@dataclass(frozen=True)
class Candidate:
    """One resource's value for a single-valued intake field (the weight, the pregnancy status)."""

    path: str  # the resource
    value_path: str  # where the value is
    value: Any
    when: Any  # its effective date-time, as written


def latest(candidates: list[Candidate]) -> Candidate | None:
    """The candidate that is certainly the latest, or None when that cannot be told: one without a time,
    or two whose times may overlap with different values. Nothing is chosen by guess."""
    if len(candidates) == 1:
        return candidates[0]
    spans = [span(candidate.when) for candidate in candidates]
    if any(s is None for s in spans):
        return None
    best = max(range(len(candidates)), key=lambda i: spans[i][1])
    for i, candidate in enumerate(candidates):
        if i == best or candidate.value == candidates[best].value and spans[i] == spans[best]:
            continue
        if spans[i][1] >= spans[best][0]:
            return None
    return candidates[best]


def effective(resource: dict[str, Any]) -> tuple[str, Any]:
    """The name and value of an Observation's effective[x] (dateTime or instant), else ("", None)."""
    for name in ("effectiveDateTime", "effectiveInstant"):
        if name in resource:
            return name, resource[name]
    return "", None
