"""`load_defaults` installs rule set 2026.4 on a fresh database, upgrades an installation still running the
shipped 2026.1, 2026.2 or 2026.3 unmodified, and leaves a clinic's own active set alone (2026.4 then arrives
as a draft)."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from patients.services import intake_import
from rules.models import Rule, RuleSet
from rules.selectors import active_ruleset, ruleset_document
from rules.services import rule_update, ruleset_clone, ruleset_import
from screening.engine import content_sha256
from screening.services import screening_run
from tests.conftest import EXAMPLES, ROOT
from tests.rules.conftest import publish_reviewed
from tests.triggers import triggers_disabled

pytestmark = pytest.mark.django_db

FIXTURES = ROOT / "fixtures"
SHIPPED_2026_1 = json.loads((FIXTURES / "ruleset-2026.1.json").read_text())
SHIPPED_2026_2 = json.loads((FIXTURES / "ruleset-2026.2.json").read_text())
SHIPPED_2026_3 = json.loads((FIXTURES / "ruleset-2026.3.json").read_text())
# the content hash of rule set 2026.2 as it was shipped (docs/rules.md of 2026.2)
SHIPPED_2026_2_SHA256 = "605b97110eca192a36353cf6084eb207ac752ba91eecdb2c53eccfdedc0198be"
DEFAULT = json.loads((FIXTURES / "ruleset-default.json").read_text())


def without_rule_sets() -> None:
    """An installation from before 2026.3 (its published set is deleted, which only a table owner can do)."""
    with triggers_disabled(RuleSet, Rule):
        RuleSet.objects.all().delete()


def load_defaults() -> str:
    out, err = StringIO(), StringIO()
    call_command("load_defaults", stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def test_the_default_is_rule_set_2026_4_with_the_58_codes_of_2026_2_and_the_two_measure_rules():
    assert DEFAULT["version"] == "2026.4"
    codes = [r["code"] for r in DEFAULT["rules"]]
    assert len(set(codes)) == len(codes) == 60
    assert set(codes) - {r["code"] for r in SHIPPED_2026_2["rules"]} == {"MEAS-CSSRS-RISK", "MEAS-PHQ9-ITEM9"}


def test_2026_3_is_2026_2_unchanged_plus_the_measure_rules_and_window():
    old = {r["code"]: r for r in SHIPPED_2026_2["rules"]}
    new = {r["code"]: r for r in SHIPPED_2026_3["rules"] if r["code"] in old}
    assert new == old
    assert SHIPPED_2026_3["test_baseline"] == SHIPPED_2026_2["test_baseline"]
    protocol = dict(SHIPPED_2026_3["protocol"])
    assert protocol.pop("measure_window_days") == 30
    assert protocol == SHIPPED_2026_2["protocol"]


def test_2026_4_is_2026_3_unchanged_plus_the_day_of_checklist():
    assert SHIPPED_2026_3["version"] == "2026.3"
    assert DEFAULT["rules"] == SHIPPED_2026_3["rules"]
    assert DEFAULT["test_baseline"] == SHIPPED_2026_3["test_baseline"]
    protocol = dict(DEFAULT["protocol"])
    keys = [item["key"] for item in protocol.pop("day_of_checklist")]
    assert keys == [
        "fasting",
        "escort_present",
        "consent_current",
        "benzodiazepine_held",
        "stimulant_held",
        "pregnancy_test_negative",
    ]
    assert protocol == SHIPPED_2026_3["protocol"]


def test_the_2026_2_fixture_is_2026_2_as_shipped():
    assert SHIPPED_2026_2["version"] == "2026.2"
    assert content_sha256(SHIPPED_2026_2) == SHIPPED_2026_2_SHA256


def test_a_fresh_database_gets_2026_4_active():
    load_defaults()

    assert active_ruleset().version == "2026.4"
    assert RuleSet.objects.count() == 1
    assert "already present" in load_defaults()  # idempotent


def test_an_unmodified_2026_1_is_upgraded_and_stays_in_the_history(clinician):
    call_command("load_defaults", stdout=StringIO())  # formulary (and 2026.2 on this fresh database)
    without_rule_sets()
    old = ruleset_import(data=SHIPPED_2026_1, shipped=True, note="as shipped")
    patient, _ = intake_import(doc=json.loads((EXAMPLES / "eligible.json").read_text()))
    screening = screening_run(patient=patient, requested_by=clinician)

    message = load_defaults()

    assert "made active in place of the unmodified 2026.1" in message
    assert active_ruleset().version == "2026.4"
    old.refresh_from_db()
    assert old.status == RuleSet.Status.RETIRED and old.sha256 == content_sha256(SHIPPED_2026_1)
    screening.refresh_from_db()
    assert screening.ruleset_version == "2026.1" and screening.ruleset_id == old.pk


def test_an_unmodified_2026_2_is_upgraded_and_stays_in_the_history(clinician):
    call_command("load_defaults", stdout=StringIO())
    without_rule_sets()
    old = ruleset_import(data=SHIPPED_2026_2, shipped=True, note="as shipped")
    patient, _ = intake_import(doc=json.loads((EXAMPLES / "eligible.json").read_text()))
    screening = screening_run(patient=patient, requested_by=clinician)

    message = load_defaults()

    assert "made active in place of the unmodified 2026.2" in message
    assert active_ruleset().version == "2026.4"
    assert content_sha256(ruleset_document(active_ruleset())) == content_sha256(DEFAULT)
    old.refresh_from_db()
    assert old.status == RuleSet.Status.RETIRED and old.sha256 == SHIPPED_2026_2_SHA256
    screening.refresh_from_db()
    assert screening.ruleset_version == "2026.2" and screening.ruleset_id == old.pk
    assert "already present" in load_defaults()  # idempotent after the upgrade


def test_a_clinics_own_2026_2_is_left_alone_and_2026_4_arrives_as_a_draft(rules_admin):
    call_command("load_defaults", stdout=StringIO())
    without_rule_sets()
    shipped = ruleset_import(data=SHIPPED_2026_2, shipped=True, note="as shipped")
    own = ruleset_clone(source=shipped, version="2026.2-clinic", created_by=rules_admin)
    rule_update(rule=own.rules.get(code="AGE-65-PLUS"), values={"title": "Aged 65 or more"}, user=rules_admin)
    publish_reviewed(RuleSet.objects.get(pk=own.pk), note="our wording", author=rules_admin)

    message = load_defaults()

    assert "loaded as a DRAFT" in message and "2026.2-clinic" in message
    assert "not the shipped 2026.1, 2026.2 or 2026.3 unmodified" in message
    assert active_ruleset().version == "2026.2-clinic"
    assert RuleSet.objects.get(version="2026.4").status == RuleSet.Status.DRAFT


def test_a_clinics_own_active_set_is_left_alone_and_2026_4_arrives_as_a_draft(rules_admin):
    call_command("load_defaults", stdout=StringIO())
    without_rule_sets()
    shipped = ruleset_import(data=SHIPPED_2026_1, shipped=True, note="as shipped")
    own = ruleset_clone(source=shipped, version="2026.1-clinic", created_by=rules_admin)
    rule_update(rule=own.rules.get(code="AGE-65-PLUS"), values={"title": "Aged 65 or more"}, user=rules_admin)
    publish_reviewed(RuleSet.objects.get(pk=own.pk), note="our wording", author=rules_admin)

    message = load_defaults()

    assert "loaded as a DRAFT" in message and "2026.1-clinic" in message
    assert active_ruleset().version == "2026.1-clinic"
    draft = RuleSet.objects.get(version="2026.4")
    assert draft.status == RuleSet.Status.DRAFT
    assert content_sha256(ruleset_document(draft)) == content_sha256(DEFAULT)


def test_an_unmodified_2026_3_is_upgraded_and_its_screenings_keep_citing_it(clinician):
    call_command("load_defaults", stdout=StringIO())
    without_rule_sets()
    old = ruleset_import(data=SHIPPED_2026_3, shipped=True, note="as shipped")
    patient, _ = intake_import(doc=json.loads((EXAMPLES / "eligible.json").read_text()))
    screening = screening_run(patient=patient, requested_by=clinician)

    message = load_defaults()

    assert "made active in place of the unmodified 2026.3" in message
    assert active_ruleset().version == "2026.4"
    old.refresh_from_db()
    assert old.status == RuleSet.Status.RETIRED
    screening.refresh_from_db()
    assert screening.ruleset_version == "2026.3" and screening.ruleset_id == old.pk
