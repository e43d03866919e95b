"""POST /api/v1/patients/{id}/screenings and GET /api/v1/screenings/{id}: a stored, immutable screening of
the patient's current record; the API and the web page show the same screening."""

import re
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from patients.models import Patient
from rules.models import Rule, RuleSet
from screening.models import Screening
from tests.triggers import triggers_disabled

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("on_assessment_day")]

SCREENING_FIELDS = {
    "id",
    "patient_id",
    "created_at",
    "assessed_on",
    "verdict",
    "effective_verdict",
    "decision",
    "current",
    "not_current_reasons",
    "override_policy",
    "ruleset",
    "engine_version",
    "report",
    "overrides",
    "suggestions",
    "signoff",
}


@pytest.fixture
def patient(import_example):
    return import_example("deferred-bp-and-benzodiazepine")


@pytest.fixture
def created(clinician_api, patient):
    """The response to screening the patient through the API."""
    return clinician_api.post(f"/patients/{patient.pk}/screenings")


def page_of(client, user, screening_id) -> str:
    client.force_login(user)
    return client.get(reverse("screening:detail", args=[screening_id])).content.decode()


def page_rules(page: str) -> set[str]:
    return set(re.findall(r'class="finding" data-rule="([^"]+)"', page))


def page_verdict(page: str) -> str:
    return re.search(r'data-testid="verdict" data-verdict="([^"]+)"', page).group(1)


# ---------------------------------------------------------------------------------------------- creating


def test_screening_a_patient_is_201_with_the_stored_screening(created, patient):
    assert created.status_code == 201
    body = created.json()
    assert set(body) == SCREENING_FIELDS
    assert (body["id"], body["patient_id"]) == (Screening.objects.get().pk, patient.pk)


def test_a_new_screening_has_the_engines_verdict_and_no_review_yet(created):
    body = created.json()
    assert (body["verdict"], body["effective_verdict"]) == ("deferred", "deferred")
    assert (body["overrides"], body["suggestions"], body["signoff"], body["decision"]) == ([], [], None, None)
    assert (body["current"], body["not_current_reasons"]) == (True, [])


def test_a_new_screening_carries_its_ketamine_screening_1_report(created):
    report = created.json()["report"]
    assert report["format"] == "ketamine-screening/1"
    assert {"BP-STAGE2", "MEDS-BENZO-HIGH"} <= {f["rule"] for f in report["findings"]}


def test_the_response_is_what_was_stored(created):
    stored = Screening.objects.get()
    body = created.json()
    assert body["report"] == stored.report
    assert body["ruleset"] == {"version": stored.ruleset_version, "sha256": stored.ruleset_sha256}
    assert body["engine_version"] == stored.engine_version


def test_the_screening_is_of_today_and_requested_by_the_caller(created, clinician):
    stored = Screening.objects.get()
    assert created.json()["assessed_on"] == timezone.localdate().isoformat()
    assert stored.requested_by == clinician


def test_screening_again_stores_a_new_screening(clinician_api, patient, created):
    again = clinician_api.post(f"/patients/{patient.pk}/screenings")
    assert again.json()["id"] != created.json()["id"]
    assert Screening.objects.count() == 2


def test_screening_an_unknown_patient_is_404(clinician_api, defaults):
    response = clinician_api.post("/patients/999999/screenings")
    assert response.status_code == 404
    assert set(response.json()) == {"error"}


def delete_every_rule_set() -> None:
    """As on a fresh installation (a published set is deleted only by a table owner)."""
    with triggers_disabled(RuleSet, Rule):
        RuleSet.objects.all().delete()


NO_ACTIVE_RULESET = {
    "deactivated": lambda: RuleSet.objects.update(is_active=False),
    "deleted": delete_every_rule_set,
}


