"""The fingerprint of an intake's screening data: a sha256 of its canonical JSON, leaving out the
assessment date. A screening stores it; the patient's record gives the same one while nothing that the
screening read has changed (criteria.md, "Overrides, sign-off and validity")."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from ..engine.measures import INSTRUMENTS

NOT_SCREENING_DATA = ("assessed_on", "format")


def _canonical(value: Any) -> Any:
    """70.0 and 70 are one weight: whole floats are written as integers, so a stored (validated) snapshot
    and a document built from the record hash alike."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    return value


def _instant(taken_at: Any) -> Any:
    """A reading's time as a UTC instant: the same reading written in another offset (another process time
    zone) is the same reading."""
    if not isinstance(taken_at, str):
        return taken_at
    try:
        moment = datetime.fromisoformat(taken_at)
    except ValueError:
        return taken_at
    return moment.astimezone(UTC).isoformat() if moment.tzinfo else taken_at


def _reading_key(reading: Any) -> Any:
    return (
        {**reading, "taken_at": _instant(reading.get("taken_at"))} if isinstance(reading, dict) else reading
    )


def _sorted(items: Any) -> Any:
    """A list whose order carries no meaning (diagnoses, medications, readings), in a fixed order."""
    if not isinstance(items, list):
        return items
    return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))


def screening_content(document: dict[str, Any]) -> dict[str, Any]:
    """What a screening read from an intake, in canonical form: no assessment date, whole floats as
    integers, readings as UTC instants, and the lists in a fixed order."""
    content = _canonical({key: value for key, value in document.items() if key not in NOT_SCREENING_DATA})
    if "blood_pressure" in content:
        content["blood_pressure"] = _sorted([_reading_key(r) for r in content["blood_pressure"] or []])
    if "diagnoses" in content:
        content["diagnoses"] = _sorted(content["diagnoses"])
    medications = content.get("medications")
    if isinstance(medications, dict) and "items" in medications:
        content["medications"] = {**medications, "items": _sorted(medications["items"])}
    if "measures" in content:
        content["measures"] = _sorted(content["measures"])
    return content


def intake_sha256(document: dict[str, Any]) -> str:
    text = json.dumps(screening_content(document), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


SECTION_WORDS = {
    "treatment_history": "treatment history",
    "psychiatric": "psychiatric answers",
    "cardiovascular": "cardiovascular answers",
    "other_medical": "other medical answers",
    "support": "support answers",
}


def _words(name: str) -> str:
    return name.replace("_", " ")


def _when(taken_at: Any) -> str:
    """ "2026-12-02T10:14:00-07:00" -> "2026-12-02 10:14" (the reading's own local time)."""
    text = str(taken_at)
    return text[:16].replace("T", " ") if len(text) >= 16 else text


def _by_key(items: list[Any], key) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for item in items or []:
        found.setdefault(json.dumps(_canonical(key(item)), sort_keys=True), []).append(item)
    return found


def _added_and_removed(old: list[Any], new: list[Any], key=lambda item: item) -> tuple[list[Any], list[Any]]:
    """Items of `new` not in `old` and of `old` not in `new`, counting repeats (a multiset difference);
    items are compared by `key` and returned as written."""
    before, after = _by_key(old, key), _by_key(new, key)
    added = [item for k, items in after.items() for item in items[len(before.get(k, [])) :]]
    removed = [item for k, items in before.items() for item in items[len(after.get(k, [])) :]]
    return added, removed


def describe_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What differs between a screening's intake snapshot and the record's intake today, in words
    ("blood pressure added 2026-12-02 10:14", "diagnosis F41.1 added", "weight changed")."""
    changes: list[str] = []
    old_patient, new_patient = old.get("patient", {}), new.get("patient", {})
    for name in sorted(set(old_patient) | set(new_patient)):
        if _canonical(old_patient.get(name)) != _canonical(new_patient.get(name)):
            changes.append(f"{_words(name.removesuffix('_kg').removesuffix('_cm'))} changed")
    added, removed = _added_and_removed(old.get("diagnoses", []), new.get("diagnoses", []))
    added_codes = {d.get("icd10") for d in added}
    removed_codes = {d.get("icd10") for d in removed}
    for code in sorted(added_codes & removed_codes, key=str):
        changes.append(f"diagnosis {code} changed")
    changes += [f"diagnosis {code} added" for code in sorted(added_codes - removed_codes, key=str)]
    changes += [f"diagnosis {code} removed" for code in sorted(removed_codes - added_codes, key=str)]
    old_meds, new_meds = old.get("medications", {}), new.get("medications", {})
    if old_meds.get("reconciled") != new_meds.get("reconciled"):
        changes.append(
            "medication list attested" if new_meds.get("reconciled") else "medication list no longer attested"
        )
    added, removed = _added_and_removed(old_meds.get("items", []), new_meds.get("items", []))
    added_names = {m.get("name") for m in added}
    removed_names = {m.get("name") for m in removed}
    for name in sorted(added_names & removed_names, key=str):
        changes.append(f"medication {name} changed")
    changes += [f"medication {name} added" for name in sorted(added_names - removed_names, key=str)]
    changes += [f"medication {name} removed" for name in sorted(removed_names - added_names, key=str)]
    added, removed = _added_and_removed(
        old.get("blood_pressure", []), new.get("blood_pressure", []), _reading_key
    )
    changes += [f"blood pressure added {_when(r.get('taken_at'))}" for r in added]
    changes += [f"blood pressure of {_when(r.get('taken_at'))} removed" for r in removed]
    for section, words in SECTION_WORDS.items():
        if _canonical(old.get(section)) != _canonical(new.get(section)):
            changes.append(f"{words} changed")
    added, removed = _added_and_removed(old.get("measures", []), new.get("measures", []))
    added_words = [_measure_words(m) for m in added]
    removed_words = [_measure_words(m) for m in removed]
    changes += [f"{words} changed" for words in added_words if words in removed_words]
    changes += [f"{words} added" for words in added_words if words not in removed_words]
    changes += [f"{words} removed" for words in removed_words if words not in added_words]
    return changes


def _measure_words(measure: Any) -> str:
    if not isinstance(measure, dict):
        return "a measure"
    instrument = INSTRUMENTS.get(measure.get("instrument"))
    return f"{instrument.name if instrument else 'a measure'} of {measure.get('administered_on')}"
