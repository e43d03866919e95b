"""Checks a FHIR input must pass before anything is mapped, each failure a problem with its path: a walk
over the raw value (types JSON can carry, nesting, size, text a database can store) and validation with the
fhir.resources R4B models (pydantic's errors by path). Nothing raises: hostile input becomes problems.
"""

from __future__ import annotations

import math
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.resource import Resource
from pydantic import ValidationError

from screening.intake import unstorable_text

DEPTH_MAX = 24  # a Bundle > entry > resource > item > answer > item ... nests about 12 levels
NODES_MAX = 200_000  # far above any record; the API's 1 MiB body holds fewer
PROBLEMS_MAX = 50  # a refusal names the first problems; a broken Bundle would otherwise list thousands
SHOWN_MAX = 60
ABSTRACT = ("Resource", "DomainResource")  # the R4B models have classes for them, but no instance is one


def key_path(path: str, key: Any) -> str:
    shown = key if isinstance(key, str) and key.isidentifier() else ascii(key)
    if len(shown) > SHOWN_MAX:
        shown = shown[:SHOWN_MAX] + "..."
    return f"{path}.{shown}" if path else shown


def raw_problems(value: Any, path: str) -> list[dict[str, str]]:
    """What the raw value holds that no FHIR JSON may (walked with a loop: no recursion): a type JSON has
    no word for, a key that is not text, nesting deeper than DEPTH_MAX, more than NODES_MAX values, a
    number that is not finite, text with a NUL or a lone surrogate. Stops at the first."""
    stack: list[tuple[Any, str, int]] = [(value, path, 0)]
    seen = 0
    while stack:
        item, where, depth = stack.pop()
        seen += 1
        if seen > NODES_MAX:
            return [{"path": path or "document", "message": f"holds more than {NODES_MAX} values"}]
        if depth > DEPTH_MAX:
            return [{"path": where, "message": f"nested more than {DEPTH_MAX} levels deep"}]
        problem = None
        if isinstance(item, str):
            problem = unstorable_text(item)
        elif isinstance(item, float) and not math.isfinite(item):
            problem = f"{item!r} is not a finite number"
        elif isinstance(item, dict):
            children = []
            for key, child in item.items():
                if not isinstance(key, str) or unstorable_text(key):
                    return [{"path": key_path(where, key), "message": "a key must be text without NUL"}]
                children.append((child, key_path(where, key), depth + 1))
            stack.extend(reversed(children))
        elif isinstance(item, list):
            stack.extend(reversed([(child, f"{where}[{i}]", depth + 1) for i, child in enumerate(item)]))
        elif item is not None and not isinstance(item, bool | int | float):
            problem = f"{type(item).__name__} is not a JSON value"
        if problem:
            return [{"path": where or "document", "message": problem}]
    return []


def resource_problems(resource: Any, path: str) -> list[dict[str, str]]:
    """The problems of one resource as the fhir.resources R4B model of its resourceType sees them."""
    if not isinstance(resource, dict):
        return [
            {"path": path, "message": f"must be a FHIR resource (an object), got {type(resource).__name__}"}
        ]
    resource_type = resource.get("resourceType")
    if not isinstance(resource_type, str):
        return [{"path": f"{path}.resourceType", "message": "required: the resource's type"}]
    try:
        model = get_fhir_model_class(resource_type)
    except (KeyError, ValueError):
        model = None
    if model is None or not issubclass(model, Resource) or resource_type in ABSTRACT:
        shown = resource_type[:SHOWN_MAX]
        return [{"path": f"{path}.resourceType", "message": f"{shown!r} is not a FHIR R4 resource type"}]
    return model_problems(model, resource, path)


def model_problems(model: type, value: dict[str, Any], path: str) -> list[dict[str, str]]:
    try:
        model.model_validate(value)
    except ValidationError as exc:
        return [
            {"path": _loc_path(path, error.get("loc", ())), "message": _message(error)}
            for error in exc.errors()[:PROBLEMS_MAX]
        ]
    except Exception as exc:  # noqa: BLE001 -- a library error on hostile input is a refusal, not a crash
        return [{"path": path or "document", "message": f"not readable as FHIR R4 ({type(exc).__name__})"}]
    return []


def _loc_path(path: str, loc: tuple[Any, ...]) -> str:
    for part in loc:
        path = f"{path}[{part}]" if isinstance(part, int) else key_path(path, str(part))
    return path or "document"


def _message(error: dict[str, Any]) -> str:
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return message[:200]
