"""The structured predicate editor: a predicate tree as flat form fields and back, the structural edits its
buttons make (add a condition, remove one, change a kind). What the page shows for each node is in
editor_widgets.py; no views here.

Field names. The node at path "p" (the root), "p.0", "p.1", ... (the conditions of all/any) or "p.n" (the
predicate of not) posts "<path>.kind", "<path>.was" (the kind it was shown with) and "<path>.<param>" for
each parameter of its kind: the text of a number, a text or a token list ("N05BA, N05CD"), "on" for a
checked bool, and one value per chosen item of a list with choices. A structural edit is the submit
button "structure" with the value "add:<path>", "remove:<path>" or "kind:<path>"; it changes the tree the
page shows, and nothing is saved.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from screening.engine import REGISTRY
from screening.engine.problems import Problem
from screening.engine.registry import Param

from .rows import post_list, post_text, split_tokens

ROOT = "p"
MAX_DEPTH = 8  # levels of conditions below the root (the default rule set uses 3)
MAX_CHILDREN = 40
NUMBER_LIMIT = 10**9  # a threshold beyond this is a slip of the keyboard
TOKEN_MAX = 40
BLANK_KIND = "answer_in"
LIST_WIDGETS = frozenset({"answers", "values", "checkboxes"})
INT_TEXT = re.compile(r"^[+-]?\d{1,15}$")
NUMBER_TEXT = re.compile(r"^[+-]?(?:\d{1,20}(?:\.\d{0,20})?|\.\d{1,20})(?:[eE][+-]?\d{1,4})?$")
NODE_KEY = re.compile(r"^(p(?:\.(?:\d{1,3}|n))*)\.kind$")


@dataclass
class Draft:
    """A predicate node as entered: its kind, the kind it was shown with, each parameter's raw text (also
    of parameters its kind does not have, kept for a change back) and its conditions."""

    kind: str
    was: str = ""
    raw: dict[str, str | list[str]] = field(default_factory=dict)
    children: list[Draft] = field(default_factory=list)


def blank() -> Draft:
    return Draft(BLANK_KIND, BLANK_KIND)


def widget_type(name: str, param: Param) -> str:
    if param.type in ("predicate", "predicate_list"):
        return "children"
    if param.type in ("int", "number"):
        return param.type
    if param.type == "bool":
        return "bool" if param.required else "tristate"
    if param.type == "str":
        if name == "answer":
            return "answer"
        return "select" if param.choices else "text"
    if name in ("answers", "values"):
        return name
    return "checkboxes" if param.choices else "tokens"


def _widget_types() -> dict[str, str]:
    """Every parameter name of every kind with its widget (the first kind to declare a name decides)."""
    found: dict[str, str] = {}
    for spec in REGISTRY.values():
        for name, param in spec.params.items():
            found.setdefault(name, widget_type(name, param))
    return found


def shape(kind: str) -> str:
    """How a kind holds conditions: "list" (all, any), "single" (not) or "" (none, or an unknown kind)."""
    spec = REGISTRY.get(kind)
    types = {p.type for p in spec.params.values()} if spec else set()
    return "list" if "predicate_list" in types else "single" if "predicate" in types else ""


# ---------------------------------------------------------------------------------------------- predicate -> fields


def draft_of(predicate: Any) -> Draft:
    if not isinstance(predicate, dict) or not isinstance(predicate.get("kind"), str):
        return blank()
    kind = predicate["kind"]
    params = predicate.get("params") if isinstance(predicate.get("params"), dict) else {}
    spec = REGISTRY.get(kind)
    node = Draft(kind, kind)
    for name, value in params.items():
        param = spec.params.get(name) if spec else None
        if param is None:
            continue
        wtype = widget_type(name, param)
        if wtype == "children":
            node.children = [draft_of(v) for v in (value if isinstance(value, list) else [value])]
        else:
            node.raw[name] = _raw_text(wtype, value)
    return node


def _raw_text(wtype: str, value: Any) -> str | list[str]:
    if wtype in LIST_WIDGETS:
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]
    if wtype == "bool":
        return "on" if value is True else ""
    if wtype == "tristate":
        return {True: "yes", False: "no"}.get(value, "") if isinstance(value, bool) else ""
    if wtype == "tokens":
        return ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    if isinstance(value, str):
        return value
    return json.dumps(value)  # a number as JSON writes it: 160, 0.5, 1.0 (read back as the same type)


def tree_to_post(node: Draft, path: str = ROOT) -> dict[str, str | list[str]]:
    post: dict[str, str | list[str]] = {f"{path}.kind": node.kind, f"{path}.was": node.was or node.kind}
    post.update({f"{path}.{name}": raw for name, raw in node.raw.items() if raw not in ("", [])})
    single = shape(node.kind) == "single"
    for i, child in enumerate(node.children):
        post.update(tree_to_post(child, f"{path}.n" if single else f"{path}.{i}"))
    return post


def predicate_to_post(predicate: dict[str, Any]) -> dict[str, str | list[str]]:
    """The flat form data that shows `predicate` (and that predicate_from_post reads back as it)."""
    return tree_to_post(draft_of(predicate))


# ---------------------------------------------------------------------------------------------- fields -> predicate


def read_tree(data) -> Draft:
    """The tree a page posted (a QueryDict or a plain dict of str or list values), read leniently: every
    value kept as typed, children in the order of their numbers."""
    paths = {m.group(1) for key in data if isinstance(key, str) and (m := NODE_KEY.match(key))}
    return _read(data, ROOT, paths, 0, _widget_types())


def _read(data, path: str, paths: set[str], depth: int, wtypes: dict[str, str]) -> Draft:
    node = Draft(post_text(data, f"{path}.kind").strip(), post_text(data, f"{path}.was").strip())
    for name, wtype in wtypes.items():
        key = f"{path}.{name}"
        if wtype != "children" and key in data:
            node.raw[name] = post_list(data, key) if wtype in LIST_WIDGETS else post_text(data, key)
    if depth < MAX_DEPTH:
        numbered = sorted(
            (p for p in paths if p.rpartition(".")[0] == path and p.rpartition(".")[2].isdigit()),
            key=lambda p: int(p.rpartition(".")[2]),
        )
        child_paths = numbered[:MAX_CHILDREN] or ([f"{path}.n"] if f"{path}.n" in paths else [])
        node.children = [_read(data, p, paths, depth + 1, wtypes) for p in child_paths]
    return node


def predicate_from_post(data) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The predicate the posted fields describe, or None and the problems (each with its engine path,
    "predicate.params.of[1].params.systolic")."""
    return predicate_of(read_tree(data))


