"""What the patient page's screening panels read with the patient's record, in its one query
(patients.selectors.PAGE_RECORD, core.nested_read); imported by ScreeningConfig.ready, which registers it:
the readiness panel needs which rule set is active (for its blood pressure window; the compiled set is kept
per process), the history the patient's latest screenings and how many there are."""

from core.nested_read import Single
from patients.selectors import PAGE_RECORD
from rules.models import RuleSet

from .selectors import LATEST_WITH_RECORD, SCREENING_COUNT

PAGE_RECORD.add(Single("active_ruleset", RuleSet, where='"is_active"', fields=("version", "sha256")))
PAGE_RECORD.add(LATEST_WITH_RECORD)
PAGE_RECORD.add(SCREENING_COUNT)
