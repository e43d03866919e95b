"""The fingerprint of an intake's screening data: a sha256 of its canonical JSON, leaving out the
assessment date. A screening stores it; the patient's record gives the same one while nothing that the
screening read has changed (criteria.md, "Overrides, sign-off and validity")."""

from __future__ import annotations

import hashlib
import json
from typing import Any

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


def intake_sha256(document: dict[str, Any]) -> str:
    content = {key: value for key, value in document.items() if key not in NOT_SCREENING_DATA}
    text = json.dumps(_canonical(content), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
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


def _counted(items: list[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        key = json.dumps(_canonical(item), sort_keys=True)
        counts[key] = counts.get(key, 0) + 1
    return counts


def _added_and_removed(old: list[Any], new: list[Any]) -> tuple[list[Any], list[Any]]:
    """Items of `new` not in `old` and of `old` not in `new`, counting repeats (a multiset difference)."""
    before, after = _counted(old), _counted(new)
    added = [json.loads(k) for k, n in after.items() for _ in range(n - before.get(k, 0))]
    removed = [json.loads(k) for k, n in before.items() for _ in range(n - after.get(k, 0))]
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
    added, removed = _added_and_removed(old.get("blood_pressure", []), new.get("blood_pressure", []))
    changes += [f"blood pressure added {_when(r.get('taken_at'))}" for r in added]
    changes += [f"blood pressure of {_when(r.get('taken_at'))} removed" for r in removed]
    for section, words in SECTION_WORDS.items():
        if _canonical(old.get(section)) != _canonical(new.get(section)):
            changes.append(f"{words} changed")
    return changes
