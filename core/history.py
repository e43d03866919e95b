"""Change history as the pages show it (django-simple-history records): who, when, and each field's
value before and after."""

from __future__ import annotations

from typing import Any


def history_entries(records) -> list[dict[str, Any]]:
    """The records of one object, newest first, each with the fields it changed against the one before."""
    entries, previous = [], None
    for record in records:
        fields = []
        if previous is not None:
            fields = [(c.field, c.old, c.new) for c in record.diff_against(previous).changes]
        user = record.history_user
        entries.append(
            {
                "record": record,
                "fields": fields,
                "who": (user.get_full_name() or user.username) if user else "system (import)",
            }
        )
        previous = record
    return list(reversed(entries))
