"""The default rule set is criteria.md as data, and every criteria rule is tested on both sides of its boundary.

Rule set 2026.3 is the contract 2026.2 plus the product's own rules over the baseline measures (MEAS-*,
issue 18): those are the only codes allowed beyond the contract's."""

import re

import pytest

from . import (
    test_blood_pressure,
    test_cardiovascular,
    test_dose_range,
    test_indication,
    test_medications,
    test_other_medical,
    test_pregnancy,
    test_psychiatric,
    test_support,
)
from .builders import CRITERIA_PATH, default_ruleset

CASE_MODULES = (
    test_indication,
    test_psychiatric,
    test_blood_pressure,
    test_cardiovascular,
    test_pregnancy,
    test_other_medical,
    test_medications,
    test_support,
    test_dose_range,
)
ROW = re.compile(r"^\| ([A-Z]+(?:-[A-Z0-9]+)+) \| (\w+) \|(.*)\|\s*$", re.MULTILINE)
SOURCES = re.compile(r"^[SA]\d+(?:, [SA]\d+)*$")


def criteria_rows() -> dict[str, tuple[str, tuple[str, ...] | None]]:
    """code -> (severity, sources or None where the table has no sources column)."""
    rows = {}
    for code, severity, rest in ROW.findall(CRITERIA_PATH.read_text(encoding="utf-8")):
        last = rest.split("|")[-1].strip()
        rows[code] = (severity, tuple(last.split(", ")) if SOURCES.match(last) else None)
    return rows


CRITERIA = criteria_rows()
RULES = {rule.code: rule for rule in default_ruleset().rules}
# The product rules beyond the contract (not in docs/contract/criteria.md), with their severity and sources.
PRODUCT_RULES = {
    "MEAS-CSSRS-RISK": ("defer", ("A1",)),
    "MEAS-PHQ9-ITEM9": ("review", ("A1",)),
}


def codes_in(table_name: str) -> set[str]:
    return {param.values[0] for module in CASE_MODULES for param in getattr(module, table_name)}


def test_criteria_lists_58_rules():
    assert len(CRITERIA) == 58


def test_default_rule_set_has_exactly_the_criteria_codes_and_the_product_rules():
    assert sorted(RULES) == sorted([*CRITERIA, *PRODUCT_RULES])


def test_the_product_rules_are_not_in_the_contract():
    assert set(PRODUCT_RULES) & set(CRITERIA) == set()


@pytest.mark.parametrize("code", sorted(PRODUCT_RULES))
def test_product_rule_has_its_documented_severity_and_sources(code):
    assert (RULES[code].severity, RULES[code].sources) == PRODUCT_RULES[code]


@pytest.mark.parametrize("code", sorted(CRITERIA))
def test_rule_has_the_severity_of_the_criteria(code):
    assert RULES[code].severity == CRITERIA[code][0]


@pytest.mark.parametrize("code", sorted(c for c, (_, sources) in CRITERIA.items() if sources))
def test_rule_cites_the_sources_of_the_criteria(code):
    assert RULES[code].sources == CRITERIA[code][1]


def test_every_criteria_rule_has_a_case_that_fires_it():
    assert set(CRITERIA) - codes_in("FIRES") == set()


def test_every_criteria_rule_has_a_case_that_shows_it_silent():
    assert set(CRITERIA) - codes_in("SILENT") == set()


def test_case_tables_name_only_real_rules():
    assert (codes_in("FIRES") | codes_in("SILENT")) - set(CRITERIA) == set()
