"""The impact preview shows a rules admin what a rule-set change does, never who it touches (issue 13).

Its result, its page (whole and the htmx panel) and its API hold verdict transitions and rule counts with
screening ids only: no MRN, name or date of birth of a screened patient. A preview over fewer screenings
than RULES_IMPACT_MIN_SCREENINGS is withheld whole; the scope is the most recent screenings, optionally
within a date range, checked by one form for the page and the API."""

import importlib
import json
import re
from datetime import date
from types import SimpleNamespace

import pytest
from django.urls import reverse

from api.auth import FORBIDDEN
from formulary.selectors import current_formulary
from patients.services import intake_import
from rules.selectors import engine_ruleset
from rules.services import rule_update
from screening.impact import IDS_PER_ROW, impact_compute, impact_preview_run, impact_preview_start
from screening.impact_forms import FROM_AFTER_TO
from screening.models import ImpactPreview, Screening
from screening.services import screening_run
from tests.api.conftest import API, bearer
from tests.conftest import EXAMPLES
from tests.rules.conftest import rule

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 11, 20)  # the examples' assessment date
# Four patients of each example, with names, MRNs and birthdays nothing else on a page could contain.
GIVEN = ["Zephyrine", "Octavian", "Marisol", "Thaddeus"]
FAMILY = ["Quillfeather", "Brackenridge", "Vandermolen", "Oyelaran"]
EXAMPLE_NAMES = ("eligible", "deferred-bp-and-benzodiazepine", "contraindicated-avm")
RESULT_KEYS = {"evaluated", "transitions", "changed_verdicts", "rules", "unscreenable", "baseline"}
TRANSITION_KEYS = {"old", "new", "count", "screenings", "more"}
RULE_KEYS = {
    "code",
    "newly_firing",
    "no_longer_firing",
    "screenings_newly",
    "more_newly",
    "screenings_no_longer",
    "more_no_longer",
}


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


def import_patient(name: str, index: int) -> dict:
    """The example as a patient of its own; returns the identifying values it was given."""
    doc = example(name)
    year = doc["patient"]["date_of_birth"][:4]
    doc["patient"].update(
        mrn=f"ZQX-{7000 + 10 * EXAMPLE_NAMES.index(name) + index}",
        given_name=f"{GIVEN[index]}{'abc'[EXAMPLE_NAMES.index(name)]}",
        family_name=FAMILY[index],
        date_of_birth=f"{year}-06-{11 + index}",
    )
    patient, _ = intake_import(doc=doc)
    return {"patient": patient, **doc["patient"]}


def identifying_strings(people: list[dict]) -> list[str]:
    """What must never appear: MRNs, names, and dates of birth (ISO and as Django prints a date)."""
    strings = []
    for person in people:
        born = date.fromisoformat(person["date_of_birth"])
        strings += [
            person["mrn"],
            person["given_name"],
            person["family_name"],
            person["date_of_birth"],
            f"{born:%B} {born.day}, {born.year}",
        ]
    return strings


def raise_stage2_threshold(draft) -> None:
    """166/101 becomes "elevated" (review) instead of "stage 2" (defer): BP-ELEVATED for BP-STAGE2."""
    stage2 = {"kind": "bp_mean_at_least", "params": {"systolic": 170, "diastolic": 110}}
    rule_update(rule=rule(draft, "BP-STAGE2"), values={"predicate": stage2})
    elevated = {"kind": "bp_mean_above", "params": {"systolic": 140, "diastolic": 90}}
    rule_update(
        rule=rule(draft, "BP-ELEVATED"),
        values={
            "predicate": {
                "kind": "all",
                "params": {"of": [elevated, {"kind": "not", "params": {"predicate": stage2}}]},
            }
        },
    )
    draft.refresh_from_db()


def run(draft, user, **scope) -> ImpactPreview:
    return impact_preview_run(preview_id=impact_preview_start(ruleset=draft, user=user, **scope).pk)


def assert_counts_and_ids_only(result: dict) -> None:
    """The result's shape: counts, verdicts, rule codes and screening ids, and nothing else."""
    assert set(result) == RESULT_KEYS
    for row in result["transitions"]:
        assert set(row) == TRANSITION_KEYS
        assert all(isinstance(i, int) for i in row["screenings"])
    for row in result["rules"]:
        assert set(row) == RULE_KEYS
        assert all(isinstance(i, int) for i in row["screenings_newly"] + row["screenings_no_longer"])
    assert set(result["unscreenable"]) == {"count", "screenings", "more"}


