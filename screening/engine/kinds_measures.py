"""Predicate kinds over the baseline measures (PHQ-9, C-SSRS screener): the latest administration within
the protocol's measure window (Context.latest_measures) decides; no administration in the window, no hit.
When a measure was given more than once on its latest day, the worst of that day counts."""

from __future__ import annotations

from .measures import INSTRUMENTS, ITEM_MAX, ITEM_MIN
from .problems import Problem
from .registry import Hit, Param, kind


@kind(
    "cssrs_imminent",
    "the latest C-SSRS screener within the protocol's measure window answered yes to intent (Q4), plan with "
    "intent (Q5) or behaviour in the past 3 months (Q6)",
)
def _cssrs_imminent(ctx, params):
    for measure in ctx.latest_measures("cssrs_screener"):
        if measure.score.imminent:
            return Hit(
                f"{INSTRUMENTS['cssrs_screener'].name} of {measure.day.isoformat()}: {', '.join(measure.score.reasons)}"
            )
    return None


def _check_item_value(params, where) -> list[Problem]:
    value = params["value"]
    if ITEM_MIN <= value <= ITEM_MAX:
        return []
    return [Problem(f"{where}.params.value", f"an item is scored {ITEM_MIN} to {ITEM_MAX}, got {value}")]


@kind(
    "phq9_item9_at_least",
    "the latest PHQ-9 within the protocol's measure window scored item 9 (self-harm) at least `value` (0-3)",
    check=_check_item_value,
    value=Param("int"),
)
def _phq9_item9_at_least(ctx, params):
    latest = ctx.latest_measures("phq9")
    if not latest:
        return None
    worst = max(latest, key=lambda m: m.score.item9)
    score = worst.score
    if score.item9 < params["value"]:
        return None
    return Hit(
        f"{INSTRUMENTS['phq9'].name} of {worst.day.isoformat()}: item 9 = {score.item9} "
        f"(total {score.total}, {score.band})"
    )
