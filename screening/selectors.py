"""Reads of screenings for other pages."""

from __future__ import annotations

from typing import Any

from .models import Screening
from .presentation import verdict_display


def screening_history(patient) -> list[dict[str, Any]]:
    """The patient's screenings, newest first, each with the findings added and removed since the one before."""
    screenings = list(
        Screening.objects.filter(patient=patient)
        .select_related("signoff")
        .only("id", "created_at", "verdict", "rule_codes", "signoff__id")
        .order_by("created_at", "pk")
    )
    rows, previous = [], None
    for screening in screenings:
        codes = set(screening.rule_codes)
        rows.append(
            {
                "screening": screening,
                "verdict": verdict_display(screening.verdict),
                "first": previous is None,
                "added": sorted(codes - previous) if previous is not None else [],
                "removed": sorted(previous - codes) if previous is not None else [],
                "signed": hasattr(screening, "signoff") and screening.signoff is not None,
            }
        )
        previous = codes
    return list(reversed(rows))
