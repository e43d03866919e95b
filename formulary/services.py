"""Writes to the formulary: loading a formulary document (validated whole), and recording a new version
(with the sha256 of the content) and a new cache stamp whenever the content changes."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from django.db import transaction
from simple_history.utils import bulk_update_with_history

from .history import bulk_create_with_history
from .lookup import Formulary
from .models import ErrorProneAbbreviation, FormularyEntry, FormularyStamp, FormularyVersion
from .selectors import formulary_read

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
        atc = e.get("atc")
        if not (isinstance(atc, list) and all(isinstance(a, str) and a.strip() for a in atc)):
            errors.append(f"{where}.atc: a list of ATC codes is required")
        elif not atc and not e.get("classes"):
            # a product with no ATC code (kratom) is matched by its classes alone, so it needs one
            errors.append(f"{where}.atc: required (or, for a product with no ATC code, its classes)")
        for key in ("brands", "aliases", "classes"):
            if not isinstance(e.get(key, []), list):
                errors.append(f"{where}.{key}: must be a list")
        for key in ("diazepam_10mg_equivalent_mg", "max_daily_mg"):
            value = e.get(key)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float) or value <= 0
            ):
                errors.append(f"{where}.{key}: must be a positive number or null")
        if e.get("max_daily_mg") is not None and not str(e.get("max_daily_source", "")).strip():
            errors.append(f"{where}.max_daily_source: a maximum daily dose needs its source (A15: the label)")
        components = e.get("components", [])
        if not (isinstance(components, list) and all(isinstance(c, str) and c.strip() for c in components)):
            errors.append(f"{where}.components: must be a list of generic names")
        elif len(components) == 1:
            errors.append(f"{where}.components: a combination has two or more components")
        if e.get("dose_component") and e["dose_component"] not in components:
            errors.append(f"{where}.dose_component: must be one of the components")
    abbreviations = data.get("error_prone_abbreviations", [])
    if not isinstance(abbreviations, list):
        errors.append("error_prone_abbreviations: must be a list")
    else:
        for i, a in enumerate(abbreviations):
            if not (
                isinstance(a, dict) and isinstance(a.get("abbreviation"), str) and a["abbreviation"].strip()
            ):
                errors.append(f"error_prone_abbreviations[{i}].abbreviation: required")
    return errors


ENTRY_FIELDS = (
    "brands",
    "aliases",
    "atc",
    "classes",
    "diazepam_10mg_equivalent_mg",
    "components",
    "dose_component",
    "max_daily_mg",
    "max_daily_source",
)


def _values(e: dict[str, Any]) -> dict[str, Any]:
    return {
        "brands": e.get("brands", []),
        "aliases": e.get("aliases", []),
        "atc": e["atc"],
        "classes": e.get("classes", []),
        "diazepam_10mg_equivalent_mg": e.get("diazepam_10mg_equivalent_mg"),
        "components": e.get("components", []),
        "dose_component": e.get("dose_component", ""),
        "max_daily_mg": e.get("max_daily_mg"),
        "max_daily_source": e.get("max_daily_source", "") if e.get("max_daily_mg") is not None else "",
    }


@transaction.atomic
def formulary_load(*, data: dict[str, Any]) -> tuple[int, int]:
    """Insert or update every entry by generic name. Returns (created, updated)."""
    errors = validate_formulary_data(data)
    if errors:
        raise FormularyInvalid(errors)
    existing = {e.generic: e for e in FormularyEntry.objects.all()}
    _rename_superseded(existing, data["entries"])
    created, updated = [], []
    for e in data["entries"]:
        values = _values(e)
        row = existing.get(e["generic"])
        if row is None:
            created.append(FormularyEntry(generic=e["generic"], **values))
        elif FormularyEntry(generic=row.generic, **values).as_entry() != row.as_entry():
            for key, value in values.items():
                setattr(row, key, value)
            updated.append(row)
    # with history rows, so an entry's history starts at its load and the first edit shows before/after
    bulk_create_with_history(created, FormularyEntry)
    if updated:
        bulk_update_with_history(updated, FormularyEntry, list(ENTRY_FIELDS))
    _load_abbreviations(data.get("error_prone_abbreviations", []))
    formulary_changed()  # bulk writes send no signals
    return len(created), len(updated)


def _load_abbreviations(abbreviations: list[dict[str, Any]]) -> None:
    """Insert or update each abbreviation, as update_or_create one after the other would (a new one at its
    first mention, with the values of its last), in three queries at most."""
    wanted: dict[str, dict[str, Any]] = {}
    for a in abbreviations:
        wanted[a["abbreviation"].strip()] = {"means": a.get("means", []), "source": a.get("source", "A16")}
    stored = ErrorProneAbbreviation.objects.filter(abbreviation__in=list(wanted)).in_bulk(
        field_name="abbreviation"
    )
    changed = []
    for abbreviation, row in stored.items():
        values = wanted[abbreviation]
        if (row.means, row.source) != (values["means"], values["source"]):
            row.means, row.source = values["means"], values["source"]
            changed.append(row)
    ErrorProneAbbreviation.objects.bulk_create(
        [ErrorProneAbbreviation(abbreviation=k, **v) for k, v in wanted.items() if k not in stored]
    )
    if changed:
        ErrorProneAbbreviation.objects.bulk_update(changed, ["means", "source"])


def _rename_superseded(existing: dict[str, FormularyEntry], entries: list[dict[str, Any]]) -> None:
    """A stored entry whose generic the document now lists as another name of a new entry was renamed
    (codeine/acetaminophen became acetaminophen/codeine): the row takes the new generic, so its history and
    the medications linked to it follow, and no name is left leading to two entries."""
    for e in entries:
        if e["generic"] in existing:
            continue
        for old in (*e.get("aliases", []), *e.get("brands", [])):
            row = existing.get(old)
            if row is not None:
                row.generic = e["generic"]
                row.save(update_fields=["generic"])
                existing[e["generic"]] = existing.pop(old)
                break


def formulary_document() -> dict[str, Any]:
    """The whole formulary as a `ketamine-formulary/1` document (`manage.py formulary export`)."""
    return {
        "format": FORMULARY_FORMAT,
        "entries": [entry.as_entry() for entry in FormularyEntry.objects.order_by("generic")],
        "error_prone_abbreviations": [
            {"abbreviation": a.abbreviation, "means": a.means, "source": a.source}
            for a in ErrorProneAbbreviation.objects.order_by("abbreviation")
        ],
    }


def formulary_sha256(document: dict[str, Any]) -> str:
    """The hash of a formulary's content: its entries and abbreviations, in a canonical order."""
    content = {
        "entries": sorted(document["entries"], key=lambda e: e["generic"]),
        "error_prone_abbreviations": sorted(
            document.get("error_prone_abbreviations", []), key=lambda a: a["abbreviation"]
        ),
    }
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def formulary_changed() -> FormularyVersion:
    """Record a new version when the content changed (same content: the current version stays), and renew
    the stamp so every process rebuilds its cached lookup on its next use."""
    document = formulary_document()
    sha256 = formulary_sha256(document)
    latest = FormularyVersion.objects.select_for_update().order_by("-number").first()
    if latest is None or latest.sha256 != sha256:
        latest = FormularyVersion.objects.create(
            number=(latest.number + 1) if latest else 1, sha256=sha256, entries=len(document["entries"])
        )
    stamp = uuid.uuid4().hex
    if not FormularyStamp.objects.update(stamp=stamp):
        FormularyStamp.objects.create(stamp=stamp)
    # the content just read is the formulary at this stamp: this process's next lookup need not read it again
    abbreviations = [a["abbreviation"] for a in document["error_prone_abbreviations"]]
    formulary_read(stamp, document["entries"], abbreviations, (latest.number, latest.sha256))
    return latest


