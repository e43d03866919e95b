"""The test bench of a rule set runs once per content and formulary; the results are stored with the
rule-set version and read back until the draft's content or the formulary changes."""

import pytest
from django.db import DatabaseError

from formulary.models import FormularyEntry
from rules import bench
from rules.bench import ruleset_test_results
from rules.models import RuleSet, TestBenchRun
from rules.selectors import active_ruleset, ruleset_document
from rules.services import rule_update, ruleset_clone
from screening.engine import content_sha256
from tests.defaults_snapshot import load_defaults_for_test

pytestmark = pytest.mark.django_db


@pytest.fixture
def runs(monkeypatch):
    """How often the cases were really run."""
    calls = []
    real = bench.run_cases
    monkeypatch.setattr(bench, "_MEMO", {})  # a process that has run nothing yet
    monkeypatch.setattr(bench, "run_cases", lambda *args, **kwargs: calls.append(1) or real(*args, **kwargs))
    return calls


@pytest.fixture
def document():
    load_defaults_for_test()
    return ruleset_document(active_ruleset())


def test_the_same_content_is_run_once(runs, document):
    first = ruleset_test_results(document)
    second = ruleset_test_results(document)

    assert (len(runs), second) == (1, first)
    assert len(first) > 100 and all(r.passed for r in first)


def test_the_run_is_stored_with_the_version_and_read_back_whole(runs, document):
    results = ruleset_test_results(document)

    run = TestBenchRun.objects.get()
    assert (run.version, run.sha256) == (document["version"], content_sha256(document))
    assert len(run.results) == len(results)
    assert bench._loaded(run.results) == results


def test_a_stored_run_is_read_by_another_process(runs, document):
    """Nothing is kept in this process: a second process (or a restart) reads the same stored row."""
    ruleset_test_results(document)
    TestBenchRun.objects.update(
        results=[{"rule": "X-Y", "name": "stored", "expected_fire": True, "fired": False, "problem": ""}]
    )

    again = ruleset_test_results(document)

    assert (len(runs), [r.name for r in again]) == (1, ["stored"])


def test_one_rule_is_read_from_the_whole_run(runs, document):
    ruleset_test_results(document)

    only = ruleset_test_results(document, only="BP-STAGE2")

    assert (len(runs), {r.rule for r in only}) == (1, {"BP-STAGE2"})


def test_changed_content_is_run_again(runs, document):
    ruleset_test_results(document)
    document["rules"][0]["title"] = "Reworded"

    ruleset_test_results(document)

    assert len(runs) == 2


def test_a_formulary_change_runs_the_cases_again(runs, document):
    ruleset_test_results(document)
    FormularyEntry.objects.create(generic="zzyzxol", atc=["N06AX99"])

    ruleset_test_results(document)

    assert len(runs) == 2
    assert TestBenchRun.objects.count() == 2  # the published content keeps its run per formulary


def test_a_changed_draft_keeps_only_its_current_run(runs, document, rules_admin):
    draft = ruleset_clone(source=active_ruleset(), version="2026.1-draft", created_by=rules_admin)
    ruleset_test_results(ruleset_document(draft))
    rule = draft.rules.get(code="BP-STAGE2")

    rule_update(rule=rule, values={"title": "Stage 2 hypertension, reworded"}, user=rules_admin)
    ruleset_test_results(ruleset_document(RuleSet.objects.get(pk=draft.pk)))

    stored = TestBenchRun.objects.filter(version="2026.1-draft")
    assert stored.count() == 1
    assert stored.get().sha256 == content_sha256(ruleset_document(RuleSet.objects.get(pk=draft.pk)))


def test_a_file_tested_under_a_published_label_leaves_the_published_run(runs, document):
    ruleset_test_results(document)
    # three rules only (the day-of checklist names rules that are no longer in it: left out too)
    protocol = {k: v for k, v in document["protocol"].items() if k != "day_of_checklist"}
    other = {**document, "protocol": protocol, "rules": document["rules"][:3]}

    ruleset_test_results(other)

    assert TestBenchRun.objects.filter(version=document["version"]).count() == 2


def test_a_database_that_cannot_give_the_stored_runs_still_runs_every_case(runs, document, monkeypatch):
    """The stored runs are a cache: when they cannot be read or written, the cases run, never skipped."""

    def broken(*args, **kwargs):
        raise DatabaseError("no such table: rules_testbenchrun")

    before = len(runs)
    monkeypatch.setattr(bench, "_MEMO", {})  # another process, whose database cannot give the runs
    monkeypatch.setattr(TestBenchRun.objects, "filter", broken)
    monkeypatch.setattr(TestBenchRun.objects, "create", broken)

    results = ruleset_test_results(document)

    assert len(runs) == before + 1 and len(results) > 100 and all(r.passed for r in results)


def test_a_new_database_with_the_same_content_reuses_this_processs_run(runs, document):
    """The results depend only on the two contents: a fresh database with the same rule set and formulary
    (a new test database, a second clinic on one server) is answered from this process's last run."""
    ruleset_test_results(document)
    TestBenchRun.objects.all().delete()

    again = ruleset_test_results(document)

    assert len(runs) == 1 and len(again) > 100
    assert TestBenchRun.objects.count() == 1  # and stored again
