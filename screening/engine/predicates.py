"""Every predicate kind a rule may use, registered. Rules are data; these kinds are the only code they reach.

Each kind declares its parameters (validated when a rule set is loaded or saved) and an evaluator that
returns a Hit (the predicate holds, with evidence naming the actual values) or None.
"""

from . import kinds_measures, kinds_medications, kinds_record  # noqa: F401 (importing a kinds module registers its kinds)
from .registry import (
    REGISTRY,
    Compiled,
    Hit,
    Kind,
    Param,
    compile_predicate,
    evaluate_predicate,
    fmt_number,
    label,
    validate_predicate,
)

__all__ = [
    "REGISTRY",
    "Compiled",
    "Hit",
    "Kind",
    "Param",
    "compile_predicate",
    "evaluate_predicate",
    "fmt_number",
    "label",
    "validate_predicate",
]
