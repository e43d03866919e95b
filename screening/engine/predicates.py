"""The registry of predicate kinds a rule may use. Rules are data; these are the only code they reach.

Each kind declares its parameters (validated when a rule set is loaded or saved) and an evaluator that
returns a Hit (the predicate holds, with evidence naming the actual values) or None.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .problems import Problem
from .vocabulary import ANSWERS, NUMBER_FIELDS

if TYPE_CHECKING:
    from .context import Context


@dataclass(frozen=True)
class Hit:
    evidence: str = ""
    medications: tuple[int, ...] = ()  # indexes into facts.medications that this hit concerns


@dataclass(frozen=True)
class Param:
    type: str  # int | number | str | str_list | predicate | predicate_list
    required: bool = True
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Kind:
    name: str
    params: dict[str, Param]
    evaluate: Callable[[Context, dict[str, Any]], Hit | None]
    description: str
    # checks across parameters once each is well-formed (e.g. values that the named answer can take)
    check: Callable[[dict[str, Any], str], list[str]] | None = None
    # turns validated parameters into what the evaluator reads (sets, normalised prefixes, compiled
    # sub-predicates), once per rule set instead of once per evaluation
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None


REGISTRY: dict[str, Kind] = {}


def kind(name: str, description: str, check=None, prepare=None, **params: Param):
    def register(func):
        REGISTRY[name] = Kind(
            name=name, params=params, evaluate=func, description=description, check=check, prepare=prepare
        )
        return func

    return register


@dataclass(frozen=True)
class Compiled:
    """A validated predicate, ready to run: its evaluator and its prepared parameters."""

    kind: str
    run: Callable[[Context, dict[str, Any]], Hit | None]
    params: dict[str, Any]

    def __call__(self, ctx: Context) -> Hit | None:
        return self.run(ctx, self.params)


def compile_predicate(predicate: dict[str, Any]) -> Compiled:
    """A *validated* predicate (validate_predicate found nothing) in its ready-to-run form."""
    spec = REGISTRY[predicate["kind"]]
    params = predicate.get("params", {})
    return Compiled(spec.name, spec.evaluate, spec.prepare(params) if spec.prepare else params)


def label(name: str) -> str:
    return name.replace("_", " ")


def fmt_number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


# ---------------------------------------------------------------------------------------------- validation


def _check_param(value: Any, spec: Param, where: str) -> list[Problem]:
    t = spec.type
    if t == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
        return [] if ok else [Problem(where, f"expected a whole number, got {value!r}")]
    if t == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [Problem(where, f"expected a number, got {value!r}")]
    if t == "bool":
        return [] if isinstance(value, bool) else [Problem(where, f"expected true or false, got {value!r}")]
    if t == "str":
        if not isinstance(value, str) or not value:
            return [Problem(where, f"expected text, got {value!r}")]
        if spec.choices and value not in spec.choices:
            return [Problem(where, f"{value!r} is not one of {', '.join(spec.choices)}")]
        return []
    if t == "str_list":
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            return [Problem(where, f"expected a list of text values, got {value!r}")]
        bad = [v for v in value if spec.choices and v not in spec.choices]
        return [Problem(where, f"{v!r} is not one of {', '.join(spec.choices)}") for v in bad]
    if t == "predicate":
        return validate_predicate(value, where)
    if t == "predicate_list":
        if not isinstance(value, list) or not value:
            return [Problem(where, "expected a non-empty list of predicates")]
        errors: list[str] = []
        for i, item in enumerate(value):
            errors += validate_predicate(item, f"{where}[{i}]")
        return errors
    raise AssertionError(f"unknown parameter type {t}")  # a bug in the registry, not in data


def validate_predicate(predicate: Any, where: str = "predicate") -> list[Problem]:
    if not isinstance(predicate, dict):
        return [Problem(where, "must be an object with 'kind' and 'params'")]
    errors = [
        Problem(f"{where}.{key}", "unknown field") for key in sorted(set(predicate) - {"kind", "params"})
    ]
    name = predicate.get("kind")
    spec = REGISTRY.get(name) if isinstance(name, str) else None
    if spec is None:
        return errors + [
            Problem(
                f"{where}.kind", f"{name!r} is not a known predicate kind ({', '.join(sorted(REGISTRY))})"
            )
        ]
    params = predicate.get("params", {})
    if not isinstance(params, dict):
        return errors + [Problem(f"{where}.params", "must be an object")]
    for key in sorted(set(params) - set(spec.params)):
        errors.append(Problem(f"{where}.params.{key}", f"not a parameter of {name}"))
    for key, pspec in spec.params.items():
        if key not in params:
            if pspec.required:
                errors.append(Problem(f"{where}.params.{key}", f"required by {name}"))
            continue
        errors += _check_param(params[key], pspec, f"{where}.params.{key}")
    if not errors and spec.check is not None:
        errors += spec.check(params, where)
    return errors


def evaluate_predicate(ctx: Context, predicate: dict[str, Any]) -> Hit | None:
    """Compile and run at once (tests and one-off checks; rule sets compile when they are parsed)."""
    return compile_predicate(predicate)(ctx)


# ---------------------------------------------------------------------------------------------- combinators


def _compile_list(params):
    return {"of": tuple(compile_predicate(sub) for sub in params["of"])}


@kind("all", "every listed predicate holds", prepare=_compile_list, of=Param("predicate_list"))
def _all(ctx, params):
    hits = []
    for sub in params["of"]:
        hit = sub(ctx)
        if hit is None:
            return None
        hits.append(hit)
    return _merge(hits)


@kind("any", "at least one listed predicate holds", prepare=_compile_list, of=Param("predicate_list"))
def _any(ctx, params):
    hits = [hit for sub in params["of"] if (hit := sub(ctx)) is not None]
    return _merge(hits) if hits else None


@kind(
    "not",
    "the predicate does not hold",
    prepare=lambda params: {"predicate": compile_predicate(params["predicate"])},
    predicate=Param("predicate"),
)
def _not(ctx, params):
    return None if params["predicate"](ctx) is not None else Hit()


def _merge(hits: list[Hit]) -> Hit:
    evidence = "; ".join(h.evidence for h in hits if h.evidence)
    meds = tuple(sorted({i for h in hits for i in h.medications}))
    return Hit(evidence, meds)


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
    answer=Param("str"),
    values=Param("str_list"),
)
def _answer_in(ctx, params):
    value = ctx.facts.answer(params["answer"])
    if value in params["values"]:
        return Hit(f"{label(params['answer'])}: {value}")
    return None


@kind(
    "any_answer_in",
    "any of the listed intake answers has one of the listed values",
    check=lambda params, where: _known_answers(params["answers"], params["values"], where, "answers"),
    answers=Param("str_list"),
    values=Param("str_list"),
)
def _any_answer_in(ctx, params):
    matched = [
        (name, ctx.facts.answer(name))
        for name in params["answers"]
        if ctx.facts.answer(name) in params["values"]
    ]
    if not matched:
        return None
    values = {v for _, v in matched}
    if len(values) == 1:
        return Hit(f"{values.pop()}: " + ", ".join(label(n) for n, _ in matched))
    return Hit(", ".join(f"{label(n)}: {v}" for n, v in matched))


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


@kind(
    "diagnosis",
    "a diagnosis whose ICD-10-CM code starts with a listed prefix (any code when none given), "
    "not with an excluded prefix, in the listed statuses and severities",
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
    for dx in ctx.facts.diagnoses:
        code = dx.compact_code
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
    if bp is None:
        return None

    def over(value, limit):
        return value > limit if strict else value >= limit

    if over(bp.systolic, params["systolic"]) or over(bp.diastolic, params["diastolic"]):
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


# ---------------------------------------------------------------------------------------------- medications

MATCHER = {"atc_prefixes": Param("str_list", required=False), "classes": Param("str_list", required=False)}


def _prepare_matcher(params):
    match = (frozenset(params.get("atc_prefixes", ())), frozenset(params.get("classes", ())))
    return {**params, "match": match}


def _matching(ctx, params) -> list[int]:
    return ctx.matching(*params["match"])


def _med_label(med) -> str:
    if med.drug is None:
        return med.name
    if med.name.strip().lower() == med.drug.generic:
        return f"{med.drug.generic} ({med.drug.atc[0]})"
    return f"{med.name} ({med.drug.generic}, {med.drug.atc[0]})"


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
    return Hit(", ".join(_med_label(ctx.facts.medications[i]) for i in idx), tuple(idx))


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
            parts.append(f"{_med_label(med)}: {what} not recorded")
            idx.append(i)
        elif med.drug.diazepam_10mg_equivalent_mg is None:
            parts.append(f"{_med_label(med)}: no diazepam-equivalent factor in the formulary")
            idx.append(i)
    return Hit("; ".join(parts), tuple(idx)) if idx else None


def _diazepam_total(ctx, params) -> tuple[list[int], float, bool]:
    idx = _matching(ctx, params)
    total, complete = 0.0, True
    for i in idx:
        eq = ctx.diazepam_equivalent(i)
        if eq is None:
            complete = False
        else:
            total += eq
    return idx, round(total, 3), complete


def _diazepam_evidence(ctx, idx, total, limit) -> str:
    parts = []
    for i in idx:
        med = ctx.facts.medications[i]
        eq = ctx.diazepam_equivalent(i)
        if eq is not None:
            parts.append(
                f"{_med_label(med)} {fmt_number(med.daily_mg)} mg/day = {fmt_number(eq)} mg diazepam"
            )
    return (
        "; ".join(parts)
        + f"; total {fmt_number(total)} mg/day diazepam-equivalent (limit {fmt_number(limit)})"
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
    if idx and total > params["mg"]:
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
    if idx and complete and total <= params["mg"]:
        return Hit(_diazepam_evidence(ctx, idx, total, params["mg"]), tuple(idx))
    return None
