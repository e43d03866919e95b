"""Medication name -> formulary entry. Matching ignores case, spacing, punctuation, salt and release words,
and knows brand names. Pure Python; the entries come from the database (or the fixture) as plain dicts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from screening.engine.facts import Drug

# Words that name a salt, a release form or a dosage form: "sertraline HCl", "lithium carbonate ER".
SALT_AND_FORM_WORDS = frozenset(
    [
        "hcl",
        "hydrochloride",
        "dihydrochloride",
        "hbr",
        "hydrobromide",
        "bromide",
        "chloride",
        "carbonate",
        "citrate",
        "sodium",
        "potassium",
        "calcium",
        "magnesium",
        "mesylate",
        "maleate",
        "succinate",
        "tartrate",
        "bitartrate",
        "besylate",
        "fumarate",
        "sulfate",
        "sulphate",
        "phosphate",
        "acetate",
        "dipotassium",
        "dimesylate",
        "oxalate",
        "lactate",
        "pamoate",
        "decanoate",
        "enanthate",
        "palmitate",
        "monohydrate",
        "dihydrate",
        "trihydrate",
        "anhydrous",
        "er",
        "xr",
        "sr",
        "cr",
        "xl",
        "la",
        "dr",
        "ir",
        "od",
        "odt",
        "ec",
        "cd",
        "xt",
        "extended",
        "immediate",
        "delayed",
        "sustained",
        "controlled",
        "modified",
        "release",
        "tablet",
        "tablets",
        "tab",
        "tabs",
        "capsule",
        "capsules",
        "cap",
        "caps",
        "oral",
        "solution",
        "suspension",
        "injection",
        "patch",
        "mg",
    ]
)

_NON_ALNUM = re.compile(r"[^a-z0-9/.]+")
# "20", "0.5", "20mg", "100mcg": a strength typed with the name
_DOSE = re.compile(r"[0-9.]+(?:mg|mcg|µg|g|ml|iu|u)?")


def name_key(name: str) -> str:
    """Canonical key of a typed name: lowercase words without salt/form words or digits, joined without spaces."""
    words = [w for w in _NON_ALNUM.split(name.lower()) if w]
    kept = [w for w in words if w not in SALT_AND_FORM_WORDS and not _DOSE.fullmatch(w)]
    return "".join(kept or words).replace(".", "")


@dataclass(frozen=True)
class FormularyHit:
    drug: Drug
    matched: str  # the generic or brand that matched


class Formulary:
    def __init__(self, entries: Iterable[Mapping[str, Any]]):
        self._by_key: dict[str, FormularyHit] = {}
        self.entries: list[Mapping[str, Any]] = []
        for entry in entries:
            self.entries.append(entry)
            factor = entry.get("diazepam_10mg_equivalent_mg")
            drug = Drug(
                generic=entry["generic"],
                atc=tuple(entry["atc"]),
                classes=tuple(entry.get("classes", ())),
                diazepam_10mg_equivalent_mg=float(factor) if factor is not None else None,
            )
            for label in (entry["generic"], *entry.get("brands", ()), *entry.get("aliases", ())):
                self._by_key.setdefault(name_key(label), FormularyHit(drug, label))

    def lookup(self, name: str) -> FormularyHit | None:
        if not name or not name.strip():
            return None
        return self._by_key.get(name_key(name))

    def resolve(self, name: str) -> Drug | None:
        hit = self.lookup(name)
        return hit.drug if hit else None

    def suggest(self, text: str, limit: int = 8) -> list[FormularyHit]:
        """Names starting with (then containing) the typed text, for autocomplete."""
        key = name_key(text)
        if not key:
            return []
        starts = [(k, h) for k, h in self._by_key.items() if k.startswith(key)]
        contains = [(k, h) for k, h in self._by_key.items() if key in k and not k.startswith(key)]
        ordered = sorted(starts, key=lambda kh: (len(kh[0]), kh[0])) + sorted(contains, key=lambda kh: kh[0])
        return [h for _, h in ordered[:limit]]
