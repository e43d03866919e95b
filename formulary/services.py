"""Writes to the formulary: loading its fixture (validated whole) and renewing its stamp."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction

from .models import FormularyEntry, FormularyStamp

FORMULARY_FORMAT = "ketamine-formulary/1"


class FormularyInvalid(ValueError):
    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def validate_formulary_data(data: Any) -> list[str]:
    if not isinstance(data, dict) or data.get("format") != FORMULARY_FORMAT:
        return [f"format: must be {FORMULARY_FORMAT}"]
    entries = data.get("entries")
    if not isinstance(entries, list) or not entries:
        return ["entries: must be a non-empty list"]
    errors, seen = [], set()
    for i, e in enumerate(entries):
        where = f"entries[{i}]"
        if not isinstance(e, dict) or not isinstance(e.get("generic"), str) or not e["generic"].strip():
            errors.append(f"{where}.generic: required")
            continue
        where = f"entries[{i}] ({e['generic']})"
        if e["generic"] in seen:
            errors.append(f"{where}.generic: duplicate")
        seen.add(e["generic"])
        if not (isinstance(e.get("atc"), list) and e["atc"] and all(isinstance(a, str) for a in e["atc"])):
            errors.append(f"{where}.atc: a non-empty list of ATC codes is required")
        for key in ("brands", "aliases", "classes"):
            if not isinstance(e.get(key, []), list):
                errors.append(f"{where}.{key}: must be a list")
        factor = e.get("diazepam_10mg_equivalent_mg")
        if factor is not None and (
            isinstance(factor, bool) or not isinstance(factor, int | float) or factor <= 0
        ):
            errors.append(f"{where}.diazepam_10mg_equivalent_mg: must be a positive number or null")
    return errors


@transaction.atomic
def formulary_load(*, data: dict[str, Any]) -> tuple[int, int]:
    """Insert or update every entry by generic name. Returns (created, updated)."""
    errors = validate_formulary_data(data)
    if errors:
        raise FormularyInvalid(errors)
    existing = {e.generic: e for e in FormularyEntry.objects.all()}
    created, updated = [], []
    for e in data["entries"]:
        values = {
            "brands": e.get("brands", []),
            "aliases": e.get("aliases", []),
            "atc": e["atc"],
            "classes": e.get("classes", []),
            "diazepam_10mg_equivalent_mg": e.get("diazepam_10mg_equivalent_mg"),
        }
        row = existing.get(e["generic"])
        if row is None:
            created.append(FormularyEntry(generic=e["generic"], **values))
        else:
            for key, value in values.items():
                setattr(row, key, value)
            updated.append(row)
    FormularyEntry.objects.bulk_create(created)
    FormularyEntry.objects.bulk_update(
        updated, ["brands", "aliases", "atc", "classes", "diazepam_10mg_equivalent_mg"]
    )
    formulary_changed()  # bulk writes send no signals
    return len(created), len(updated)


def formulary_changed() -> None:
    """Renew the stamp: every process rebuilds its cached lookup on its next use."""
    stamp = uuid.uuid4().hex
    if not FormularyStamp.objects.update(stamp=stamp):
        FormularyStamp.objects.create(stamp=stamp)
