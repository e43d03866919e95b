"""Predicate kinds over the medication list: ATC and class matchers, unresolved names, diazepam equivalents."""

from __future__ import annotations

from fractions import Fraction

from .context import exact, shown
from .registry import Hit, Param, fmt_number, kind

# ---------------------------------------------------------------------------------------------- medications

MATCHER = {"atc_prefixes": Param("str_list", required=False), "classes": Param("str_list", required=False)}


def _prepare_matcher(params):
    """The codes a matcher names, as Drug.match_codes spells them (ATC prefixes, "class:<name>")."""
    codes = frozenset(params.get("atc_prefixes", ())) | {"class:" + c for c in params.get("classes", ())}
    return {**params, "match": codes}


def _matching(ctx, params) -> list[int]:
    return ctx.matching(params["match"])


@kind(
    "medication",
    "a resolved medication whose ATC code starts with a listed prefix or that has a listed class",
    prepare=_prepare_matcher,
    **MATCHER,
)
def _medication(ctx, params):
    idx = _matching(ctx, params)
    if not idx:
        return None
    label_of = ctx.medication_label
    return Hit(", ".join([label_of(i) for i in idx]), tuple(idx))


@kind("medication_unresolved", "a listed medication is not found in the formulary")
def _medication_unresolved(ctx, params):
    idx = [i for i, med in enumerate(ctx.facts.medications) if med.drug is None]
    if not idx:
        return None
    names = ", ".join(repr(ctx.facts.medications[i].name) for i in idx)
    return Hit(f"not in the formulary: {names}", tuple(idx))


@kind(
    "diazepam_equivalent_unknown",
    "a matching medication whose diazepam equivalent cannot be computed (dose, frequency or factor missing)",
    prepare=_prepare_matcher,
    **MATCHER,
)
def _diazepam_unknown(ctx, params):
    parts, idx = [], []
    for i in _matching(ctx, params):
        med = ctx.facts.medications[i]
        if med.daily_mg is None:
            what = (
                "max doses per day"
                if med.as_needed and med.dose_mg is not None
                else ("dose" if med.dose_mg is None else "times per day")
            )
            parts.append(f"{ctx.medication_label(i)}: {what} not recorded")
            idx.append(i)
        elif med.drug.diazepam_10mg_equivalent_mg is None:
            parts.append(f"{ctx.medication_label(i)}: no diazepam-equivalent factor in the formulary")
            idx.append(i)
    return Hit("; ".join(parts), tuple(idx)) if idx else None


def _diazepam_total(ctx, params) -> tuple[list[int], Fraction, bool]:
    """The matching medications, their exact total diazepam equivalent, and whether every one is known."""
    idx = _matching(ctx, params)
    total, complete = Fraction(0), True
    for i in idx:
        eq = ctx.diazepam_exact(i)
        if eq is None:
            complete = False
        else:
            total += eq
    return idx, total, complete


def _diazepam_evidence(ctx, idx, total: Fraction, limit) -> str:
    parts = []
    for i in idx:
        med = ctx.facts.medications[i]
        eq = ctx.diazepam_equivalent(i)
        if eq is not None:
            parts.append(
                f"{ctx.medication_label(i)} {fmt_number(med.daily_mg)} mg/day = {fmt_number(eq)} mg diazepam"
            )
    shown_total = shown(total)
    if shown_total == limit and total != exact(limit):
        shown_total_text = f"{'over' if total > exact(limit) else 'under'} {fmt_number(limit)}"
    else:
        shown_total_text = fmt_number(shown_total)
    return (
        "; ".join(parts)
        + f"; total {shown_total_text} mg/day diazepam-equivalent (limit {fmt_number(limit)})"
    )


@kind(
    "diazepam_equivalent_above",
    "total diazepam-equivalent of the matching medications is above mg per day",
    mg=Param("number"),
    prepare=_prepare_matcher,
    **MATCHER,
)
def _diazepam_above(ctx, params):
    idx, total, _complete = _diazepam_total(ctx, params)
    # a known part already above the limit is enough; unknown parts are reported by their own rule
    if idx and total > exact(params["mg"]):
        return Hit(_diazepam_evidence(ctx, idx, total, params["mg"]), tuple(idx))
    return None


@kind(
    "diazepam_equivalent_at_most",
    "matching medications present, every one with a known diazepam equivalent, total at most mg per day",
    mg=Param("number"),
    prepare=_prepare_matcher,
    **MATCHER,
)
def _diazepam_at_most(ctx, params):
    idx, total, complete = _diazepam_total(ctx, params)
    if idx and complete and total <= exact(params["mg"]):
        return Hit(_diazepam_evidence(ctx, idx, total, params["mg"]), tuple(idx))
    return None