@pytest.fixture
def population(active, clinician):
    """Twelve screenings (four patients of each of three examples), one each, on the examples' day."""
    people = []
    for name in EXAMPLE_NAMES:
        for index in range(4):
            person = import_patient(name, index)
            person["screening"] = screening_run(
                patient=person["patient"], requested_by=clinician, as_of=AS_OF
            ).pk
            person["example"] = name
            people.append(person)
    return people


@pytest.fixture
def done(population, draft, rules_admin):
    """The BP change previewed over the twelve screenings (the default minimum is 10)."""
    raise_stage2_threshold(draft)
    return run(draft, rules_admin)


@pytest.fixture
def admin_client(client, rules_admin):
    client.force_login(rules_admin)
    return client


def impact_url(ruleset) -> str:
    return reverse("screening:impact", args=[ruleset.pk])


def start_url(ruleset) -> str:
    return reverse("screening:impact_start", args=[ruleset.pk])


# ------------------------------------------------------------------------------------------------ the result


def test_the_transitions_and_rule_counts_of_a_known_population(population, done):
    deferred = sorted(p["screening"] for p in population if p["example"].startswith("deferred"))
    eligible = sorted(p["screening"] for p in population if p["example"] == "eligible")
    avm = sorted(p["screening"] for p in population if p["example"] == "contraindicated-avm")

    assert done.status == ImpactPreview.Status.DONE
    assert done.result["transitions"] == [
        {"old": "contraindicated", "new": "contraindicated", "count": 4, "screenings": avm, "more": 0},
        {"old": "deferred", "new": "clinician_review", "count": 4, "screenings": deferred, "more": 0},
        {"old": "eligible", "new": "eligible", "count": 4, "screenings": eligible, "more": 0},
    ]
    assert done.result["changed_verdicts"] == 4
    assert [(r["code"], r["newly_firing"], r["no_longer_firing"]) for r in done.result["rules"]] == [
        ("BP-ELEVATED", 4, 0),
        ("BP-STAGE2", 0, 4),
    ]
    assert done.result["rules"][0]["screenings_newly"] == deferred
    assert done.result["rules"][1]["screenings_no_longer"] == deferred
    assert done.result["unscreenable"] == {"count": 0, "screenings": [], "more": 0}
    assert done.result["evaluated"] == 12 and done.result["baseline"] == "2026.4"


def test_the_result_holds_counts_and_screening_ids_only(population, done):
    assert_counts_and_ids_only(done.result)
    stored = json.dumps(done.result)
    for text in identifying_strings(population):
        assert text not in stored
    assert "patient" not in stored and "mrn" not in stored


def test_an_unscreenable_intake_is_counted_without_its_problems(population, draft, clinician, rules_admin):
    stored = Screening.objects.get(pk=population[0]["screening"])
    intake = {**stored.intake, "patient": {**stored.intake["patient"], "weight_kg": 9999}}
    broken = Screening.objects.create(
        patient=stored.patient,
        requested_by=clinician,
        assessed_on=AS_OF,
        verdict=stored.verdict,
        rule_codes=stored.rule_codes,
        report=stored.report,
        intake=intake,
        ruleset=stored.ruleset,
        ruleset_version=stored.ruleset_version,
        ruleset_sha256=stored.ruleset_sha256,
        engine_version=stored.engine_version,
    )

    result = run(draft, rules_admin).result

    assert result["unscreenable"] == {"count": 1, "screenings": [broken.pk], "more": 0}
    assert "9999" not in json.dumps(result) and "problems" not in json.dumps(result)


def test_at_most_200_screening_ids_are_listed_per_row_and_the_rest_counted(population, active):
    stored = Screening.objects.get(pk=population[0]["screening"])
    many = [
        SimpleNamespace(
            pk=pk,
            intake=stored.intake,
            assessed_on=AS_OF,
            verdict=stored.verdict,
            rule_codes=stored.rule_codes,
        )
        for pk in range(IDS_PER_ROW + 5, 0, -1)
    ]

    (row,) = impact_compute(many, engine_ruleset(active), current_formulary())["transitions"]

    assert (row["count"], row["screenings"], row["more"]) == (IDS_PER_ROW + 5, list(range(1, 201)), 5)


# ------------------------------------------------------------------------------------------------ the scope


