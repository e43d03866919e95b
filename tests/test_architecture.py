"""The import graph of the product: apps import one way, no module cycle, pure packages stay pure, and no
import hides inside a function to dodge a cycle.

Order, lowest first (a unit may import its own modules and any unit below it, never one above):
  screening.engine < screening.intake < core < formulary < patients < rules < screening < infusions < interop < api
  < config
"""

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

LAYERS = (
    "screening.engine",
    "screening.intake",
    "core",
    "formulary",
    "patients",
    "rules",
    "screening",
    "infusions",
    "interop",
    "api",
    "config",
)
PURE = ("screening.engine", "screening.intake")
PACKAGES = ("core", "formulary", "patients", "rules", "screening", "infusions", "interop", "api", "config")
# Imports that may stay inside a function, each for a stated reason.
ALLOWED_IN_FUNCTIONS = {
    ("screening.tasks", "screening.services"): "a Celery task imports its service in its body (HackSoft)",
    ("screening.tasks", "screening.impact"): "a Celery task imports its service in its body (HackSoft)",
    ("formulary.apps", "formulary.signals"): "AppConfig.ready() connects the signal receivers",
    ("core.apps", "core.signals"): "AppConfig.ready() connects the signal receivers",
    ("core.apps", "core.sessions"): "AppConfig.ready() connects the signal receivers",
    ("patients.apps", "patients.signals"): "AppConfig.ready() tracks the record's changes in the audit trail",
    ("screening.apps", "screening.signals"): "AppConfig.ready() tracks screenings and decisions",
    ("infusions.apps", "infusions.signals"): "AppConfig.ready() tracks the infusion records",
    ("screening.apps", "screening.page_record"): "AppConfig.ready() registers the patient page's reads",
    ("infusions.apps", "infusions.page_record"): "AppConfig.ready() registers the patient page's reads",
    ("infusions.tasks", "infusions.sheet"): "a Celery task imports its service in its body (HackSoft)",
    ("rules.apps", "rules.signals"): "AppConfig.ready() records governance steps in the audit trail",
    ("patients.icd10", "simple_icd_10_cm"): "the ICD-10-CM code list is large: loaded on first use",
    ("screening.pdf", "weasyprint"): "WeasyPrint is heavy and optional: loaded when a PDF is rendered",
}


def layer_of(module: str) -> str | None:
    """The layer a module belongs to (the longest matching prefix), or None for third-party modules."""
    matches = [layer for layer in LAYERS if module == layer or module.startswith(layer + ".")]
    return max(matches, key=len) if matches else None


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def source_modules() -> list[tuple[str, Path]]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts and path.name != "testenv.py":
                found.append((module_name(path), path))
    return found


MODULES: dict[str, Path] = {}


def resolve(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(module: str, path: Path) -> list[tuple[str, bool]]:
    """(imported module, inside a function?) for every import outside `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    found: list[tuple[str, bool]] = []

    def visit(node, in_function: bool):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            return
        if isinstance(node, ast.Import):
            found.extend((alias.name, in_function) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = resolve(module, node, is_package)
            submodules = [
                f"{target}.{alias.name}" for alias in node.names if f"{target}.{alias.name}" in MODULES
            ]
            # `from package import module` imports that module (the package is already being imported)
            found.extend((name, in_function) for name in submodules)
            if len(submodules) < len(node.names):
                found.append((target, in_function))
        inner = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(tree, False)
    return found


MODULES.update(source_modules())


def edges() -> list[tuple[str, str, bool]]:
    result = []
    for module, path in MODULES.items():
        for target, in_function in imports_of(module, path):
            if target in MODULES:
                result.append((module, target, in_function))
            elif layer_of(target) and target.rsplit(".", 1)[0] in MODULES:
                result.append((module, target.rsplit(".", 1)[0], in_function))
    return result


def test_the_graph_covers_every_app():
    assert {layer_of(m) for m in MODULES} == set(LAYERS)


def test_no_module_imports_a_layer_above_its_own():
    upward = [
        f"{source} -> {target}"
        for source, target, _ in edges()
        if LAYERS.index(layer_of(target)) > LAYERS.index(layer_of(source))
    ]
    assert upward == []


def test_the_pure_packages_import_no_django_and_no_app():
    impure = [
        f"{module} imports {target}"
        for module, path in MODULES.items()
        if layer_of(module) in PURE
        for target, _ in imports_of(module, path)
        if target.split(".")[0] in {"django", "celery", "weasyprint"}
        or (layer_of(target) is not None and layer_of(target) not in PURE)
    ]
    assert impure == []


def test_no_import_inside_a_function_body_but_the_stated_exceptions():
    hidden = [
        f"{module} imports {target} inside a function"
        for module, path in MODULES.items()
        for target, in_function in imports_of(module, path)
        if in_function
        and (module, target) not in ALLOWED_IN_FUNCTIONS
        and (module, target.rsplit(".", 1)[0]) not in ALLOWED_IN_FUNCTIONS
        and target.split(".")[0] not in {"hashlib"}
    ]
    assert hidden == []


def test_there_is_no_import_cycle_between_modules():
    graph: dict[str, set[str]] = {}
    for source, target, in_function in edges():
        if not in_function and source != target:
            graph.setdefault(source, set()).add(target)
    state: dict[str, int] = {}
    cycles: list[str] = []

    def walk(node: str, trail: list[str]):
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*trail[trail.index(nxt) :], nxt]))
            elif nxt not in state:
                walk(nxt, [*trail, nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            walk(start, [start])
    assert cycles == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_source_module_is_over_400_lines(module):
    assert len(MODULES[module].read_text(encoding="utf-8").splitlines()) <= 400
