"""What the export's builders share: the fullUrls of a screening's resources and small FHIR data types.

Every fullUrl is `urn:uuid:` + a uuid5 of the screening (its id and the time it was stored) and the
resource's place in the Bundle, so the same screening always exports the same Bundle and any builder can
reference any other resource by its key ("Patient", "MedicationStatement/0", ...).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from . import codes

Resource = dict[str, Any]


class Urls:
    """The fullUrl of each resource of one screening's Bundle, by key."""

    def __init__(self, *, screening_id: int, stored_at: datetime):
        self.seed = f"{codes.CANONICAL}/screening/{screening_id}/{instant(stored_at)}"

    def __call__(self, key: str) -> str:
        return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{self.seed}/{key}')}"

    def ref(self, key: str) -> dict[str, str]:
        return {"reference": self(key)}


def instant(moment: datetime) -> str:
    """An aware time as a FHIR instant: UTC, written with `Z`."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def date_time(text: str) -> str:
    """A time from the intake, as written there, but a zero UTC offset as `Z` (as fhir.resources writes it,
    so the Bundle reads back unchanged): the same instant."""
    for zero in ("+00:00", "-00:00"):
        if text.endswith(zero):
            return text[: -len(zero)] + "Z"
    return text


def coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    found = {"system": system, "code": code}
    if display:
        found["display"] = display
    return found


def concept(system: str, code: str, display: str | None = None, text: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"coding": [coding(system, code, display)]}
    if text:
        found["text"] = text
    return found


def quantity(value: int | float, unit: str, ucum: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": codes.UCUM, "code": ucum}


def words(code: str) -> str:
    """An answer or field name as words: "in_remission" -> "In remission"."""
    return code.replace("_", " ").capitalize()


def answer_coding(value: str) -> dict[str, str]:
    """A categorical intake answer as a coding in the product's answer CodeSystem."""
    return coding(codes.ANSWERS, value, words(value))
