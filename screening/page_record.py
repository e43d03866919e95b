"""What the patient page's screening panels read with the patient's record, in its one query
(patients.selectors.PAGE_RECORD, core.nested_read); imported by ScreeningConfig.ready, which registers it:
the readiness panel needs which rule set is active (for its blood pressure window; the compiled set is kept
per process), the history the patient's latest screenings and how many there are. And what the patient
list's first page reads with its rows (patients.selectors.LIST_FIRST_PAGE): each one's latest screening."""

from core.nested_read import Single
from patients.selectors import LIST_FIRST_PAGE, PAGE_RECORD
from rules.models import RuleSet

from .selectors import LATEST_WITH_RECORD, SCREENING_COUNT
from .worklist import LATEST_ON_LIST

PAGE_RECORD.add(Single("active_ruleset", RuleSet, where='"is_active"', fields=("version", "sha256")))
PAGE_RECORD.add(LATEST_WITH_RECORD)
PAGE_RECORD.add(SCREENING_COUNT)
LIST_FIRST_PAGE.add(LATEST_ON_LIST)  # as the list's other pages read it (screening.worklist)
