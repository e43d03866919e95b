"""Full references for the source ids rules cite (S1-S5 seed documents, A1-A16 anchor references)."""

import json
from functools import cache
from pathlib import Path

SOURCES_FILE = Path(__file__).resolve().parent.parent / "fixtures" / "sources.json"


@cache
def references() -> dict[str, str]:
    return {s["id"]: s["reference"] for s in json.loads(SOURCES_FILE.read_text(encoding="utf-8"))["sources"]}


def cited(ids) -> list[tuple[str, str]]:
    """The references for a set of ids, in S then A order, numerically."""
    table = references()
    ordered = sorted(set(ids), key=lambda i: (i[0] != "S", int(i[1:]) if i[1:].isdigit() else 0))
    return [(i, table.get(i, "reference not in the source list")) for i in ordered]