@pytest.mark.parametrize("remove", NO_ACTIVE_RULESET.values(), ids=NO_ACTIVE_RULESET.keys())
def test_without_an_active_rule_set_screening_is_409(clinician_api, patient, remove):
    remove()
    response = clinician_api.post(f"/patients/{patient.pk}/screenings")
    assert response.status_code == 409
    assert "No active rule set" in response.json()["error"]


def test_without_an_active_rule_set_nothing_is_stored(clinician_api, patient):
    RuleSet.objects.update(is_active=False)
    clinician_api.post(f"/patients/{patient.pk}/screenings")
    assert Screening.objects.count() == 0


@pytest.fixture
def unscreenable(defaults):
    """A record the intake format refuses (no given name): it cannot be screened until corrected."""
    return Patient.objects.create(
        mrn="KT-0099", given_name="", family_name="Doe", date_of_birth=date(1990, 1, 1)
    )


def test_a_record_that_cannot_be_screened_is_409_with_its_problems(clinician_api, unscreenable):
    response = clinician_api.post(f"/patients/{unscreenable.pk}/screenings")
    assert response.status_code == 409
    assert response.json()["errors"] == [{"path": "patient.given_name", "message": "required"}]


def test_the_api_and_the_page_refuse_an_unscreenable_record_in_the_same_words(
    clinician_api, client, clinician, unscreenable
):
    message = clinician_api.post(f"/patients/{unscreenable.pk}/screenings").json()["error"]
    client.force_login(clinician)
    page = client.post(reverse("screening:screen_now", args=[unscreenable.pk]), follow=True)
    assert message.startswith("The record cannot be screened until these are corrected")
    assert message in page.content.decode()


# ---------------------------------------------------------------------------------------------- reading


def test_a_screening_reads_as_it_was_created(clinician_api, created):
    response = clinician_api.get(f"/screenings/{created.json()['id']}")
    assert response.status_code == 200
    assert response.json() == created.json()


def test_report_staff_read_the_same_screening(staff_api, created):
    assert staff_api.get(f"/screenings/{created.json()['id']}").json() == created.json()


def test_an_unknown_screening_is_404(clinician_api, defaults):
    response = clinician_api.get("/screenings/999999")
    assert response.status_code == 404
    assert set(response.json()) == {"error"}


@pytest.mark.parametrize("screening_id", [2**63, 0, "x"])
def test_a_screening_id_outside_the_database_range_is_400(clinician_api, defaults, screening_id):
    response = clinician_api.get(f"/screenings/{screening_id}")
    assert response.status_code == 400
    assert [e["path"] for e in response.json()["errors"]] == ["screening_id"]


# ---------------------------------------------------------------------------------------------- API = page


def test_a_screening_made_through_the_api_shows_its_findings_on_the_page(created, client, clinician):
    page = page_of(client, clinician, created.json()["id"])
    assert page_rules(page) == {f["rule"] for f in created.json()["report"]["findings"]}


def test_a_screening_made_through_the_api_shows_its_verdict_on_the_page(created, client, clinician):
    page = page_of(client, clinician, created.json()["id"])
    assert page_verdict(page) == created.json()["verdict"]


@pytest.fixture
def made_on_the_page(client, clinician, patient):
    client.force_login(clinician)
    response = client.post(reverse("screening:screen_now", args=[patient.pk]))
    screening = Screening.objects.get()
    assert response.url == reverse("screening:detail", args=[screening.pk])
    return screening


def test_a_screening_made_on_the_page_reads_the_same_through_the_api(clinician_api, made_on_the_page):
    body = clinician_api.get(f"/screenings/{made_on_the_page.pk}").json()
    assert body["report"] == made_on_the_page.report
    assert (body["verdict"], body["patient_id"]) == (made_on_the_page.verdict, made_on_the_page.patient_id)


def test_the_api_and_the_page_screen_a_record_alike(clinician_api, patient, made_on_the_page):
    through_api = clinician_api.post(f"/patients/{patient.pk}/screenings").json()
    assert through_api["report"] == made_on_the_page.report
