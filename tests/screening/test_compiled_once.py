"""What never changes is built once per process: a published rule set is compiled once per version and
content hash, and the formulary lookup is rebuilt only when a formulary change renews its stamp. "Screen
now" therefore reads neither the rules nor the formulary entries on a warm process."""

import json
import re
import statistics
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from formulary import selectors as formulary_selectors
from formulary.models import FormularyEntry
from formulary.selectors import current_formulary
from formulary.services import formulary_load
from patients.services import intake_import
from rules import selectors as rule_selectors
from rules.models import RuleSet
from rules.selectors import active_ruleset, engine_ruleset
from rules.services import rule_update, ruleset_clone, ruleset_import
from screening.models import Screening
from screening.selectors import review_states
from screening.services import screening_run
from tests.conftest import EXAMPLES
from tests.defaults_snapshot import load_defaults_for_test

pytestmark = pytest.mark.django_db


@pytest.fixture
def defaults():
    load_defaults_for_test()


@pytest.fixture
def patient(defaults):
    return intake_import(doc=json.loads((EXAMPLES / "deferred-bp-and-benzodiazepine.json").read_text()))[0]


def tables_read(queries) -> set[str]:
    """The formulary and rule tables that a query reads as its main table (not the read of a medication's
    formulary entry by its id, with the record: `FROM "screening_formularyentry" c1j0 WHERE c1j0."id" =`)."""
    return {
        table
        for query in queries
        for table in ("screening_formularyentry", "screening_rule")
        if re.search(rf'FROM "{table}"(?! (\w+) WHERE \1\."id" = )', query["sql"])
    }


# Before screening, the rule set's rows are shown to be the ones published (rules.selectors
# verified_engine_ruleset): on PostgreSQL by their row versions (xmin), one small query that reads no rule
# content; SQLite has no row versions, so there the rules are read and hashed on every screening.
RULES_READ_WHEN_WARM = set() if connection.vendor == "postgresql" else {"screening_rule"}


def test_a_warm_screen_now_reads_no_formulary_entry_and_no_rule_content_on_postgresql(patient, clinician):
    screening_run(patient=patient, requested_by=clinician)  # warms this process

    with CaptureQueriesContext(connection) as queries:
        screening_run(patient=patient, requested_by=clinician)

    assert tables_read(queries.captured_queries) == RULES_READ_WHEN_WARM


def test_a_cold_process_reads_both_once(patient, clinician, monkeypatch):
    monkeypatch.setattr(rule_selectors, "_COMPILED", {})
    monkeypatch.setattr(formulary_selectors, "_cached", None)

    with CaptureQueriesContext(connection) as queries:
        screening_run(patient=patient, requested_by=clinician)

    assert tables_read(queries.captured_queries) == {"screening_formularyentry", "screening_rule"}


def test_a_warm_screening_gives_the_same_report_as_a_cold_one(patient, clinician, monkeypatch):
    warm = screening_run(patient=patient, requested_by=clinician)
    monkeypatch.setattr(rule_selectors, "_COMPILED", {})
    monkeypatch.setattr(formulary_selectors, "_cached", None)

    cold = screening_run(patient=patient, requested_by=clinician)

    assert cold.report == warm.report


def test_a_saved_formulary_entry_is_seen_at_once(defaults):
    assert current_formulary().lookup("Zzyzxol") is None

    FormularyEntry.objects.create(generic="zzyzxol", atc=["N06AX99"])

    assert current_formulary().lookup("Zzyzxol").drug.generic == "zzyzxol"


def test_a_deleted_formulary_entry_is_gone_at_once(defaults):
    current_formulary()
    FormularyEntry.objects.get(generic="lamotrigine").delete()

    assert current_formulary().lookup("lamotrigine") is None


def test_a_formulary_load_is_seen_at_once(defaults):
    current_formulary()
    formulary_load(
        data={"format": "ketamine-formulary/1", "entries": [{"generic": "zzyzxol", "atc": ["N06AX99"]}]}
    )

    assert current_formulary().lookup("zzyzxol") is not None


def test_a_draft_is_compiled_again_after_each_edit(defaults, rules_admin):
    draft = ruleset_clone(source=active_ruleset(), version="2026.1-draft", created_by=rules_admin)
    before = engine_ruleset(draft)
    rule = draft.rules.get(code="BP-STAGE2")

    rule_update(rule=rule, values={"title": "Blood pressure far too high"}, user=rules_admin)
    draft = RuleSet.objects.get(pk=draft.pk)

    after = engine_ruleset(draft)
    assert next(r.title for r in before.rules if r.code == "BP-STAGE2") != "Blood pressure far too high"
    assert next(r.title for r in after.rules if r.code == "BP-STAGE2") == "Blood pressure far too high"


def median_seconds(action, runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def test_the_cached_rule_set_costs_a_fraction_of_compiling_it(defaults, monkeypatch):
    row = active_ruleset()
    engine_ruleset(row)

    def cold():
        monkeypatch.setattr(rule_selectors, "_COMPILED", {})
        engine_ruleset(RuleSet.objects.get(pk=row.pk))

    warm = median_seconds(lambda: engine_ruleset(RuleSet.objects.get(pk=row.pk)))

    assert warm < median_seconds(cold) / 5


def test_the_cached_formulary_costs_a_fraction_of_building_it(defaults, monkeypatch):
    current_formulary()

    def cold():
        monkeypatch.setattr(formulary_selectors, "_cached", None)
        current_formulary()

    warm = median_seconds(current_formulary)

    assert warm < median_seconds(cold) / 5


def test_a_retired_rule_set_is_compiled_once_too(defaults, clinician):
    """Screenings made under a set that a later publish retired are listed without reading its rules again."""
    screening = screening_run(
        patient=intake_import(doc=json.loads((EXAMPLES / "eligible.json").read_text()))[0],
        requested_by=clinician,
    )
    document = rule_selectors.ruleset_document(active_ruleset())
    document["version"] = "2026.1-next"
    ruleset_import(data=document, shipped=True, note="retires 2026.1")
    old = RuleSet.objects.get(pk=screening.ruleset_id)
    assert old.status == RuleSet.Status.RETIRED
    review_states([Screening.objects.select_related("ruleset").get(pk=screening.pk)])

    with CaptureQueriesContext(connection) as queries:
        review_states([Screening.objects.select_related("ruleset").get(pk=screening.pk)])

    assert tables_read(queries.captured_queries) == set()
