"""Predicate kinds over the medication list: ATC and class matchers, unresolved names, diazepam equivalents."""

from __future__ import annotations

import re
from fractions import Fraction

from .context import exact, shown
from .problems import Problem
from .registry import Hit, Param, fmt_number, kind
from .vocabulary import ATC_PREFIX_PATTERN, CLASS_NAME_PATTERN

ATC_PREFIX = re.compile(ATC_PREFIX_PATTERN)
CLASS_NAME = re.compile(CLASS_NAME_PATTERN)

# ---------------------------------------------------------------------------------------------- medications

MATCHER = {
    "atc_prefixes": Param("str_list", required=False),
    "classes": Param("str_list", required=False),
    # ATC prefixes to leave out of what the others match (A08AA but not naltrexone/bupropion A08AA62)
    "exclude_atc_prefixes": Param("str_list", required=False),
}


def _check_matcher(params, where) -> list[Problem]:
    """A matcher names at least one ATC prefix or class (an empty one matches nothing), each ATC prefix
    is the leading part of an ATC code at one of its levels, and each class is a class name."""
    errors = []
    if not params.get("atc_prefixes") and not params.get("classes"):
        errors.append(
            Problem(f"{where}.params", "name at least one ATC prefix or class: this matches nothing")
        )
    for field in ("atc_prefixes", "exclude_atc_prefixes"):
        errors += [
            Problem(
                f"{where}.params.{field}[{i}]", f"{code!r} is not an ATC code or the start of one (N06AX)"
            )
            for i, code in enumerate(params.get(field, ()))
            if not ATC_PREFIX.match(code)
        ]
    errors += [
        Problem(f"{where}.params.classes[{i}]", f"{name!r} is not a class name (lower case, like opioid)")
        for i, name in enumerate(params.get("classes", ()))
        if not CLASS_NAME.match(name)
    ]
    return errors


def _prepare_matcher(params):
    """The codes a matcher names, as Drug.match_codes spells them (ATC prefixes, "class:<name>")."""
    codes = frozenset(params.get("atc_prefixes", ())) | {"class:" + c for c in params.get("classes", ())}
    return {**params, "match": codes, "exclude": frozenset(params.get("exclude_atc_prefixes", ()))}


def _matching(ctx, params) -> list[int]:
    found = ctx.matching(params["match"])
    if params["exclude"]:
        left_out = set(ctx.matching(params["exclude"]))
        return [i for i in found if i not in left_out]
    return found


@kind(
    "medication",
    "a resolved medication whose ATC code starts with a listed prefix or that has a listed class",
    check=_check_matcher,
    prepare=_prepare_matcher,
    **MATCHER,
)
def _medication(ctx, params):
    idx = _matching(ctx, params)
    if not idx:
        return None
    label_of = ctx.medication_label
    return Hit(", ".join([label_of(i) for i in idx]), tuple(idx))


@kind("medication_unresolved", "a listed medication is not found in the formulary, or its name is ambiguous")
def _medication_unresolved(ctx, params):
    meds = ctx.facts.medications
    unknown = [i for i, med in enumerate(meds) if med.drug is None and not med.ambiguous]
    ambiguous = [i for i, med in enumerate(meds) if med.drug is None and med.ambiguous]
    if not unknown and not ambiguous:
        return None
    parts = []
    if unknown:
        parts.append("not in the formulary: " + ", ".join(repr(meds[i].name) for i in unknown))
    if ambiguous:
        parts.append(
            "ambiguous, an error-prone abbreviation never resolved (A16): "
            + ", ".join(repr(meds[i].name) for i in ambiguous)
        )
    return Hit("; ".join(parts), tuple(sorted(unknown + ambiguous)))


def _what_is_missing(med) -> str:
    if med.as_needed and med.dose_mg is not None:
        return "max doses per day"
    return "dose" if med.dose_mg is None else "times per day"


@kind(
    "dose_unknown",
    "a matching medication whose daily dose cannot be computed (dose or frequency not recorded)",
    check=_check_matcher,
    prepare=_prepare_matcher,
    **MATCHER,
)
def _dose_unknown(ctx, params):
    idx = [i for i in _matching(ctx, params) if ctx.facts.medications[i].daily_exact is None]
    if not idx:
        return None
    meds = ctx.facts.medications
    return Hit(
        "; ".join(f"{ctx.medication_label(i)}: {_what_is_missing(meds[i])} not recorded" for i in idx),
        tuple(idx),
    )


@kind(
    "diazepam_factor_missing",
    "a matching medication with no diazepam-equivalent factor in the formulary (its dose cannot be weighed)",
    check=_check_matcher,
    prepare=_prepare_matcher,
    **MATCHER,
)
def _diazepam_factor_missing(ctx, params):
    meds = ctx.facts.medications
    idx = [i for i in _matching(ctx, params) if meds[i].drug.diazepam_10mg_equivalent_mg is None]
    if not idx:
        return None
    return Hit(
        "; ".join(
            f"{ctx.medication_label(i)}: no diazepam-equivalent factor, its equivalent is unknown"
            for i in idx
        ),
        tuple(idx),
    )


@kind(
    "dose_above_maximum",
    "a resolved medication's daily dose is above the maximum daily dose the formulary records for it",
)
def _dose_above_maximum(ctx, params):
    parts, idx = [], []
    for i, med in enumerate(ctx.facts.medications):
        limit = med.drug.max_daily_mg if med.drug is not None else None
        daily = med.daily_exact
        if limit is not None and daily is not None and daily > exact(limit):
            parts.append(
                f"{ctx.medication_label(i)} {fmt_number(med.daily_mg)} mg/day is above the recorded maximum "
                f"{fmt_number(limit)} mg/day"
            )
            idx.append(i)
    return Hit("; ".join(parts), tuple(idx)) if idx else None


@kind(
    "diazepam_equivalent_unknown",
    "a matching medication whose diazepam equivalent cannot be computed (dose, frequency or factor missing)",
    check=_check_matcher,
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
    check=_check_matcher,
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
    check=_check_matcher,
    prepare=_prepare_matcher,
    **MATCHER,
)
def _diazepam_at_most(ctx, params):
    idx, total, complete = _diazepam_total(ctx, params)
    if idx and complete and total <= exact(params["mg"]):
        return Hit(_diazepam_evidence(ctx, idx, total, params["mg"]), tuple(idx))
    return None