def test_a_date_range_covers_the_screenings_assessed_within_it_both_ends_included(
    active, draft, clinician, rules_admin, settings
):
    settings.RULES_IMPACT_MIN_SCREENINGS = 1
    patient = import_patient("eligible", 0)["patient"]
    days = [date(2026, 11, 20), date(2026, 11, 25), date(2026, 12, 1), date(2026, 12, 5)]
    ids = {day: screening_run(patient=patient, requested_by=clinician, as_of=day).pk for day in days}

    preview = run(draft, rules_admin, date_from=date(2026, 11, 25), date_to=date(2026, 12, 1))

    assert preview.total == 2
    assert [i for t in preview.result["transitions"] for i in t["screenings"]] == sorted(
        [ids[date(2026, 11, 25)], ids[date(2026, 12, 1)]]
    )
    assert preview.scope == {
        "kind": "range",
        "limit": 500,
        "date_from": "2026-11-25",
        "date_to": "2026-12-01",
    }


def test_a_date_range_may_be_open_at_either_end(active, draft, clinician, rules_admin, settings):
    settings.RULES_IMPACT_MIN_SCREENINGS = 1
    patient = import_patient("eligible", 0)["patient"]
    for day in (date(2026, 11, 20), date(2026, 11, 25), date(2026, 12, 1)):
        screening_run(patient=patient, requested_by=clinician, as_of=day)

    assert run(draft, rules_admin, date_from=date(2026, 11, 25)).total == 2
    assert run(draft, rules_admin, date_to=date(2026, 11, 24)).total == 1


def test_the_limit_takes_the_most_recent_screenings(active, draft, clinician, rules_admin, settings):
    settings.RULES_IMPACT_MIN_SCREENINGS = 1
    patient = import_patient("eligible", 0)["patient"]
    ids = [screening_run(patient=patient, requested_by=clinician, as_of=AS_OF).pk for _ in range(3)]

    preview = run(draft, rules_admin, limit=2)

    assert preview.total == 2
    assert preview.result["transitions"][0]["screenings"] == sorted(ids[1:])
    assert preview.scope == {"kind": "last", "limit": 2}


# ------------------------------------------------------------------------------------------------ minimum cohort


def test_a_preview_over_too_few_screenings_is_withheld(active, draft, clinician, rules_admin, settings):
    settings.RULES_IMPACT_MIN_SCREENINGS = 10
    for index in range(3):
        screening_run(
            patient=import_patient("eligible", index)["patient"], requested_by=clinician, as_of=AS_OF
        )

    preview = run(draft, rules_admin)

    assert preview.status == ImpactPreview.Status.DONE
    assert preview.result == {"too_few": 3, "minimum": 10}


def test_the_page_says_a_small_preview_cannot_be_shown(
    active, draft, clinician, rules_admin, admin_client, settings
):
    settings.RULES_IMPACT_MIN_SCREENINGS = 10
    screening = screening_run(
        patient=import_patient("eligible", 0)["patient"], requested_by=clinician, as_of=AS_OF
    )
    run(draft, rules_admin)

    page = admin_client.get(impact_url(draft)).content.decode()

    assert "too few to be shown without risk of identifying patients" in page
    assert reverse("screening:detail", args=[screening.pk]) not in page


def test_a_stored_result_below_a_raised_minimum_is_withheld(done, draft, admin_client, settings):
    settings.RULES_IMPACT_MIN_SCREENINGS = 50

    body = admin_client.get(f"{API}/rulesets/{draft.pk}/impact").json()

    assert body["preview"]["result"] == {"too_few": 12, "minimum": 50}


# ------------------------------------------------------------------------------------------------ the page


def test_the_page_shows_transitions_and_rules_and_no_patient(population, done, draft, admin_client):
    response = admin_client.get(impact_url(draft))
    page = response.content.decode()

    assert response.status_code == 200
    assert "BP-ELEVATED" in page and "BP-STAGE2" in page and "clinician_review" in page
    assert 'class="table-warning"' in page
    assert "the 500 most recent screenings" in page
    for person in population:
        assert reverse("screening:detail", args=[person["screening"]]) in page
    for text in identifying_strings(population):
        assert text not in page
    assert "MRN" not in page
    title = re.search(r"<title>(.*?)</title>", page, re.DOTALL).group(1)
    assert title.strip().startswith(f"Impact of rule set {draft.version}")


def test_the_htmx_panel_shows_no_patient_either(population, done, draft, admin_client):
    panel = admin_client.get(impact_url(draft), HTTP_HX_REQUEST="true").content.decode()

    assert "<html" not in panel
    assert 'id="impact"' in panel and "BP-ELEVATED" in panel
    for text in identifying_strings(population):
        assert text not in panel


def test_a_running_preview_is_polled(population, draft, rules_admin, admin_client):
    impact_preview_start(ruleset=draft, user=rules_admin, limit=5)  # queued: no worker runs it here

    panel = admin_client.get(impact_url(draft), HTTP_HX_REQUEST="true").content.decode()

    assert 'data-status="queued"' in panel and f'hx-get="{impact_url(draft)}"' in panel


