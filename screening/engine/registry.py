"""The registry of predicate kinds: how a kind is declared, validated, compiled and run, and the
combinators (all, any, not). The kinds themselves are in kinds_record.py and kinds_medications.py;
import `predicates` to have them all registered.

Each kind declares its parameters (validated when a rule set is loaded or saved) and an evaluator that
returns a Hit (the predicate holds, with evidence naming the actual values) or None.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from .problems import Problem

if TYPE_CHECKING:
    from .context import Context


class Hit(NamedTuple):
    """A predicate holds: the evidence naming the actual values, and the medications it concerns.
    (A NamedTuple: immutable, and made on every rule that fires, where it is cheaper than a dataclass.)"""

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
NO_EVIDENCE = Hit()  # a predicate that holds with nothing to show (a Hit is immutable, so one is shared)


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
        if not isinstance(value, int | float) or isinstance(value, bool):
            return [Problem(where, f"expected a number, got {value!r}")]
        return [] if math.isfinite(value) else [Problem(where, f"expected a finite number, got {value!r}")]
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
        hit = sub.run(ctx, sub.params)
        if hit is None:
            return None
        hits.append(hit)
    return hits[0] if len(hits) == 1 else _merge(hits)


@kind("any", "at least one listed predicate holds", prepare=_compile_list, of=Param("predicate_list"))
def _any(ctx, params):
    hits = [hit for sub in params["of"] if (hit := sub.run(ctx, sub.params)) is not None]
    if not hits:
        return None
    return hits[0] if len(hits) == 1 else _merge(hits)


@kind(
    "not",
    "the predicate does not hold",
    prepare=lambda params: {"predicate": compile_predicate(params["predicate"])},
    predicate=Param("predicate"),
)
def _not(ctx, params):
    sub = params["predicate"]
    return None if sub.run(ctx, sub.params) is not None else NO_EVIDENCE


def _merge(hits: list[Hit]) -> Hit:
    evidence = "; ".join(h.evidence for h in hits if h.evidence)
    meds = tuple(sorted({i for h in hits for i in h.medications}))
    return Hit(evidence, meds)