def predicate_of(tree: Draft) -> tuple[dict[str, Any] | None, list[Problem]]:
    problems: list[Problem] = []
    predicate = _build(tree, "predicate", problems)
    return (None, problems) if problems else (predicate, [])


def _build(node: Draft, where: str, problems: list[Problem]) -> dict[str, Any] | None:
    spec = REGISTRY.get(node.kind)
    if spec is None:
        message = f"{node.kind!r} is not a predicate kind" if node.kind else "choose a kind"
        problems.append(Problem(f"{where}.kind", message))
        return None
    params: dict[str, Any] = {}
    for name, param in spec.params.items():
        at = f"{where}.params.{name}"
        if param.type == "predicate_list":
            if not node.children:
                problems.append(Problem(at, "add at least one condition"))
            params[name] = [_build(c, f"{at}[{i}]", problems) for i, c in enumerate(node.children)]
        elif param.type == "predicate":
            if node.children:
                params[name] = _build(node.children[0], at, problems)
            else:
                problems.append(Problem(at, "required"))
        else:
            present, value = _parse(widget_type(name, param), node.raw.get(name), param, at, problems)
            if present:
                params[name] = value
    return {"kind": node.kind, "params": params}


def _parse(wtype: str, raw, param: Param, at: str, problems: list[Problem]) -> tuple[bool, Any]:
    values = raw if isinstance(raw, list) else ([] if raw is None else [raw])
    if any("\x00" in v for v in values):
        problems.append(Problem(at, "contains a NUL character"))
        return False, None
    if wtype in LIST_WIDGETS:
        items = [v.strip() for v in values if v.strip()]
        return (True, items) if items else _absent(param, at, problems, "choose at least one")
    text = values[-1].strip() if values else ""
    if wtype == "bool":
        return True, text.lower() in ("on", "true", "yes", "1")
    if wtype == "tristate" and text in ("yes", "no"):
        return True, text == "yes"
    if not text or wtype == "tristate":
        return _absent(param, at, problems, "required")
    if wtype in ("int", "number"):
        return _number(text, wtype == "int", at, problems)
    if wtype == "tokens":
        tokens = split_tokens(text)
        long = [t for t in tokens if len(t) > TOKEN_MAX]
        if long:
            problems.append(
                Problem(at, f"{long[0][:TOKEN_MAX]}… is not a code (at most {TOKEN_MAX} characters)")
            )
            return False, None
        return (True, tokens) if tokens else _absent(param, at, problems, "required")
    return True, text


