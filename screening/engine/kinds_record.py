"""Predicate kinds over the record: answers, numbers, age, diagnoses, blood pressure."""

from __future__ import annotations

import re

from .context import exact
from .facts import UNKNOWN
from .problems import Problem
from .registry import Hit, Param, fmt_number, kind, label
from .vocabulary import ANSWERS, ICD10_PREFIX_PATTERN, NUMBER_FIELDS

ICD10_PREFIX = re.compile(ICD10_PREFIX_PATTERN)

# ---------------------------------------------------------------------------------------------- answers


def _known_answers(names: list[str], values: list[str], where: str, field: str) -> list[Problem]:
    """Every named answer exists in the intake vocabulary, and every value is one that (one of) them can
    take: a rule on a misspelt answer or value could never fire, so it is refused."""
    errors = [
        Problem(f"{where}.params.{field}", f"{name!r} is not an intake answer")
        for name in names
        if name not in ANSWERS
    ]
    allowed = {v for name in names if name in ANSWERS for v in ANSWERS[name]}
    if not errors:
        errors += [
            Problem(
                f"{where}.params.values",
                f"{value!r} is not a value of {', '.join(names)} ({', '.join(sorted(allowed))})",
            )
            for value in values
            if value not in allowed
        ]
    return errors


@kind(
    "answer_in",
    "an intake answer has one of the listed values (absent reads as unknown)",
    check=lambda params, where: _known_answers([params["answer"]], params["values"], where, "answer"),
    prepare=lambda params: {
        "answer": params["answer"],
        "label": label(params["answer"]),
        "values": frozenset(params["values"]),
    },
    answer=Param("str"),
    values=Param("str_list"),
)
def _answer_in(ctx, params):
    value = ctx.answers.get(params["answer"], UNKNOWN)
    if value in params["values"]:
        return Hit(f"{params['label']}: {value}")
    return None


@kind(
    "any_answer_in",
    "any of the listed intake answers has one of the listed values",
    check=lambda params, where: _known_answers(params["answers"], params["values"], where, "answers"),
    prepare=lambda params: {
        "answers": tuple((name, label(name)) for name in params["answers"]),
        "values": frozenset(params["values"]),
    },
    answers=Param("str_list"),
    values=Param("str_list"),
)
def _any_answer_in(ctx, params):
    get, values = ctx.answers.get, params["values"]
    matched = [(shown, value) for name, shown in params["answers"] if (value := get(name, UNKNOWN)) in values]
    if not matched:
        return None
    found = {v for _, v in matched}
    if len(found) == 1:
        return Hit(f"{found.pop()}: " + ", ".join([shown for shown, _ in matched]))
    return Hit(", ".join([f"{shown}: {v}" for shown, v in matched]))


@kind(
    "number_below",
    "a number is below a limit (or unknown, when unknown_fires)",
    field=Param("str", choices=NUMBER_FIELDS),
    below=Param("number"),
    unknown_fires=Param("bool"),
)
def _number_below(ctx, params):
    value = getattr(ctx.facts, params["field"])
    if value is None:
        return Hit(f"{label(params['field'])}: unknown") if params["unknown_fires"] else None
    if value < params["below"]:
        return Hit(f"{label(params['field'])}: {fmt_number(value)}")
    return None


@kind("value_missing", "a value is not recorded", field=Param("str", choices=NUMBER_FIELDS))
def _value_missing(ctx, params):
    if getattr(ctx.facts, params["field"]) is None:
        return Hit(f"{label(params['field'])}: not recorded")
    return None


@kind(
    "age",
    "age on the assessment date within [min, max] (inclusive; either may be left out)",
    min=Param("int", required=False),
    max=Param("int", required=False),
)
def _age(ctx, params):
    age = ctx.age
    if age is None:
        return None
    if "min" in params and age < params["min"]:
        return None
    if "max" in params and age > params["max"]:
        return None
    return Hit(f"age {age} on {ctx.as_of.isoformat()}")


# ---------------------------------------------------------------------------------------------- diagnoses

DIAGNOSIS_STATUSES = ("active", "in_remission", "history")
DIAGNOSIS_SEVERITIES = ("mild", "moderate", "severe", "unspecified")


