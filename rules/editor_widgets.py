"""What the rule page shows for each node of the predicate editor (editor.py): its kind select, one labelled
widget per parameter of its kind (a number with its unit, an intake answer and the values it can take,
choices as a select or checkboxes, a free list as comma-separated tokens) and each problem placed on the
widget or node its path names. The test cases' rows are shaped here too. Templates only lay these out."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from screening.engine import REGISTRY
from screening.engine.problems import Problem
from screening.engine.registry import Param, label
from screening.engine.vocabulary import ANSWERS, NUMBERS, SECTIONS

from .editor import LIST_WIDGETS, MAX_CHILDREN, MAX_DEPTH, ROOT, Draft, blank, shape, widget_type
from .rows import CaseDraft

LABELS = {
    "answer": "Intake answer",
    "answers": "Intake answers (any of them)",
    "values": "Has one of the values",
    "atc_prefixes": "ATC prefixes",
    "classes": "Formulary classes",
    "exclude_atc_prefixes": "Except ATC prefixes",
    "prefixes": "ICD-10-CM prefixes",
    "exclude_prefixes": "Except ICD-10-CM prefixes",
    "statuses": "Diagnosis statuses",
    "severities": "Diagnosis severities",
    "field": "Number",
    "below": "Below",
    "unknown_fires": "Also holds when the number is not recorded",
    "min": "Age at least",
    "max": "Age at most",
    "systolic": "Systolic",
    "diastolic": "Diastolic",
    "bpm": "Heart rate above",
    "mg": "Diazepam-equivalent",
}
UNITS = {
    "systolic": NUMBERS["systolic"].unit,
    "diastolic": NUMBERS["diastolic"].unit,
    "bpm": NUMBERS["heart_rate"].unit,
    "mg": "mg/day",
    "min": "years",
    "max": "years",
}
HELP = {
    "atc_prefixes": "Separated by commas, e.g. N05BA, N03AE.",
    "exclude_atc_prefixes": "Separated by commas, e.g. A08AA62.",
    "prefixes": "Separated by commas, e.g. F33, F43.1.",
    "exclude_prefixes": "Separated by commas, e.g. F32.2.",
    "classes": "Separated by commas, e.g. opioid, benzodiazepine.",
    "statuses": "None ticked: active only.",
    "severities": "None ticked: any severity.",
}


PLAIN_NUMBER = re.compile(r"^-?\d{1,9}(?:\.\d{1,9})?$")
STEP = re.compile(r"\.params\.(?:of\[(\d+)\]|predicate(?=\.|$))")
PARAM = re.compile(r"\.params\.(\w+)")


@dataclass
class Choice:
    value: str
    label: str
    selected: bool
    id: str = ""


@dataclass
class Widget:
    name: str  # the posted field name, "p.0.systolic"
    id: str
    label: str
    type: str  # int | number | bool | tristate | select | answer | answers | values | checkboxes | tokens | text
    required: bool
    value: str = ""
    input_type: str = "text"  # number, unless the text typed is not a plain number (shown again as typed)
    step: str = "any"
    unit: str = ""
    help: str = ""
    checked: bool = False
    choices: list[Choice] = field(default_factory=list)
    groups: list[tuple[str, list[Choice]]] = field(default_factory=list)
    datalist: str = ""
    errors: list[str] = field(default_factory=list)


@dataclass
class NodeView:
    path: str
    id: str
    label: str
    kind: str
    description: str
    kind_choices: list[Choice]
    widgets: list[Widget]
    hidden: list[
        tuple[str, str]
    ]  # values of parameters the shown kind does not have (kept for a change back)
    children: list[NodeView]
    can_add: bool
    can_remove: bool
    errors: list[str]
    kind_errors: list[str]


def html_id(name: str) -> str:
    return "id_" + re.sub(r"[^A-Za-z0-9_-]", "-", name)


def target(path: str) -> tuple[str, str] | None:
    """The node and the parameter ("kind" for its kind, "" for the node itself) that an engine path names:
    "predicate.params.of[1].params.systolic" is ("p.1", "systolic"); None when it is not a predicate's."""
    if path != "predicate" and not path.startswith("predicate."):
        return None
    rest, node = path[len("predicate") :], ROOT
    while m := STEP.match(rest):
        node += f".{m.group(1)}" if m.group(1) is not None else ".n"
        rest = rest[m.end() :]
    if rest.startswith(".kind"):
        return node, "kind"
    m = PARAM.match(rest)
    return node, m.group(1) if m else ""