def _absent(param: Param, at: str, problems: list[Problem], message: str) -> tuple[bool, None]:
    if param.required:
        problems.append(Problem(at, message))
    return False, None


def _number(text: str, integer: bool, at: str, problems: list[Problem]) -> tuple[bool, Any]:
    if INT_TEXT.match(text):
        value: float = int(text)
    elif integer:
        problems.append(Problem(at, f"{text[:30]!r} is not a whole number (like 17)"))
        return False, None
    elif NUMBER_TEXT.match(text):
        value = float(text)
    else:
        problems.append(Problem(at, f"{text[:30]!r} is not a number (like 160 or 0.5)"))
        return False, None
    if not math.isfinite(value) or abs(value) > NUMBER_LIMIT:
        problems.append(Problem(at, f"out of range: at most {NUMBER_LIMIT:,} either side of 0"))
        return False, None
    return True, value


# ---------------------------------------------------------------------------------------------- structural edits


def find(tree: Draft, path: str) -> tuple[Draft | None, Draft | None, int]:
    """The node at `path`, its parent and its place among the parent's conditions (None when not there)."""
    steps = path.split(".")
    if steps[0] != ROOT:
        return None, None, -1
    node, parent, index = tree, None, -1
    for step in steps[1:]:
        index = 0 if step == "n" else int(step) if step.isdigit() and len(step) <= 3 else -1
        if not 0 <= index < len(node.children):
            return None, None, -1
        node, parent = node.children[index], node
    return node, parent, index


def apply_structure(tree: Draft, action: str) -> Draft:
    """Add a condition to all/any, remove one, or show a node with the kind chosen for it."""
    verb, _, path = action.partition(":")
    node, parent, index = find(tree, path)
    if node is None:
        return tree
    depth = path.count(".")
    if (
        verb == "add"
        and shape(node.kind) == "list"
        and len(node.children) < MAX_CHILDREN
        and depth < MAX_DEPTH
    ):
        node.children.append(blank())
    elif verb == "remove" and parent is not None and shape(parent.kind) == "list":
        del parent.children[index]
    elif verb == "kind":
        change_kind(node)
    return tree


def change_kind(node: Draft) -> None:
    """Show `node` as its newly chosen kind: a condition that becomes all, any or not is kept as their first
    condition, all/any with several conditions that becomes not keeps them under one all/any, and a node
    that becomes a simple condition drops its conditions. Parameter values stay (shared names carry over)."""
    old, new = node.was, node.kind
    if old in REGISTRY and new in REGISTRY and old != new:
        before, after = shape(old), shape(new)
        if after and not before:
            node.children, node.raw = [Draft(old, old, node.raw)], {}
        elif after == "single" and before == "list" and len(node.children) > 1:
            node.children = [Draft(old, old, {}, node.children)]
        elif not after:
            node.children = []
    node.was = new


def kinds_changed(tree: Draft, path: str = ROOT) -> list[str]:
    """Paths of nodes whose kind was changed without "Apply" in a way that changes the fields shown."""
    changed = []
    if tree.was and tree.was != tree.kind and tree.was in REGISTRY and tree.kind in REGISTRY:
        same = set(REGISTRY[tree.was].params) == set(REGISTRY[tree.kind].params)
        if not (same and shape(tree.kind) in ("", "list")):
            changed.append(path)
    single = shape(tree.kind) == "single"
    for i, child in enumerate(tree.children):
        changed += kinds_changed(child, f"{path}.n" if single else f"{path}.{i}")
    return changed


def apply_kind_changes(tree: Draft) -> None:
    for path in kinds_changed(tree):
        node, _, _ = find(tree, path)
        if node is not None:
            change_kind(node)