def test_a_clinician_may_follow_a_screening_link_and_a_rules_admin_may_not(
    population, done, draft, admin_client, clinician, client
):
    link = reverse("screening:detail", args=[population[0]["screening"]])
    assert f'href="{link}"' in admin_client.get(impact_url(draft)).content.decode()

    assert admin_client.get(link).status_code == 403
    client.force_login(clinician)
    assert client.get(link).status_code == 200


def test_the_page_warns_when_the_draft_changed_after_the_preview(done, draft, admin_client):
    rule_update(rule=rule(draft, "BP-ELEVATED"), values={"title": "Reworded"})

    assert 'data-testid="impact-stale"' in admin_client.get(impact_url(draft)).content.decode()


def test_starting_a_preview_with_a_date_range(draft, admin_client):
    response = admin_client.post(start_url(draft), {"limit": "40", "date_from": "2026-11-01", "date_to": ""})

    assert response.status_code == 302
    preview = ImpactPreview.objects.get()
    assert (preview.limit, preview.date_from, preview.date_to) == (40, date(2026, 11, 1), None)


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"limit": "500", "date_from": "2026-12-01", "date_to": "2026-11-01"}, "date_to", FROM_AFTER_TO),
        ({"limit": "500", "date_from": "2026-13-45"}, "date_from", "Enter a valid date."),
        ({"limit": "500", "date_to": "2026-11-01\x00"}, "date_to", "Enter a valid date."),
        ({"limit": "5\x00"}, "limit", "Enter a whole number."),
        ({"limit": "9" * 400}, "limit", "less than or equal to 5000"),
        ({"limit": "0"}, "limit", "greater than or equal to 1"),
        ({"limit": "500", "date_from": "1066-10-14"}, "date_from", "is outside 1900-01-01 to 2100-12-31"),
    ],
)
def test_a_bad_scope_is_400_with_the_message_and_the_values(draft, admin_client, form, field, message):
    response = admin_client.post(start_url(draft), form)
    page = response.content.decode()

    assert response.status_code == 400
    assert message in page and "<html" in page
    assert response.context["form"].errors[field]
    assert not ImpactPreview.objects.exists()


def test_a_bad_scope_keeps_what_was_typed(draft, admin_client):
    page = admin_client.post(
        start_url(draft), {"limit": "40", "date_from": "2026-12-01", "date_to": "2026-11-01"}
    ).content.decode()

    assert 'value="40"' in page and 'value="2026-12-01"' in page and 'value="2026-11-01"' in page


def test_starting_a_preview_is_for_rules_admins(draft, clinician_client):
    assert clinician_client.post(start_url(draft), {"limit": "5"}).status_code == 403
    assert clinician_client.get(impact_url(draft)).status_code == 403


# ------------------------------------------------------------------------------------------------ the API


def api_get(client, user, ruleset):
    return client.get(f"{API}/rulesets/{ruleset.pk}/impact", headers=bearer(user))


def api_post(client, user, ruleset, body):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(
        f"{API}/rulesets/{ruleset.pk}/impact",
        data=data,
        content_type="application/json",
        headers=bearer(user),
    )


def test_the_api_gives_the_preview_without_patients(population, done, draft, rules_admin, client):
    response = api_get(client, rules_admin, draft)
    body = response.json()

    assert response.status_code == 200
    assert body["ruleset"] == {"id": draft.pk, "version": draft.version, "sha256": draft.sha256}
    assert {k: v for k, v in body["preview"].items() if k != "result"} == {
        "id": done.pk,
        "status": "done",
        "scope": {"kind": "last", "limit": 500, "date_from": None, "date_to": None},
        "total": 12,
        "processed": 12,
        "stale": False,
    }
    assert body["preview"]["result"] == done.result
    assert_counts_and_ids_only(body["preview"]["result"])
    for text in identifying_strings(population):
        assert text not in response.content.decode()


def test_the_api_says_when_there_is_no_preview_yet(draft, rules_admin, client):
    assert api_get(client, rules_admin, draft).json()["preview"] is None


def test_the_api_marks_a_stale_preview(done, draft, rules_admin, client):
    rule_update(rule=rule(draft, "BP-ELEVATED"), values={"title": "Reworded"})

    assert api_get(client, rules_admin, draft).json()["preview"]["stale"] is True


def test_the_api_starts_a_preview(draft, rules_admin, client):
    response = api_post(client, rules_admin, draft, {"limit": 40, "date_from": "2026-11-01"})

    assert response.status_code == 202
    preview = response.json()["preview"]
    assert preview["status"] == "queued"
    assert preview["scope"] == {"kind": "range", "limit": 40, "date_from": "2026-11-01", "date_to": None}
    assert ImpactPreview.objects.get().pk == preview["id"]


