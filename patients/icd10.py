"""ICD-10-CM code list lookups (simple-icd-10-cm). Loading the list takes about 3 s: a web process loads it
as it starts (config/wsgi.py calls icd10_preload), so no request pays for it; management commands and
workers that never validate a code load it on first use, or never."""

import os
from functools import cache


@cache
def _codes():
    import simple_icd_10_cm

    return simple_icd_10_cm


def icd10_known(code: str) -> bool:
    return _codes().is_valid_item(code)


def icd10_description(code: str) -> str:
    return _codes().get_description(code) if icd10_known(code) else ""


def icd10_preload() -> None:
    """Load the code list now (a web process, at start). ICD10_PRELOAD=0 leaves it to the first lookup."""
    if os.environ.get("ICD10_PRELOAD", "1") != "0":
        _codes()
