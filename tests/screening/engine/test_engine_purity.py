"""The engine is pure (STYLE.md, principle 1): stdlib and itself only, no clock, no I/O, no eval."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from .builders import PROJECT

ENGINE = PROJECT / "screening" / "engine"
ENGINE_PACKAGE = "screening.engine"
ENGINE_FILES = sorted(ENGINE.rglob("*.py"))

FORBIDDEN_ATTRIBUTES = {"now", "utcnow", "today", "fromtimestamp"}  # the clock: as_of is passed in
FORBIDDEN_CALLS = {"open", "eval", "exec", "compile", "__import__", "input"}


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imported_modules(tree: ast.Module) -> list[str]:
    """Absolute module names; relative imports (`from .facts import Facts`) stay inside the engine."""
    names = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    names += [
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
    ]
    return names


def is_allowed(module: str) -> bool:
    top = module.split(".")[0]
    return (
        top in sys.stdlib_module_names or module == ENGINE_PACKAGE or module.startswith(ENGINE_PACKAGE + ".")
    )


def relative_imports_leaving_the_engine(tree: ast.Module) -> list[str]:
    return [
        f"{'.' * node.level}{node.module or ''}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level > 1
    ]


def forbidden_uses(tree: ast.Module) -> list[str]:
    found = [
        f"line {node.lineno}: .{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRIBUTES
    ]
    found += [
        f"line {node.lineno}: {node.func.id}("
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_CALLS
    ]
    return found


def test_engine_files_are_found():
    assert {p.name for p in ENGINE_FILES} >= {
        "facts.py",
        "predicates.py",
        "context.py",
        "evaluate.py",
        "ruleset.py",
        "severity.py",
    }


@pytest.mark.parametrize("path", ENGINE_FILES, ids=lambda p: p.name)
def test_engine_imports_only_the_standard_library_and_itself(path):
    tree = parse(path)

    assert [m for m in imported_modules(tree) if not is_allowed(m)] == []
    assert relative_imports_leaving_the_engine(tree) == []


@pytest.mark.parametrize("path", ENGINE_FILES, ids=lambda p: p.name)
def test_engine_reads_no_clock_files_or_code(path):
    assert forbidden_uses(parse(path)) == []


@pytest.mark.parametrize(
    ("source", "offence"),
    [
        ("import django", "import"),
        ("from django.db import models", "import"),
        ("import requests", "import"),
        ("from ..models import RuleSet", "relative"),
        ("x = datetime.now()", "use"),
        ("x = date.today()", "use"),
        ("x = open('rules.json')", "use"),
        ("x = eval('1 + 1')", "use"),
    ],
)
def test_the_purity_checks_catch_an_offence(source, offence):
    tree = ast.parse(source)
    found = {
        "import": [m for m in imported_modules(tree) if not is_allowed(m)],
        "relative": relative_imports_leaving_the_engine(tree),
        "use": forbidden_uses(tree),
    }

    assert found[offence] != []


def test_importing_the_engine_loads_no_django():
    code = (
        "import sys, screening.engine\n"
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(loaded)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT)},
    )

    assert result.stdout.strip() == "[]"
