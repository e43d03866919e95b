"""What the patient page's Infusions section reads with the patient's record, in its one query
(patients.selectors.PAGE_RECORD, core.nested_read): the patient's infusions, newest first. Imported by
InfusionsConfig.ready, which registers it."""

from core.nested_read import Child
from patients.selectors import PAGE_RECORD

from .selectors import NEWEST_FIRST

PAGE_RECORD.add(Child("infusions", ordering=NEWEST_FIRST))
