"""The pure screening engine: no Django, no ORM, no clock, no I/O.

report = evaluate(facts, ruleset, as_of)
new, old = Comparison(draft, active).outcomes(facts, as_of)   # verdicts and rule codes only
"""

from .compare import Comparison, Outcome
from .evaluate import ENGINE_VERSION, Finding, MedicationAnalysis, Report, evaluate
from .facts import BloodPressureReading, Diagnosis, Drug, Facts, Medication
from .predicates import REGISTRY, validate_predicate
from .report_json import REPORT_FORMAT, report_to_dict
from .ruleset import RuleSet, RuleSetInvalid, content_sha256, ruleset_from_data, validate_ruleset_data
from .severity import SEVERITIES, VERDICTS

__all__ = [
    "ENGINE_VERSION",
    "REGISTRY",
    "REPORT_FORMAT",
    "SEVERITIES",
    "VERDICTS",
    "BloodPressureReading",
    "Comparison",
    "Diagnosis",
    "Drug",
    "Facts",
    "Finding",
    "Medication",
    "MedicationAnalysis",
    "Outcome",
    "Report",
    "RuleSet",
    "RuleSetInvalid",
    "content_sha256",
    "evaluate",
    "report_to_dict",
    "ruleset_from_data",
    "validate_predicate",
    "validate_ruleset_data",
]