def render_tree(tree: Draft, problems=(), datalist: str = "") -> tuple[NodeView, list[Problem]]:
    """The view of every node, and the problems that name no node on the page (shown above the form)."""
    placed: dict[tuple[str, str], list[Problem]] = {}
    unplaced: list[Problem] = []
    for problem in problems:
        where = target(problem.path)
        if where is None:
            unplaced.append(problem)
        else:
            placed.setdefault(where, []).append(problem)
    view = _node(tree, ROOT, "The rule fires when", 0, False, placed, datalist)
    unplaced += [p for problems_left in placed.values() for p in problems_left]
    return view, unplaced


def _take(placed, path: str, param: str) -> list[str]:
    return [p.message for p in placed.pop((path, param), [])]


def _node(node: Draft, path, title, depth, removable, placed, datalist) -> NodeView:
    spec = REGISTRY.get(node.kind)
    params = spec.params if spec else {}
    kinds = [Choice(name, f"{name}: {k.description}", name == node.kind) for name, k in REGISTRY.items()]
    if spec is None:
        kinds.insert(0, Choice(node.kind, node.kind or "— choose a kind —", True))
    widgets = [
        _widget(node, path, name, param, widget_type(name, param), _take(placed, path, name), datalist)
        for name, param in params.items()
        if widget_type(name, param) != "children"
    ]
    hidden = [
        (f"{path}.{name}", value)
        for name, raw in node.raw.items()
        if name not in params
        for value in (raw if isinstance(raw, list) else [raw])
        if value
    ]
    form = shape(node.kind)
    children = (node.children or [blank()]) if form else []
    if form == "single":
        children = children[:1]
    child_views = [
        _node(
            child,
            f"{path}.n" if form == "single" else f"{path}.{i}",
            "This must not hold" if form == "single" else f"Condition {i + 1}",
            depth + 1,
            form == "list",
            placed,
            datalist,
        )
        for i, child in enumerate(children)
    ]
    errors = [
        p.message for key in [k for k in placed if k[0] == path and k[1] != "kind"] for p in placed.pop(key)
    ]
    return NodeView(
        path=path,
        id=html_id(path),
        label=title,
        kind=node.kind,
        description=spec.description if spec else "",
        kind_choices=kinds,
        widgets=widgets,
        hidden=hidden,
        children=child_views,
        can_add=form == "list" and depth < MAX_DEPTH and len(children) < MAX_CHILDREN,
        can_remove=removable,
        errors=errors,
        kind_errors=_take(placed, path, "kind"),
    )


def _choices(options: list[tuple[str, str]], selected: list[str], base: str) -> list[Choice]:
    """The options, and any selected value that is not one of them (so nothing typed is lost)."""
    known = [value for value, _ in options]
    options = options + [(value, value) for value in selected if value not in known]
    return [Choice(v, text, v in selected, f"{base}-{i}") for i, (v, text) in enumerate(options)]


def _answer_groups(selected: list[str], base: str) -> list[tuple[str, list[Choice]]]:
    in_sections = {name for fields in SECTIONS.values() for name in fields}
    groups = [("patient and medications", [n for n in ANSWERS if n not in in_sections])]
    groups += [(label(section), list(fields)) for section, fields in SECTIONS.items()]
    other = [v for v in selected if v not in ANSWERS]
    groups += [("not intake answers", other)] if other else []
    return [
        (title, [Choice(n, label(n), n in selected, f"{base}-{g}-{i}") for i, n in enumerate(names)])
        for g, (title, names) in enumerate(groups)
    ]


