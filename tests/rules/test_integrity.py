"""A published rule set changed underneath (a raw UPDATE, by someone who first disabled the PostgreSQL
triggers that refuse it) is never used: screening refuses on every entry point with a clear error, logged
for the administrators, until the rows are what was published."""

import json
import logging
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from patients.services import intake_import
from rules.models import Rule, RuleSet
from rules.selectors import RuleSetTampered, ruleset_document, ruleset_integrity
from screening.engine import content_sha256
from screening.models import Screening
from screening.services import intake_evaluate, screening_run
from tests.api.conftest import ApiClient, bearer
from tests.conftest import EXAMPLES
from tests.triggers import triggers_disabled

pytestmark = pytest.mark.django_db
ELIGIBLE = json.loads((EXAMPLES / "eligible.json").read_text())


@pytest.fixture
def patient(active):
    return intake_import(doc=ELIGIBLE)[0]


@pytest.fixture
def tampered(active, patient, clinician):
    """The active set, its stage 2 threshold raised by a raw UPDATE after a screening warmed this process."""
    screening_run(patient=patient, requested_by=clinician)
    stage2 = Rule.objects.get(ruleset=active, code="BP-STAGE2")
    original = stage2.predicate
    with triggers_disabled(Rule):
        Rule.objects.filter(pk=stage2.pk).update(
            predicate={"kind": "bp_mean_at_least", "params": {"systolic": 250, "diastolic": 150}}
        )
    yield active
    with triggers_disabled(Rule):
        Rule.objects.filter(pk=stage2.pk).update(predicate=original)


def test_an_intact_published_set_passes_the_check(active):
    assert ruleset_integrity(active) == ""


def test_a_tampered_set_refuses_to_screen_and_is_logged(tampered, patient, clinician, caplog):
    count = Screening.objects.count()
    with (
        caplog.at_level(logging.ERROR, logger="rules.selectors"),
        pytest.raises(RuleSetTampered, match="was changed after it was published"),
    ):
        screening_run(patient=patient, requested_by=clinician)
    assert Screening.objects.count() == count
    assert any("integrity check failed" in r.getMessage() for r in caplog.records)
    assert not any(ELIGIBLE["patient"]["mrn"] in r.getMessage() for r in caplog.records)


def test_a_tampered_set_refuses_a_document_screening_too(tampered):
    with pytest.raises(RuleSetTampered):
        intake_evaluate(intake=ELIGIBLE)


def test_the_screen_now_page_says_so(tampered, patient, clinician_client):
    response = clinician_client.post(reverse("screening:screen_now", args=[patient.pk]), follow=True)
    assert "was changed after it was published" in response.content.decode()
    assert Screening.objects.filter(patient=patient).count() == 1  # the one made before the change


def test_the_api_answers_409(tampered, patient, clinician, client):
    api = ApiClient(client, bearer(clinician))
    response = api.post(f"/patients/{patient.pk}/screenings")
    assert response.status_code == 409 and "changed after it was published" in response.json()["error"]
    screen = api.post("/screen", ELIGIBLE)
    assert screen.status_code == 409


def test_the_cli_refuses(tampered, tmp_path):
    path = tmp_path / "intake.json"
    path.write_text(json.dumps(ELIGIBLE))
    with pytest.raises(CommandError, match="changed after it was published"):
        call_command("screen", str(path), stdout=StringIO(), stderr=StringIO())


def test_the_rule_set_page_shows_the_failed_check(tampered, rules_admin, client):
    client.force_login(rules_admin)
    page = client.get(reverse("rules:ruleset_detail", args=[tampered.pk])).content.decode()
    assert 'data-testid="integrity-alert"' in page


def test_restoring_the_rows_lets_screening_resume(active, patient, clinician):
    stage2 = Rule.objects.get(ruleset=active, code="BP-STAGE2")
    with triggers_disabled(Rule):
        Rule.objects.filter(pk=stage2.pk).update(
            predicate={"kind": "bp_mean_at_least", "params": {"systolic": 1, "diastolic": 1}}
        )
    with pytest.raises(RuleSetTampered):
        screening_run(patient=patient, requested_by=clinician)
    with triggers_disabled(Rule):
        Rule.objects.filter(pk=stage2.pk).update(predicate=stage2.predicate)
    assert screening_run(patient=patient, requested_by=clinician).ruleset_sha256 == active.sha256


def test_changing_the_stored_hash_to_match_is_caught_by_the_approval_record(active, patient, clinician):
    stage2 = Rule.objects.get(ruleset=active, code="BP-STAGE2")
    with triggers_disabled(Rule, RuleSet):
        Rule.objects.filter(pk=stage2.pk).update(title="Quietly reworded")
        forged = content_sha256(ruleset_document(RuleSet.objects.get(pk=active.pk)))
        RuleSet.objects.filter(pk=active.pk).update(sha256=forged)
    with pytest.raises(RuleSetTampered):
        screening_run(patient=patient, requested_by=clinician)