@transaction.atomic
def formulary_entry_save(
    *, entry: FormularyEntry | None, values: dict[str, Any], user=None
) -> FormularyEntry:
    """Add or change one entry, checked as an import checks it, and refused when one of its names already
    leads to another entry. Raises FormularyInvalid (each problem as "entries[0] (generic).field: why")."""
    document = {
        "format": FORMULARY_FORMAT,
        "entries": [
            {
                **{k: v for k, v in values.items() if v not in (None, "", [])},
                "generic": (values.get("generic") or "").strip(),
                "atc": values.get("atc") or [],
            }
        ],
    }
    for key in ("diazepam_10mg_equivalent_mg", "max_daily_mg"):
        if values.get(key) is not None:
            document["entries"][0][key] = float(values[key])
    errors = validate_formulary_data(document)
    candidate = document["entries"][0]
    others = [e.as_entry() for e in FormularyEntry.objects.exclude(pk=entry.pk if entry else None)]
    if not errors:
        clashes = Formulary([*others, candidate]).conflicts
        errors += [
            f"entries[0] ({candidate['generic']}).brands: the name {key!r} already leads to "
            + ", ".join(sorted(g for g in generics if g != candidate["generic"]))
            for key, generics in sorted(clashes.items())
            if candidate["generic"] in generics
        ]
    if errors:
        raise FormularyInvalid(errors)
    row = entry or FormularyEntry()
    row.generic = candidate["generic"]
    for key, value in _values(candidate).items():
        setattr(row, key, value)
    if user is not None:
        row._history_user = user
    row.save()  # the post_save signal records the new version
    return row
