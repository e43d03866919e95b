"""How old the EHR's data is (docs/cds-hooks.md, "What is assumed"). The screening is dated today, so data
from long ago would be read as current: an intake questionnaire authored the rule set's `validity_days` or
more days before today (the age at which the app's own screening stops being current), or without a date,
is not used (its answers become unknown, so the verdict cannot be better than "needs information"), and
the summary card says when each part of what was read was recorded.

Observations too old to count (pregnancy status, weight, height) are left out by the FHIR mapping itself
(interop.fhir.read_observations) and listed as not read.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from interop.fhir.read_answers import is_intake
from interop.fhir.read_values import day_of, effective

from .cards import code, md
from .prefetch import Prefetched

MEASURES = (
    ("patient.weight_kg", "weight"),
    ("patient.height_cm", "height"),
    ("patient.pregnancy", "pregnancy status"),
)


def drop_stale_questionnaires(got: Prefetched, today: date, validity_days: int) -> list[str]:
    """Take out of `got` every intake QuestionnaireResponse that is too old or undated; a line for each,
    saying why (for the summary card)."""
    said = []
    for i in reversed(range(len(got.resources))):
        resource, path = got.resources[i], got.paths[i]
        if resource.get("resourceType") != "QuestionnaireResponse" or not is_intake(resource):
            continue
        authored = _day(resource.get("authored"))
        if authored is None:
            why = "has no full authored date, so how old its answers are cannot be told"
        elif (today - authored).days >= validity_days:
            why = (
                f"was authored {authored.isoformat()}, {(today - authored).days} days ago; the rule set "
                f"counts a screening current for {validity_days} days"
            )
        else:
            continue
        del got.resources[i], got.paths[i]
        said.insert(
            0,
            f"The intake questionnaire sent ({code(path)}) {why}: its answers are not used, so every answer "
            "it carries is unknown (fail closed).",
        )
    return said


def data_dates(got: Prefetched, intake: dict[str, Any], origins: dict[str, str]) -> list[str]:
    """When each part of the screened data was recorded, as Markdown lines: the intake questionnaire, the
    latest blood pressure, the body measures."""
    questionnaires = [
        r for r in got.resources if r.get("resourceType") == "QuestionnaireResponse" and is_intake(r)
    ]
    lines = [
        "intake questionnaire: "
        + (f"authored {md(_shown_day(questionnaires[0].get('authored')))}" if questionnaires else "none used")
    ]
    latest = _latest(intake.get("blood_pressure") or [])
    lines.append("latest blood pressure: " + (md(_shown_day(latest)) if latest else "none"))
    for field, label in MEASURES:
        origin = origins.get(field)
        resource = (
            _resource_at(got, origin)
            if origin and field.removeprefix("patient.") in intake.get("patient", {})
            else None
        )
        lines.append(
            f"{label}: " + (md(_shown_day(effective(resource)[1])) if resource is not None else "none")
        )
    return lines


def _day(value: Any) -> date | None:
    day = day_of(value)
    try:
        return date.fromisoformat(day) if day else None
    except ValueError:
        return None


def _shown_day(value: Any) -> str:
    return day_of(value) or "date not given"


def _latest(readings: list[dict[str, Any]]) -> str | None:
    """The `taken_at` of the latest reading (compared as instants: each carries its UTC offset)."""
    dated = []
    for reading in readings:
        taken = reading.get("taken_at") if isinstance(reading, dict) else None
        try:
            dated.append((datetime.fromisoformat(taken.replace("Z", "+00:00")), taken))
        except (AttributeError, TypeError, ValueError):
            continue
    try:
        return max(dated)[1] if dated else None
    except TypeError:  # an offset-naive time among aware ones: the intake validation refuses it first
        return None


def _resource_at(got: Prefetched, value_path: str) -> dict[str, Any] | None:
    """The prefetched resource a mapped value came from (its path is the resource's path and more)."""
    found = [
        (len(path), resource)
        for resource, path in zip(got.resources, got.paths, strict=True)
        if value_path == path or value_path.startswith(path + ".")
    ]
    return max(found, key=lambda item: item[0])[1] if found else None
