"""Reads of the formulary: the lookup, cached per process behind the formulary stamp."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from .lookup import Formulary
from .models import ErrorProneAbbreviation, FormularyEntry, FormularyStamp, FormularyVersion

_cached: tuple[str, Formulary] | None = None


def current_formulary() -> Formulary:
    """The formulary as a lookup: rebuilt (one query) only when the stamp changed since this process built
    it, so a screening or an autocomplete keystroke reads one small row instead of every entry."""
    return stamped_formulary()[1]


def stamped_formulary() -> tuple[str | None, Formulary]:
    """The current formulary lookup and the stamp it was built at (None: the formulary has no stamp yet,
    so nothing computed from it may be kept)."""
    global _cached
    stamp = FormularyStamp.objects.values_list("stamp", flat=True).first()
    if stamp and _cached is not None and _cached[0] == stamp:
        return _cached
    formulary = _lookup(
        [entry.as_entry() for entry in FormularyEntry.objects.all()],
        list(ErrorProneAbbreviation.objects.values_list("abbreviation", flat=True)),
        FormularyVersion.objects.order_by("-number").values_list("number", "sha256").first(),
    )
    if stamp:
        _cached = (stamp, formulary)
    return stamp, formulary


def formulary_read(
    stamp: str, entries: list[Mapping[str, Any]], abbreviations: list[str], version: tuple[int, str]
) -> None:
    """Cache the lookup of the content formulary_changed has just read (in the order a lookup reads it) at
    the stamp it wrote after reading it, so this process does not read the same rows again."""
    global _cached
    _cached = (stamp, _lookup(entries, abbreviations, version))


def _lookup(
    entries: list[Mapping[str, Any]], abbreviations: Iterable[str], version: tuple[int, str] | None
) -> Formulary:
    """A lookup of this content at this version. A lookup is a pure function of its entries and
    abbreviations: when they are the cached lookup's, its copy (sharing what it built) is used."""
    known = _cached[1] if _cached is not None else None
    same = known is not None and known.entries == entries
    if same and known.abbreviations == Formulary.abbreviation_keys(abbreviations):
        formulary = copy.copy(known)
    else:
        formulary = Formulary(entries, abbreviations)
    formulary.version, formulary.sha256 = version if version else (None, "")
    return formulary


def formulary_entry_for(name: str, formulary: Formulary | None = None) -> FormularyEntry | None:
    """The formulary row a typed medication name resolves to, or None."""
    hit = (formulary or current_formulary()).lookup(name)
    if hit is None:
        return None
    return FormularyEntry.objects.filter(generic=hit.drug.generic).first()
