"""Reads of the formulary: the lookup, cached per process behind the formulary stamp."""

from __future__ import annotations

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
    formulary = Formulary(
        (entry.as_entry() for entry in FormularyEntry.objects.all()),
        ErrorProneAbbreviation.objects.values_list("abbreviation", flat=True),
    )
    version = FormularyVersion.objects.order_by("-number").values_list("number", "sha256").first()
    formulary.version, formulary.sha256 = version if version else (None, "")
    if stamp:
        _cached = (stamp, formulary)
    return stamp, formulary


def formulary_entry_for(name: str, formulary: Formulary | None = None) -> FormularyEntry | None:
    """The formulary row a typed medication name resolves to, or None."""
    hit = (formulary or current_formulary()).lookup(name)
    if hit is None:
        return None
    return FormularyEntry.objects.filter(generic=hit.drug.generic).first()
