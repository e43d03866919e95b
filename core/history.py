"""Change history as the pages show it (django-simple-history records): who, when, and each field's
value before and after."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def history_entries(
    records, describe: Callable[[str, Any, Any], list[str]] | None = None
) -> list[dict[str, Any]]:
    """The records of one object, newest first, each with the fields it changed against the one before
    ("fields": (field, old, new)); with `describe`, also each changed field in words ("changes": (field,
    lines)), for values such as a rule's predicate that read badly as they are stored."""
    entries, previous = [], None
    for record in records:
        fields = []
        if previous is not None:
            fields = [(c.field, c.old, c.new) for c in record.diff_against(previous).changes]
        user = record.history_user
        entry = {
            "record": record,
            "fields": fields,
            "who": (user.get_full_name() or user.username) if user else "system (import)",
        }
        if describe is not None:
            entry["changes"] = [(name, describe(name, old, new)) for name, old, new in fields]
        entries.append(entry)
        previous = record
    return list(reversed(entries))