def test_the_api_starts_a_preview_of_the_default_scope_without_a_body(draft, rules_admin, client):
    response = api_post(client, rules_admin, draft, "")

    assert response.status_code == 202
    assert response.json()["preview"]["scope"] == {
        "kind": "last",
        "limit": 500,
        "date_from": None,
        "date_to": None,
    }


@pytest.mark.parametrize(
    ("body", "path", "message"),
    [
        ({"date_from": "2026-12-01", "date_to": "2026-11-01"}, "date_to", FROM_AFTER_TO),
        ({"date_from": "2026-02-30"}, "date_from", "Enter a valid date."),
        ({"date_from": "\u0000"}, "date_from", "contains a NUL character"),
        (
            {"date_from": "2026-11-01\ud800"},
            "date_from",
            "contains an invalid character (a lone UTF-16 surrogate)",
        ),
        ({"limit": 10**40}, "limit", "an integer of 41 digits is out of range (at most 20 digits)"),
        ({"limit": 0}, "limit", "Ensure this value is greater than or equal to 1."),
        ({"limit": "5"}, "limit", "must be a whole number"),
        ({"limit": True}, "limit", "must be a whole number"),
        ({"limit": 2.5}, "limit", "must be a whole number"),
        ({"date_to": 20261101}, "date_to", "must be a date, YYYY-MM-DD"),
        ({"patients": [1]}, "patients", "unknown field"),
        ({"x\u0000": 1}, "'x\\x00'", "a key contains a NUL character"),
        ({"x\ud800": 1}, "'x\\ud800'", "a key contains an invalid character (a lone UTF-16 surrogate)"),
        ([], "document", "must be a JSON object"),
    ],
)
def test_the_api_refuses_a_bad_scope_by_path(draft, rules_admin, client, body, path, message):
    response = api_post(client, rules_admin, draft, body)

    assert response.status_code == 400
    assert {"path": path, "message": message} in response.json()["errors"]
    assert not ImpactPreview.objects.exists()


@pytest.mark.parametrize("method", [api_get, lambda c, u, r: api_post(c, u, r, {})])
def test_the_api_is_for_rules_admins_only(draft, clinician, physician, client, method):
    for user in (clinician, physician):
        response = method(client, user, draft)
        assert (response.status_code, response.json()) == (403, {"error": FORBIDDEN})
    assert not ImpactPreview.objects.exists()


def test_the_api_needs_authentication(draft, client):
    assert client.get(f"{API}/rulesets/{draft.pk}/impact").status_code == 401


def test_the_api_answers_404_for_an_unknown_rule_set(rules_admin, client, db):
    response = client.get(f"{API}/rulesets/999999/impact", headers=bearer(rules_admin))

    assert response.status_code == 404


# ------------------------------------------------------------------------------------------------ migration


def test_the_data_migration_drops_the_patients_of_a_stored_preview():
    migration = importlib.import_module("screening.migrations.0014_impact_preview_without_patients")
    old = {
        "transitions": [
            {"old": "eligible", "new": "eligible", "count": 9},
            {"old": "deferred", "new": "clinician_review", "count": 1},
        ],
        "changed_verdicts": 1,
        "affected": [
            {
                "screening": 7,
                "patient": 3,
                "mrn": "KT-0002",
                "old": "deferred",
                "new": "clinician_review",
                "added": ["BP-ELEVATED"],
                "removed": ["BP-STAGE2"],
            }
        ],
        "unscreenable": [{"screening": 8, "problems": [{"path": "x", "message": "quotes an answer"}]}],
        "baseline": "2026.1",
    }

    new = migration.private_result(old, total=11, minimum=10)

    assert "KT-0002" not in json.dumps(new) and "quotes an answer" not in json.dumps(new)
    assert new["transitions"][1] == {
        "old": "deferred",
        "new": "clinician_review",
        "count": 1,
        "screenings": [7],
        "more": 0,
    }
    assert new["transitions"][0]["more"] == 9
    assert [(r["code"], r["newly_firing"], r["no_longer_firing"]) for r in new["rules"]] == [
        ("BP-ELEVATED", 1, 0),
        ("BP-STAGE2", 0, 1),
    ]
    assert new["unscreenable"] == {"count": 1, "screenings": [8], "more": 0}
    assert migration.private_result(old, total=5, minimum=10) == {"too_few": 4, "minimum": 10}
    assert migration.private_result(new, total=11, minimum=10) is new
