"""The test bench of a rule set runs again only when its content or the formulary changed."""

from io import StringIO

import pytest
from django.core.management import call_command

from formulary.models import FormularyEntry
from rules import selectors
from rules.selectors import active_ruleset, ruleset_document, ruleset_test_results

pytestmark = pytest.mark.django_db


@pytest.fixture
def runs(monkeypatch):
    """How often the cases were really run."""
    calls = []
    real = selectors.run_cases
    monkeypatch.setattr(selectors, "_BENCH", {})
    monkeypatch.setattr(
        selectors, "run_cases", lambda *args, **kwargs: calls.append(1) or real(*args, **kwargs)
    )
    return calls


@pytest.fixture
def document():
    call_command("load_defaults", stdout=StringIO())
    return ruleset_document(active_ruleset())


def test_the_same_content_is_run_once(runs, document):
    first = ruleset_test_results(document)
    second = ruleset_test_results(document)

    assert (len(runs), second) == (1, first)


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
