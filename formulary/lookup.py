"""Medication name -> formulary entry. Matching ignores case, spacing, punctuation, salt and release words,
and knows brand names. Pure Python; the entries come from the database (or the fixture) as plain dicts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from screening.engine.facts import Drug

from .names import ERROR_PRONE, abbreviation_key, combination_key, label_keys, lookup_keys, parse


def name_key(label: str) -> str:
    """The key a formulary label is stored under ("Tylenol #3" -> "tylenol#3", "Seroquel XR" -> "seroquel")."""
    return label_keys(label)[0]


@dataclass(frozen=True)
class FormularyHit:
    drug: Drug
    matched: str  # the generic or brand that matched


class Formulary:
    """Typed names -> formulary entries. `abbreviations`: names that never resolve (A16, error-prone);
    the criteria's own list is always among them."""

    def __init__(self, entries: Iterable[Mapping[str, Any]], abbreviations: Iterable[str] = ()):
        self._by_key: dict[str, FormularyHit] = {}
        self._numbered: set[str] = set()
        self.conflicts: dict[str, set[str]] = {}  # a key two entries claim (a test keeps this empty)
        self.entries: list[Mapping[str, Any]] = []
        # the formulary version and its sha256, when built from the database (screenings record them)
        self.version: int | None = None
        self.sha256 = ""
        self.abbreviations = self.abbreviation_keys(abbreviations)
        for entry in entries:
            self.entries.append(entry)
            factor = entry.get("diazepam_10mg_equivalent_mg")
            maximum = entry.get("max_daily_mg")
            drug = Drug(
                generic=entry["generic"],
                atc=tuple(entry["atc"]),
                classes=tuple(entry.get("classes", ())),
                diazepam_10mg_equivalent_mg=float(factor) if factor is not None else None,
                max_daily_mg=float(maximum) if maximum is not None else None,
            )
            for label in (entry["generic"], *entry.get("brands", ()), *entry.get("aliases", ())):
                key, base = label_keys(label)
                if key != base:
                    self._numbered.add(base)
                self._add(key, FormularyHit(drug, label))
                parts = parse(label).components
                if len(parts) > 1:
                    self._add(combination_key(parts), FormularyHit(drug, label))
            if entry.get("components"):
                parts = [parse(c).words for c in entry["components"]]
                self._add(combination_key(parts), FormularyHit(drug, entry["generic"]))
        self._numbered_bases = frozenset(self._numbered)

    @staticmethod
    def abbreviation_keys(abbreviations: Iterable[str]) -> frozenset[str]:
        """The keys of the names that never resolve: the criteria's own and these."""
        return frozenset(abbreviation_key(a) for a in (*ERROR_PRONE, *abbreviations))

    def _add(self, key: str, hit: FormularyHit) -> None:
        if not key:
            return
        known = self._by_key.setdefault(key, hit)
        if known.drug.generic != hit.drug.generic:
            self.conflicts.setdefault(key, {known.drug.generic}).add(hit.drug.generic)

    @property
    def classes(self) -> frozenset[str]:
        """Every class some entry has: a rule naming another class could never match a medication."""
        return frozenset(c for entry in self.entries for c in entry.get("classes", ()))

    def is_ambiguous(self, name: str) -> bool:
        """An error-prone abbreviation (A16): it never resolves, whatever it might mean."""
        return bool(name) and abbreviation_key(name) in self.abbreviations

    def lookup(self, name: str) -> FormularyHit | None:
        if not name or not name.strip() or self.is_ambiguous(name):
            return None
        for key in lookup_keys(name, self._numbered_bases):
            hit = self._by_key.get(key)
            if hit is not None:
                return hit
        return None

    def resolve(self, name: str) -> Drug | None:
        hit = self.lookup(name)
        return hit.drug if hit else None

    def suggest(self, text: str, limit: int = 8) -> list[FormularyHit]:
        """Names starting with (then containing) the typed text, for autocomplete."""
        if self.is_ambiguous(text):
            return []
        key = "".join(parse(text).words)
        if not key:
            return []
        starts = [(k, h) for k, h in self._by_key.items() if k.startswith(key)]
        contains = [(k, h) for k, h in self._by_key.items() if key in k and not k.startswith(key)]
        ordered = sorted(starts, key=lambda kh: (len(kh[0]), kh[0])) + sorted(contains, key=lambda kh: kh[0])
        return [h for _, h in ordered[:limit]]
