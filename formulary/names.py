"""A typed medication name -> the keys it may be looked up by (criteria.md, "Resolving a typed name").

Pure functions. A name is cut into words; salts, release forms, dosage forms, dosing words, strengths and
units are dropped; a number that names a product ("Tylenol #3", "Tylenol 3") is kept. The keys, tried in
order: the whole name with its product number; the components of a combination, however they are joined
("dextroamphetamine-amphetamine", "amphetamine/dextroamphetamine", "buprenorphine and naloxone"); the
whole name without a product number, only when no product number was typed (so "Tylenol 5" never falls
back to plain Tylenol). Resolution is right or refuses: a wrong match is worse than none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Words that name a salt, a release or dosage form, or how and when it is taken: never part of a name.
IGNORED_WORDS = frozenset(
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
        "ts",
        "extended",
        "immediate",
        "delayed",
        "sustained",
        "controlled",
        "modified",
        "release",
        "orally",
        "disintegrating",
        "tablet",
        "tablets",
        "tab",
        "tabs",
        "capsule",
        "capsules",
        "cap",
        "caps",
        "caplet",
        "caplets",
        "oral",
        "solution",
        "suspension",
        "liquid",
        "syrup",
        "injection",
        "injectable",
        "film",
        "films",
        "wafer",
        "wafers",
        "patch",
        "patches",
        "sl",
        "sublingual",
        "buccal",
        "chewable",
        "troche",
        "troches",
        "lozenge",
        "inhaler",
        "inhalers",
        "inhalation",
        "puff",
        "puffs",
        "cream",
        "ointment",
        "spray",
        "nasal",
        "drops",
        "softgel",
        "softgels",
        "gel",
        "prn",
        "as",
        "needed",
        "qhs",
        "hs",
        "qd",
        "daily",
        "bid",
        "tid",
        "qid",
        "q4h",
        "q6h",
        "q8h",
        "q12h",
        "nightly",
        "morning",
        "evening",
        "bedtime",
        "once",
        "twice",
        "times",
        "day",
        "per",
        "at",
        "po",
        "by",
        "mouth",
        "take",
        "takes",
        "taking",
        "mg",
        "mcg",
        "ug",
        "µg",
        "g",
        "gm",
        "ml",
        "iu",
        "units",
        "unit",
        "meq",
    ]
)
# Drug-name abbreviations on the ISMP list of error-prone abbreviations (A16) that criteria.md names: they
# never resolve, whatever they could mean (T3 is liothyronine or Tylenol with codeine #3). The formulary
# data may list more.
ERROR_PRONE = ("T3", "MS", "MSO4", "MgSO4", "HCT", "HCTZ", "AZT", "CPZ", "PTU", "DPT")
# Words that join the components of a combination.
JOINING_WORDS = frozenset({"and", "with", "plus", "w"})
# A strength: a number, a ratio or range of numbers ("5/325", "8-2"), with or without a unit after it.
_AMOUNT = r"\d+(?:\.\d+)?(?:\s*[/-]\s*\d+(?:\.\d+)?)*(?:\s*(?:mg|mcg|µg|ug|g|ml|%|iu|units?|meq)(?![a-z]))?"
_TOKEN = re.compile(r"#\s*\d+|" + _AMOUNT + r"|[a-zµ]+|[/+&-]")
_STRENGTH = re.compile(r"\d+(?:\.\d+)?(?:/\d+(?:\.\d+)?)*(?:mg|mcg|µg|ug|g|ml|%)?")


@dataclass(frozen=True)
class Parsed:
    words: tuple[str, ...]  # the words that name the drug, in order ("tylenol",)
    product_number: str  # "3" in "Tylenol #3" or "Tylenol 3"; "" when none was typed
    components: tuple[tuple[str, ...], ...]  # the parts of a combination (one part: not a combination)


def parse(name: str) -> Parsed:
    tokens = _TOKEN.findall(name.lower())
    words: list[str] = []
    number = ""
    parts: list[list[str]] = [[]]
    for token in tokens:
        if token.startswith("#"):
            number = token.lstrip("#").strip()
        elif token in ("/", "+", "&", "-") or token in JOINING_WORDS:
            if parts[-1]:
                parts.append([])
        elif token[0].isdigit():
            # a bare whole number right after a name may name a product ("Tylenol 3"); a decimal, a
            # ratio or a number with a unit is a strength
            if token.isdigit() and words and not number:
                number = token
        elif token not in IGNORED_WORDS:
            words.append(token)
            parts[-1].append(token)
    components = tuple(tuple(p) for p in parts if p)
    return Parsed(tuple(words), number, components)


def label_keys(label: str) -> tuple[str, str]:
    """The key a formulary label is stored under, and its key without a product number ("Tylenol #3":
    ("tylenol#3", "tylenol")): a base that has numbered products never stands for them."""
    parsed = parse(label)
    base = "".join(parsed.words)
    return (f"{base}#{parsed.product_number}" if parsed.product_number else base), base


def combination_key(components) -> str:
    """One key for a combination however its components are ordered: "amphetamine+dextroamphetamine"."""
    return "+".join(sorted("".join(part) for part in components))


def lookup_keys(name: str, numbered_bases: frozenset[str] = frozenset()) -> list[str]:
    """The keys to try for a typed name, in order (see the module docstring)."""
    parsed = parse(name)
    if not parsed.words:
        return []
    base = "".join(parsed.words)
    keys = []
    if parsed.product_number:
        keys.append(f"{base}#{parsed.product_number}")
    if len(parsed.components) > 1:
        keys.append(combination_key(parsed.components))
    # the bare name: typed without a product number, or typed with a number that may be a strength
    # ("Xanax 1") when no product of that name is numbered
    if not parsed.product_number or base not in numbered_bases:
        keys.append(base)
    return keys


def abbreviation_key(name: str) -> str:
    """The typed name as one key without strengths and dosing words, to compare with the error-prone
    abbreviations: "T3 25 mcg" -> "t3", "HCTZ 25mg daily" -> "hctz", "MS Contin" -> "mscontin"."""
    words = re.split(r"[^a-z0-9#./µ%]+", name.lower())
    kept = [w for w in words if w and w not in IGNORED_WORDS and not _STRENGTH.fullmatch(w)]
    return re.sub(r"[^a-z0-9]", "", "".join(kept))