def _widget(node: Draft, path, name, param: Param, wtype, errors, datalist) -> Widget:
    key = f"{path}.{name}"
    raw = node.raw.get(name, [] if wtype in LIST_WIDGETS else "")
    selected = raw if isinstance(raw, list) else [raw] if raw else []
    text = raw if isinstance(raw, str) else ", ".join(raw)
    w = Widget(key, html_id(key), LABELS.get(name, label(name).capitalize()), wtype, param.required)
    w.help, w.errors, w.value = HELP.get(name, ""), errors, text
    if not param.required and wtype not in ("checkboxes", "tristate"):
        w.help = (w.help + " Optional: blank means not used.").strip()
    if wtype in ("int", "number"):
        w.input_type = "number" if not text or PLAIN_NUMBER.match(text) else "text"
        w.step = "1" if wtype == "int" else "any"
        number = node.raw.get("field")
        w.unit = NUMBERS[number].unit if name == "below" and number in NUMBERS else UNITS.get(name, "")
    elif wtype == "bool":
        w.checked = text.lower() in ("on", "true", "yes", "1")
    elif wtype == "tristate":
        w.choices = _choices([("", "— not used —"), ("yes", "yes"), ("no", "no")], [text], w.id)
    elif wtype == "select":
        options = [
            (c, f"{label(c)} ({NUMBERS[c].unit})" if c in NUMBERS else label(c)) for c in param.choices
        ]
        w.choices = _choices([("", "— choose —"), *options], [text], w.id)
    elif wtype in ("answer", "answers"):
        w.groups = _answer_groups(selected, w.id)
    elif wtype == "values":
        spec = REGISTRY[node.kind]
        chosen = [node.raw.get("answer")] if "answer" in spec.params else node.raw.get("answers", [])
        known = [a for a in chosen if isinstance(a, str) and a in ANSWERS] or list(ANSWERS)
        values = list(dict.fromkeys(v for a in known for v in ANSWERS[a]))
        w.choices = _choices([(v, v) for v in values], selected, w.id)
        w.help = "The values of the chosen answer(s); Apply after changing the answer to refresh them."
    elif wtype == "checkboxes":
        w.choices = _choices([(c, label(c)) for c in param.choices], selected, w.id)
    elif wtype == "tokens" and name == "classes":
        w.datalist = datalist
    return w


# ---------------------------------------------------------------------------------------------- rows


def field_view(name: str, value, errors: dict[str, list[str]]) -> dict:
    text = value if isinstance(value, str) else ""
    return {
        "name": name,
        "id": html_id(name),
        "value": value,
        "errors": errors.get(name, []),
        "long": len(text) > 40 or text.startswith(("[", "{")),
    }


def row_views(rows, prefix: str, errors, blank: int, names=("path", "value")) -> list[dict]:
    """Numbered rows of two fields ("<prefix>.<j>.path" and ".value" by default), then `blank` empty ones."""
    rows = [*rows, *[("", "")] * blank]
    return [
        {
            name: field_view(f"{prefix}.{j}.{name}", value, errors)
            for name, value in zip(names, row, strict=True)
        }
        for j, row in enumerate(rows)
    ]


def case_views(cases: list[CaseDraft], errors: dict[str, list[str]]) -> list[dict]:
    """Each test case, then one blank case to add; each with its intake rows and a few blank ones."""
    views = []
    for k, case in enumerate([*cases, CaseDraft()]):
        at = f"t.{k}"
        views.append(
            {
                "number": k + 1,
                "new": k == len(cases),
                "caption": "New test case" if k == len(cases) else f"Test case {k + 1}",
                "name": field_view(f"{at}.name", case.name, errors),
                "fires": field_view(f"{at}.fires", case.fires, errors),
                "remove": field_view(f"{at}.remove", case.remove, errors),
                "rows": row_views(case.rows, f"{at}.r", errors, 2 if case.rows else 3),
                "errors": errors.get(at, []),
            }
        )
    return views