def _check_diagnosis(params, where) -> list[Problem]:
    """Every prefix is the leading part of an ICD-10-CM code (a malformed one could never match)."""
    return [
        Problem(
            f"{where}.params.{field}[{i}]", f"{prefix!r} is not the start of an ICD-10-CM code (F33, F33.1)"
        )
        for field in ("prefixes", "exclude_prefixes")
        for i, prefix in enumerate(params.get(field, ()))
        if not ICD10_PREFIX.match(prefix)
    ]


@kind(
    "diagnosis",
    "a diagnosis whose ICD-10-CM code starts with a listed prefix (any code when none given), "
    "not with an excluded prefix, in the listed statuses and severities",
    check=_check_diagnosis,
    prefixes=Param("str_list", required=False),
    exclude_prefixes=Param("str_list", required=False),
    prepare=lambda params: {
        "prefixes": tuple(p.replace(".", "").upper() for p in params.get("prefixes", ())),
        "excluded": tuple(p.replace(".", "").upper() for p in params.get("exclude_prefixes", ())),
        "statuses": frozenset(params.get("statuses", ("active",))),
        "severities": frozenset(params["severities"]) if "severities" in params else None,
    },
    statuses=Param("str_list", required=False, choices=DIAGNOSIS_STATUSES),
    severities=Param("str_list", required=False, choices=DIAGNOSIS_SEVERITIES),
)
def _diagnosis(ctx, params):
    prefixes, excluded = params["prefixes"], params["excluded"]
    statuses, severities = params["statuses"], params["severities"]
    found = []
    for dx, code in ctx.diagnoses:
        if dx.status not in statuses:
            continue
        if prefixes and not code.startswith(prefixes):
            continue
        if excluded and code.startswith(excluded):
            continue
        if severities is not None and dx.severity not in severities:
            continue
        found.append(dx)
    if not found:
        return None
    return Hit(
        ", ".join(f"{dx.status.replace('_', ' ')} diagnosis {dx.icd10} ({dx.severity})" for dx in found)
    )


# ---------------------------------------------------------------------------------------------- blood pressure


def _bp_text(ctx) -> str:
    bp = ctx.bp_summary
    return (
        f"BP {fmt_number(bp.shown_systolic)}/{fmt_number(bp.shown_diastolic)} mmHg "
        f"(mean of {bp.readings} on {bp.day.isoformat()})"
    )


@kind("bp_none_recent", "no blood pressure reading within the protocol's window before the assessment date")
def _bp_none_recent(ctx, params):
    if ctx.bp_summary is not None:
        return None
    days = ctx.protocol.bp_window_days
    older = [r.day for r in ctx.facts.blood_pressure if r.day <= ctx.as_of]
    if older:
        return Hit(
            f"latest reading {max(older).isoformat()} is more than {days} days before {ctx.as_of.isoformat()}"
        )
    return Hit(f"no reading recorded within {days} days of {ctx.as_of.isoformat()}")


def _bp_compare(ctx, params, strict: bool):
    bp = ctx.bp_summary
    if bp is not None and bp.mean_over(params["systolic"], params["diastolic"], strict):
        return Hit(_bp_text(ctx))
    return None


@kind(
    "bp_mean_at_least",
    "mean BP of the latest reading day has systolic >= limit or diastolic >= limit",
    systolic=Param("number"),
    diastolic=Param("number"),
)
def _bp_mean_at_least(ctx, params):
    return _bp_compare(ctx, params, strict=False)


@kind(
    "bp_mean_above",
    "mean BP of the latest reading day has systolic > limit or diastolic > limit",
    systolic=Param("number"),
    diastolic=Param("number"),
)
def _bp_mean_above(ctx, params):
    return _bp_compare(ctx, params, strict=True)


@kind(
    "heart_rate_mean_above",
    "the mean heart rate of the latest reading day's readings that record one is above bpm (none recorded: "
    "the predicate does not hold)",
    bpm=Param("number"),
)
def _heart_rate_mean_above(ctx, params):
    bp = ctx.bp_summary
    rate = bp.heart_rate if bp is not None else None
    if rate is None or rate <= exact(params["bpm"]):
        return None
    shown_rate = int(rate) if rate.denominator == 1 else round(float(rate), 1)
    return Hit(
        f"heart rate {fmt_number(shown_rate)} bpm (mean of {bp.heart_rate_readings} on {bp.day.isoformat()})"
    )
