"""An impact preview at clinic scale (issue 16): its cost per screening is the comparison alone. Both rule sets
are compiled once per run, the stored snapshots are validated again (fail closed) and read in chunks,
and the progress is written every PROGRESS_EVERY screenings: the queries and compilations of a run do not grow
with the number of screenings."""

import json
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from patients.services import intake_import
from rules import selectors
from screening import impact
from screening.impact import impact_preview_run, impact_preview_start
from screening.models import ImpactPreview, Screening
from screening.services import screening_run
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 11, 20)
EXAMPLE_NAMES = ("eligible", "deferred-bp-and-benzodiazepine", "contraindicated-avm", "needs-information")


@pytest.fixture(autouse=True)
def small_cohorts_shown(settings):
    settings.RULES_IMPACT_MIN_SCREENINGS = 1


@pytest.fixture
def screenings(active, clinician):
    """24 screenings: six of each example's patient."""
    patients = [intake_import(doc=json.loads((EXAMPLES / f"{n}.json").read_text()))[0] for n in EXAMPLE_NAMES]
    return [
        screening_run(patient=patient, requested_by=clinician, as_of=AS_OF).pk
        for _ in range(6)
        for patient in patients
    ]


@pytest.fixture
def counted(monkeypatch):
    """How many times a run compiles a rule set and validates a stored intake."""
    calls = {"compiled": 0, "validated": 0}
    monkeypatch.setattr(selectors, "_COMPILED", {})  # a fresh process: nothing compiled yet

    def counting(name, function):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(selectors, "ruleset_from_data", counting("compiled", selectors.ruleset_from_data))
    monkeypatch.setattr(impact, "validate_intake", counting("validated", impact.validate_intake))
    return calls


def preview(draft, user, limit: int) -> tuple[ImpactPreview, int]:
    """The preview of the `limit` most recent screenings, and the queries its run made."""
    started = impact_preview_start(ruleset=draft, user=user, limit=limit)
    with CaptureQueriesContext(connection) as queries:
        done = impact_preview_run(preview_id=started.pk)
    return done, len(queries)


def test_the_queries_of_a_run_do_not_grow_with_its_screenings(screenings, draft, rules_admin):
    preview(draft, rules_admin, limit=1)  # the active set compiled and cached, as in a worker that ran before

    few, few_queries = preview(draft, rules_admin, limit=4)
    many, many_queries = preview(draft, rules_admin, limit=24)

    assert (few.total, many.total) == (4, 24)
    assert many_queries == few_queries


def test_each_rule_set_is_compiled_once_per_run_and_each_stored_intake_validated_once(
    screenings, draft, rules_admin, counted
):
    done, _ = preview(draft, rules_admin, limit=24)

    assert done.result["evaluated"] == 24
    # the draft and the active set (then cached); every snapshot by today's validator (fail closed)
    assert counted == {"compiled": 2, "validated": 24}


def test_a_snapshot_todays_validator_refuses_is_unscreenable_never_read_as_no(screenings, draft, rules_admin):
    """A snapshot stored under looser rules (here: an answer that is no longer a choice) is not evaluated
    with that answer read as "no": it is counted as unscreenable."""
    stored = Screening.objects.get(pk=screenings[0])
    intake = json.loads(json.dumps(stored.intake))
    intake["psychiatric"]["psychotic_symptoms_current"] = "probably"
    looser = Screening.objects.create(
        **{
            field.name: getattr(stored, field.name)
            for field in Screening._meta.concrete_fields
            if field.name not in {"id", "created_at", "intake"}
        },
        intake=intake,
    )

    done, _ = preview(draft, rules_admin, limit=25)

    assert done.result["evaluated"] == 24
    assert done.result["unscreenable"]["count"] == 1
    assert looser.pk not in [pk for row in done.result["transitions"] for pk in row["screenings"]]


def test_the_progress_is_written_every_progress_every_screenings(screenings, draft, rules_admin, monkeypatch):
    preview(draft, rules_admin, limit=1)
    _, unreported = preview(draft, rules_admin, limit=24)
    monkeypatch.setattr(impact, "PROGRESS_EVERY", 5)

    done, reported = preview(draft, rules_admin, limit=24)

    assert reported - unreported == 24 // 5
    assert (done.status, done.processed) == (ImpactPreview.Status.DONE, 24)


def test_reading_in_chunks_gives_the_same_result(screenings, draft, rules_admin, monkeypatch):
    whole, _ = preview(draft, rules_admin, limit=24)
    monkeypatch.setattr(impact, "CHUNK_SIZE", 5)

    chunked, _ = preview(draft, rules_admin, limit=24)

    assert chunked.result == whole.result
