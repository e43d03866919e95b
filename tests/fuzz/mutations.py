"""A seeded generator of hostile `ketamine-intake/1` documents and form posts: the examples with keys
deleted, values of the wrong type, huge or unstorable text, deep nesting, numbers JSON cannot carry,
repeated keys, bytes that are not UTF-8 and dates at the calendar's ends. Deterministic for a seed."""

from __future__ import annotations

import json
import random
import re
from typing import Any

from tests.conftest import EXAMPLES

EXAMPLE_NAMES = ("eligible", "deferred-bp-and-benzodiazepine", "needs-information", "contraindicated-avm")
WRONG_TYPES: tuple[Any, ...] = (None, True, False, 0, -1, 1.5, "", "x", "yes", [], {}, [1], {"a": 1}, 1e308)
DAYS = (
    "0001-01-01",
    "9999-12-31",
    "1899-12-31",
    "1900-01-01",
    "2100-12-31",
    "2101-01-01",
    "2026-02-30",
    "2026-11-21",
    "20261120",
    "2026-11-20T00:00:00Z",
    "",
)
MOMENTS = (
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "1900-01-01T00:00:00+14:00",
    "2100-12-31T23:59:59-12:00",
    "2026-11-20T23:59:59-12:00",
    "2026-11-21T00:00:00+14:00",
    "2026-11-20T09:10:00",
    "2026-11-20",
    "2026-11-20T25:00:00Z",
    "2026-11-20T09:10:00+24:00",
)
DATE_KEYS = ("assessed_on", "date_of_birth")
NUMBER = re.compile(rb"(?<=: )-?[0-9]+(?:\.[0-9]+)?(?=[,}\]])")
BAD_BYTES = (b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80", b"\x00")


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


def _paths(value: Any, path: tuple = ()) -> list[tuple]:
    """Every path (keys and list indexes) to a value inside `value`."""
    found = [path] if path else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*path, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found += _paths(child, (*path, i))
    return found


def _parent(doc: Any, path: tuple) -> Any:
    for key in path[:-1]:
        doc = doc[key]
    return doc


def _set(doc: dict, path: tuple, value: Any) -> None:
    _parent(doc, path)[path[-1]] = value


def _string_paths(doc: dict) -> list[tuple]:
    return [p for p in _paths(doc) if isinstance(_get(doc, p), str)] or [("format",)]


def _get(doc: Any, path: tuple) -> Any:
    for key in path:
        doc = doc[key]
    return doc


# ------------------------------------------------------------------------------- on the parsed document


def delete_key(rng: random.Random, doc: dict) -> None:
    paths = [p for p in _paths(doc) if isinstance(p[-1], str)]
    if paths:
        path = rng.choice(paths)
        del _parent(doc, path)[path[-1]]


def wrong_type(rng: random.Random, doc: dict) -> None:
    paths = _paths(doc)
    if paths:
        _set(doc, rng.choice(paths), rng.choice(WRONG_TYPES))


def huge_string(rng: random.Random, doc: dict) -> None:
    _set(
        doc,
        rng.choice(_string_paths(doc)),
        rng.choice("AÉ字😀 ") * rng.choice((101, 201, 501, 5000, 200_000)),
    )


def unstorable_text(rng: random.Random, doc: dict) -> None:
    path = rng.choice(_string_paths(doc))
    text = _get(doc, path)
    at = rng.randint(0, len(text))
    _set(doc, path, text[:at] + rng.choice(("\x00", "\ud800", "\udfff", "\ud83d")) + text[at:])


def unknown_key(rng: random.Random, doc: dict) -> None:
    objects = [()] + [p for p in _paths(doc) if isinstance(_get(doc, p), dict)]
    target = _get(doc, rng.choice(objects))
    target[rng.choice(("", "x", "\x00", "\ud800", "a.b", "[0]", "k" * 300, "mania"))] = rng.choice(
        WRONG_TYPES
    )


def edge_date(rng: random.Random, doc: dict) -> None:
    if rng.random() < 0.5:
        key = rng.choice(DATE_KEYS)
        (doc if key == "assessed_on" else doc.setdefault("patient", {}))[key] = rng.choice(DAYS)
    elif isinstance(doc.get("blood_pressure"), list) and doc["blood_pressure"]:
        reading = rng.choice(doc["blood_pressure"])
        if isinstance(reading, dict):
            reading["taken_at"] = rng.choice(MOMENTS)
    else:
        doc["blood_pressure"] = [{"taken_at": rng.choice(MOMENTS), "systolic": 120, "diastolic": 80}]


def deep_nesting(rng: random.Random, doc: dict) -> None:
    depth = rng.choice((5, 19, 21, 40, 1_100, 100_000))
    value: Any = 1
    for _ in range(min(depth, 60)):  # the deepest are made in the raw text (json.dumps recurses)
        value = [value] if rng.random() < 0.5 else {"a": value}
    paths = _paths(doc)
    _set(doc, rng.choice(paths) if paths else ("patient",), value if depth <= 60 else "__DEEP__")
    doc["__depth__"] = depth


def new_patient(rng: random.Random, doc: dict) -> None:
    """A fresh MRN now and then, so accepted documents create records as well as update them."""
    if isinstance(doc.get("patient"), dict):
        doc["patient"]["mrn"] = f"FZ-{rng.randint(0, 10**6)}"


def storable_edge(rng: random.Random, doc: dict) -> None:
    """A change the format allows: text at its limit, a date or time at the range's ends, a missing answer."""
    patient = doc.get("patient")
    choice = rng.randint(0, 3)
    if choice == 0 and isinstance(patient, dict):
        patient[rng.choice(("given_name", "family_name"))] = rng.choice("AÉ字😀") * 100
    elif choice == 1 and isinstance(patient, dict):
        patient["date_of_birth"] = rng.choice(("1906-11-21", "1984-03-02", doc.get("assessed_on")))
    elif choice == 2 and isinstance(doc.get("blood_pressure"), list) and doc["blood_pressure"]:
        doc["blood_pressure"][0]["taken_at"] = rng.choice(
            ("2026-11-20T23:59:59-12:00", "2026-11-20T00:00:00+14:00", "1900-01-01T10:00:00+10:00")
        )
    else:
        sections = [key for key in ("psychiatric", "cardiovascular", "support", "diagnoses") if key in doc]
        if sections:
            del doc[rng.choice(sections)]


STRUCTURAL = (delete_key, wrong_type, huge_string, unstorable_text, unknown_key, edge_date, deep_nesting)

# ------------------------------------------------------------------------------------- on the raw bytes


def huge_integer(rng: random.Random, raw: bytes) -> bytes:
    numbers = list(NUMBER.finditer(raw))
    if not numbers:
        return raw
    hit = rng.choice(numbers)
    digits = b"9" * rng.choice((21, 25, 4301, 5000, 100_000))
    return raw[: hit.start()] + rng.choice((b"", b"-")) + digits + raw[hit.end() :]


def not_finite(rng: random.Random, raw: bytes) -> bytes:
    numbers = list(NUMBER.finditer(raw))
    if not numbers:
        return raw
    hit = rng.choice(numbers)
    return (
        raw[: hit.start()]
        + rng.choice((b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-1e999"))
        + raw[hit.end() :]
    )


def repeated_key(rng: random.Random, raw: bytes) -> bytes:
    keys = list(re.finditer(rb'\{"([a-z_]+)": ', raw))
    if not keys:
        return raw
    hit = rng.choice(keys)
    return raw[: hit.end()] + b'"x", "' + hit.group(1) + b'": ' + raw[hit.end() :]


def bad_bytes(rng: random.Random, raw: bytes) -> bytes:
    if rng.random() < 0.15:
        return b"\xef\xbb\xbf" + raw
    at = rng.randint(0, len(raw))
    return raw[:at] + rng.choice(BAD_BYTES) + raw[at:]


def cut_or_flip(rng: random.Random, raw: bytes) -> bytes:
    at = rng.randint(0, max(len(raw) - 1, 0))
    if rng.random() < 0.5:
        return raw[:at]
    return raw[:at] + bytes([rng.randint(0, 127)]) + raw[at + 1 :]


RAW = (huge_integer, not_finite, repeated_key, bad_bytes, cut_or_flip)


def mutated_document(seed: int) -> bytes:
    """One hostile document: 1-3 mutations of an example, on the parsed document or its bytes."""
    rng = random.Random(seed)
    doc = example(rng.choice(EXAMPLE_NAMES))
    if rng.random() < 0.3:
        new_patient(rng, doc)
    raw_mutations = []
    if rng.random() < 0.2:  # some documents the format allows: accepted ones must store and render
        for _ in range(rng.randint(1, 3)):
            storable_edge(rng, doc)
        return json.dumps(doc).encode()
    for _ in range(rng.randint(1, 3)):
        if rng.random() < 0.7:
            rng.choice(STRUCTURAL)(rng, doc)
        else:
            raw_mutations.append(rng.choice(RAW))
    depth = doc.pop("__depth__", 0)
    raw = json.dumps(doc).encode("utf-8", "surrogatepass")  # ensure_ascii: surrogates become \\udXXX escapes
    if b'"__DEEP__"' in raw:
        raw = raw.replace(b'"__DEEP__"', b"[" * depth + b"]" * depth, 1)
    for mutate in raw_mutations:
        raw = mutate(rng, raw)
    return raw


# ------------------------------------------------------------------------------------------- form posts

FORM_VALUES: tuple[str, ...] = (
    "",
    " ",
    "a\x00b",
    "\x00",
    "A" * 101,
    "A" * 501,
    "x" * 100_000,
    "0001-01-01",
    "9999-12-31",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "1899-12-31T23:59",
    "2101-01-01T00:00",
    "2026-02-30",
    "-1",
    "0",
    "1e400",
    "NaN",
    "Infinity",
    "9" * 5000,
    "1.0000001",
    "yes",
    "maybe",
    "[]",
    "{}",
    "on",
)
RAW_FORM_VALUES = ("%ED%A0%80", "%FF%FE", "%C3%28", "%00")  # sent as is: no str can hold them
