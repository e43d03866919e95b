"""Observations onto the intake (docs/fhir.md): blood-pressure panels become readings; body weight, body
height and pregnancy status take the latest Observation of their code that is recent enough to describe
the patient on `assessed_on`. Only the units the mapping names are read (kg, cm, mm[Hg], /min, UCUM), never
converted; anything else is listed as not mapped.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from . import codes
from .read_values import (
    Candidate,
    Reading,
    codings,
    day_of,
    described,
    effective,
    has_code,
    items,
    latest,
    obj,
    quantity_shown,
    single_code,
    ucum_value,
)

MEASURED = ("final", "amended", "corrected")
SINGLE = {  # LOINC code -> (intake field, what a message calls it, UCUM unit or None for a coded value)
    codes.BODY_WEIGHT: ("weight_kg", "body weight", "kg"),
    codes.BODY_HEIGHT: ("height_cm", "body height", "cm"),
    codes.PREGNANCY_STATUS: ("pregnancy", "pregnancy status", None),
}
PREGNANCY_LOINC = {"LA15173-0": "pregnant", "LA26683-5": "not_pregnant", "LA4489-6": "unknown"}
# How old (in calendar days before assessed_on, each date read in its own offset) an Observation may be and
# still describe the patient on the day the intake describes: a pregnancy status changes within weeks, a
# weight within a month, an adult's height not at all. Never dated after assessed_on, always dated to the
# day: an undated or older value is listed and the field stays unknown, never taken as today's.
PREGNANCY_MAX_DAYS = 7
WEIGHT_MAX_DAYS = 30
HEIGHT_MAX_DAYS = None  # any date
MAX_DAYS = {
    codes.PREGNANCY_STATUS: PREGNANCY_MAX_DAYS,
    codes.BODY_WEIGHT: WEIGHT_MAX_DAYS,
    codes.BODY_HEIGHT: HEIGHT_MAX_DAYS,
}
COMPONENTS = {  # LOINC code -> (reading field, UCUM unit)
    codes.SYSTOLIC: ("systolic", "mm[Hg]"),
    codes.DIASTOLIC: ("diastolic", "mm[Hg]"),
    codes.HEART_RATE: ("heart_rate", "/min"),
}


def read_observations(
    reading: Reading, observations: list[tuple[dict[str, Any], str]], assessed_on: date | None
) -> None:
    """`assessed_on`: the day the intake describes (None when it is not a date: then no weight, height or
    pregnancy status is read, the input being refused by the intake validation anyway)."""
    found: dict[str, list[Candidate]] = {code: [] for code in SINGLE}
    for resource, path in observations:
        concept = resource.get("code")
        kind = next(
            (code for code in (codes.BP_PANEL, *SINGLE) if has_code(concept, codes.LOINC, code)), None
        )
        if kind is None:
            reading.skip(path, f"Observation: {described(concept)}: not mapped")
            continue
        if resource.get("status") not in MEASURED:
            reading.skip(path, f"Observation: status {resource.get('status')!r}: not mapped")
            continue
        if kind == codes.BP_PANEL:
            _reading(reading, resource, path)
            continue
        candidate = _single(reading, resource, path, kind)
        if candidate is not None and _recent(reading, candidate, kind, assessed_on):
            found[kind].append(candidate)
    for code, candidates in found.items():
        _take_latest(reading, code, candidates)


def _single(reading: Reading, resource: dict[str, Any], path: str, code: str) -> Candidate | None:
    name, label, unit = SINGLE[code]
    when = effective(resource)[1]
    if unit is not None:
        value = ucum_value(resource.get("valueQuantity"), unit)
        if value is None:
            shown = quantity_shown(resource["valueQuantity"]) if "valueQuantity" in resource else "no value"
            reading.skip(path, f"Observation ({label}): {shown} is not a value in {unit} (UCUM); not mapped")
            return None
        return Candidate(path, f"{path}.valueQuantity", value, when)
    concept = resource.get("valueCodeableConcept")
    own = single_code(concept, codes.ANSWERS)
    if own is not None:
        return Candidate(path, f"{path}.valueCodeableConcept.coding[{own[0]}].code", own[1], when)
    loinc = [(i, PREGNANCY_LOINC[c]) for i, c in codings(concept, codes.LOINC) if c in PREGNANCY_LOINC]
    if len({value for _, value in loinc}) == 1:
        return Candidate(path, f"{path}.valueCodeableConcept.coding[{loinc[0][0]}].code", loinc[0][1], when)
    reading.skip(path, f"Observation ({label}): {described(concept)} is not a known answer; not mapped")
    return None


def _recent(reading: Reading, candidate: Candidate, code: str, assessed_on: date | None) -> bool:
    """Whether the value is dated to the day, not after assessed_on and within MAX_DAYS before it (listed
    with the reason when not)."""
    _, label, _ = SINGLE[code]
    day = _day(candidate.when)
    if day is None:
        reason = "no date (effectiveDateTime or effectiveInstant, to the day)"
    elif assessed_on is None:
        reason = f"dated {day}, but assessed_on is not a date: how recent cannot be told"
    elif day > assessed_on:
        reason = f"dated {day}, after assessed_on {assessed_on.isoformat()}"
    elif MAX_DAYS[code] is not None and (assessed_on - day).days > MAX_DAYS[code]:
        reason = f"dated {day}, more than {MAX_DAYS[code]} days before assessed_on {assessed_on.isoformat()}"
    else:
        return True
    reading.skip(candidate.path, f"Observation ({label}): {reason}; not read")
    return False


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(day_of(value) or "")
    except ValueError:
        return None


def _take_latest(reading: Reading, code: str, candidates: list[Candidate]) -> None:
    """The latest of the candidates (each dated, see _recent); when two may be the latest with different
    values, none is read."""
    if not candidates:
        return
    name, label, _ = SINGLE[code]
    chosen = latest(candidates)
    if chosen is None:
        for candidate in candidates:
            reading.skip(
                candidate.path,
                f"Observation ({label}): which is the latest cannot be told (two of them are dated alike or "
                f"overlap, with different values); {label} not known",
            )
        return
    reading.intake["patient"][name] = chosen.value
    reading.origin(f"patient.{name}", chosen.value_path)
    for candidate in candidates:
        if candidate is not chosen:
            reading.skip(candidate.path, f"Observation ({label}): an earlier one; the latest is read")


def _reading(reading: Reading, resource: dict[str, Any], path: str) -> None:
    """A blood-pressure panel: both pressures in mm[Hg] (else the reading is not mapped), the heart rate in
    /min when present, the time with its UTC offset."""
    name, when = effective(resource)
    if not isinstance(when, str) or "T" not in when:
        reading.skip(path, "Observation (blood pressure): no date and time (effectiveDateTime); not mapped")
        return
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for i, component in enumerate(items(resource.get("component"))):
        component, where = obj(component), f"{path}.component[{i}]"
        known = next((c for c in COMPONENTS if has_code(component.get("code"), codes.LOINC, c)), None)
        if known is None:
            reading.skip(where, f"Observation.component: {described(component.get('code'))}: not mapped")
            continue
        field, unit = COMPONENTS[known]
        value = ucum_value(component.get("valueQuantity"), unit)
        if value is None or field in values:
            shown = "a second value" if field in values else quantity_shown(component.get("valueQuantity"))
            reading.skip(
                where, f"Observation.component ({field}): {shown}: not a value in {unit}; not mapped"
            )
            if field in values:
                values[field] = None  # two values: neither is read
            continue
        values[field] = value
        origins[field] = f"{where}.valueQuantity"
    if values.get("systolic") is None or values.get("diastolic") is None:
        reading.skip(path, "Observation (blood pressure): not both pressures in mm[Hg]; reading not mapped")
        return
    readings = reading.intake["blood_pressure"]
    at = f"blood_pressure[{len(readings)}]"
    readings.append(
        {"taken_at": when, **{field: value for field, value in values.items() if value is not None}}
    )
    reading.origin(at, path)
    reading.origin(f"{at}.taken_at", f"{path}.{name}")
    for field, where in origins.items():
        if values[field] is not None:
            reading.origin(f"{at}.{field}", where)
