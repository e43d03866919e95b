"""`ketamine-intake/1`: validation of the whole document (every problem named by its path) and the
conversion of a valid document into engine facts. Pure Python: used by the CLI, import and the API.
"""

from ..engine.problems import Problem
from .checker import EARLIEST, LATEST, IntakeInvalid, is_encodable, unstorable_text
from .facts import facts_from_intake
from .snapshot import describe_changes, intake_sha256
from .validate import INTAKE_FORMAT, MRN, normalize_icd10, validate_intake

__all__ = [
    "EARLIEST",
    "INTAKE_FORMAT",
    "LATEST",
    "MRN",
    "IntakeInvalid",
    "Problem",
    "describe_changes",
    "facts_from_intake",
    "intake_sha256",
    "is_encodable",
    "normalize_icd10",
    "unstorable_text",
    "validate_intake",
]
