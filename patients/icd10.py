"""ICD-10-CM code list lookups (simple-icd-10-cm), imported on first use: loading the list takes seconds,
and management commands and workers that never validate a code should not pay for it."""

from functools import cache


@cache
def _codes():
    import simple_icd_10_cm

    return simple_icd_10_cm


def icd10_known(code: str) -> bool:
    return _codes().is_valid_item(code)


def icd10_description(code: str) -> str:
    return _codes().get_description(code) if icd10_known(code) else ""
