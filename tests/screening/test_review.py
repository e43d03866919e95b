"""The override and sign-off policy (criteria.md, "Overrides, sign-off and validity"), in the services that
every entry point calls: who may act, what each rule's override setting allows per severity, coded
reasons, suggestions, and the sign-off decision."""

import json
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection
from django.test import override_settings

from core.roles import CLINICIAN, PHYSICIAN, role_group
from patients.models import Patient
from rules.selectors import active_ruleset, ruleset_document
from rules.services import ruleset_import
from screening.engine import content_sha256
from screening.engine.ruleset import validate_rule
from screening.engine.severity import ALLOWED_OVERRIDE, DEFAULT_OVERRIDE, override_policy
from screening.models import FindingOverride, OverrideCosignature, OverrideSuggestion, SignOff
from screening.review import (
    ScreeningRefused,
    effective_verdict,
    finding_override,
    override_cosign,
    override_suggest,
    screening_sign,
)
from screening.services import screening_run
from tests.conftest import ROOT
from tests.defaults_snapshot import load_defaults_for_test

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    """The default rules and the 14 synthetic demo patients (readings taken half an hour ago)."""
    load_defaults_for_test()
    with override_settings(DEBUG=True):
        call_command("load_demo", stdout=StringIO())


def screen(mrn: str, user):
    return screening_run(patient=Patient.objects.get(mrn=mrn), requested_by=user)


# the demo patient whose latest screening has each finding (see fixtures/demo-patients.json)
CASES = {
    "contraindicated": ("DEMO-010", "CV-AVM"),
    "not_candidate": ("DEMO-008", "AGE-UNDER-18"),
    "missing": ("DEMO-014", "CV-FLAG-UNKNOWN"),
    "defer": ("DEMO-006", "BP-STAGE2"),
    "review": ("DEMO-004", "BP-ELEVATED"),
    "precaution": ("DEMO-002", "MEDS-STIMULANT"),
    "info": ("DEMO-001", "MEDS-COMPATIBLE"),
}


# ------------------------------------------------------------------------------------------- the policy


def test_the_defaults_are_criteria_md_by_severity():
    assert DEFAULT_OVERRIDE == {
        "contraindicated": "cosign",
        "not_candidate": "none",
        "missing": "none",
        "defer": "reason",
        "review": "reason",
        "precaution": "none",
        "info": "none",
    }
    assert override_policy("PREG-PREGNANT", "contraindicated") == "none"
    assert override_policy("MED-KETAMINE-ALLERGY", "contraindicated") == "none"
    assert override_policy("CV-AVM", "contraindicated") == "cosign"


@pytest.mark.parametrize("severity", ["missing", "not_candidate", "info", "precaution"])
def test_nothing_but_none_is_allowed_where_a_pass_would_be_a_guess(severity):
    assert ALLOWED_OVERRIDE[severity] == ("none",)


@pytest.mark.parametrize(("severity", "case"), sorted(CASES.items()))
def test_each_severity_by_default(demo, clinician, physician, physician2, severity, case):
    mrn, rule = case
    screening = screen(mrn, clinician)
    policy = DEFAULT_OVERRIDE[severity]
    if policy == "none":
        with pytest.raises(ScreeningRefused, match=rule):
            finding_override(screening=screening, rule=rule, reason="asked verbally", user=physician)
        assert not FindingOverride.objects.exists()
        return
    override = finding_override(screening=screening, rule=rule, reason="weighed and accepted", user=physician)
    assert override.in_force is (policy == "reason")
    if policy == "cosign":
        override_cosign(override=override, user=physician2)
        override.refresh_from_db()
        assert override.in_force
    assert rule in screening.rule_codes  # the finding stays in the report; the effective verdict changes
    assert effective_verdict(screening, [override]) != screening.verdict


def test_an_empty_intake_can_never_be_overridden_into_a_pass(demo, clinician, physician, physician2):
    """The measured bypass: every missing finding of a needs_information screening, 'asked verbally'."""
    patient = Patient.objects.create(
        mrn="EMPTY-1", given_name="Empty", family_name="Intake", date_of_birth="1980-01-01"
    )
    screening = screening_run(patient=patient, requested_by=clinician)
    missing = [f["rule"] for f in screening.report["findings"] if f["severity"] == "missing"]
    assert len(missing) >= 5
    for rule in missing:
        for user in (physician, physician2):
            with pytest.raises(ScreeningRefused, match="supply it and screen again"):
                finding_override(screening=screening, rule=rule, reason="asked verbally", user=user)
    with pytest.raises(ScreeningRefused, match="needs information"):
        screening_sign(screening=screening, user=physician, decision="cleared")
    assert (
        effective_verdict(screening, FindingOverride.objects.filter(screening=screening))
        == "needs_information"
    )


def publish_variant(changes: dict[str, dict], version: str = "2026.1-policy"):
    """The active rule set with some rules changed, published and made active."""
    document = ruleset_document(active_ruleset())
    document["version"] = version
    for rule in document["rules"]:
        rule.update(changes.get(rule["code"], {}))
    return ruleset_import(data=document, shipped=True, note="policy test")


def test_an_explicit_setting_is_followed(demo, clinician, physician, physician2):
    publish_variant({"BP-STAGE2": {"override": "cosign"}, "BP-ELEVATED": {"override": "none"}})
    deferred, review = screen("DEMO-006", clinician), screen("DEMO-004", clinician)

    needs_two = finding_override(screening=deferred, rule="BP-STAGE2", reason="repeat 138/88", user=physician)
    with pytest.raises(ScreeningRefused, match="cannot be overridden under this rule set"):
        finding_override(screening=review, rule="BP-ELEVATED", reason="white coat", user=physician)

    assert needs_two.needs_cosign and not needs_two.in_force
    override_cosign(override=needs_two, user=physician2)


# rule set 2026.1 as published before rules had an override setting (`manage.py load_defaults` printed it)
PUBLISHED_2026_1 = "7c65f97c165812884fe5663a410a912ef444b3aa20c82b0f7373bd008e49c078"


def test_a_published_set_with_no_explicit_setting_keeps_its_hash(db):
    """Rule set 2026.1 was published before rules had an override setting: stored again today, it has no
    setting written and the same hash, and its rules take their severity's defaults."""
    shipped = json.loads((ROOT / "fixtures" / "ruleset-2026.1.json").read_text())
    stored = ruleset_import(data=shipped, note="as shipped")
    document = ruleset_document(stored)

    assert all("override" not in rule for rule in document["rules"])
    assert content_sha256(document) == stored.sha256 == PUBLISHED_2026_1
    document["rules"][0]["override"] = "none"
    assert content_sha256(document) != PUBLISHED_2026_1


def test_2026_2_writes_the_two_settings_that_are_not_its_severitys_default():
    shipped = json.loads((ROOT / "fixtures" / "ruleset-default.json").read_text())
    explicit = {rule["code"]: rule["override"] for rule in shipped["rules"] if "override" in rule}
    assert explicit == {"PREG-PREGNANT": "none", "MED-KETAMINE-ALLERGY": "none"}


# ------------------------------------------------------------------------------------------- who may act


def test_a_clinician_cannot_override_co_sign_or_sign(demo, clinician, physician):
    screening = screen("DEMO-010", clinician)
    with pytest.raises(ScreeningRefused, match="Only a physician"):
        finding_override(screening=screening, rule="CV-AVM", reason="x", user=clinician)
    override = finding_override(screening=screening, rule="CV-AVM", reason="x", user=physician)
    with pytest.raises(ScreeningRefused, match="Only a physician"):
        override_cosign(override=override, user=clinician)
    with pytest.raises(ScreeningRefused, match="Only a physician"):
        screening_sign(screening=screening, user=clinician, decision="not_cleared")


def test_a_physician_who_is_also_a_clinician_may_act(demo, make_user, physician):
    both = make_user("both", CLINICIAN, PHYSICIAN)
    screening = screen("DEMO-006", both)
    finding_override(screening=screening, rule="BP-STAGE2", reason="repeat 132/84", user=both)


def test_a_service_account_cannot_act_even_with_the_role(demo, clinician, django_user_model):
    bridge = django_user_model.objects.create_user("ehr-bridge")
    bridge.set_unusable_password()
    bridge.save()
    bridge.groups.add(role_group(PHYSICIAN))
    screening = screen("DEMO-006", clinician)
    with pytest.raises(ScreeningRefused, match="service account"):
        finding_override(screening=screening, rule="BP-STAGE2", reason="x", user=bridge)


def test_the_overriding_physician_cannot_co_sign(demo, clinician, physician):
    override = finding_override(
        screening=screen("DEMO-010", clinician), rule="CV-AVM", reason="x", user=physician
    )
    with pytest.raises(ScreeningRefused, match="second, different physician"):
        override_cosign(override=override, user=physician)


def test_the_model_refuses_a_self_co_signature_too(demo, clinician, physician):
    override = finding_override(
        screening=screen("DEMO-010", clinician), rule="CV-AVM", reason="x", user=physician
    )
    with pytest.raises(ValidationError, match="second, different physician"):
        OverrideCosignature.objects.create(override=override, cosigned_by=physician, cosigned_by_name="x")
    assert not OverrideCosignature.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's; CI runs it")
def test_the_database_refuses_a_self_co_signature_too(demo, clinician, physician):
    override = finding_override(
        screening=screen("DEMO-010", clinician), rule="CV-AVM", reason="x", user=physician
    )
    with pytest.raises(IntegrityError, match="cosigner_is_another_clinician"), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO screening_overridecosignature (override_id, cosigned_by_id, cosigned_by_name, "
            "cosigned_at) VALUES (%s, %s, 'x', now())",
            [override.pk, physician.pk],
        )


def test_precaution_and_never_overridden_contraindications_are_refused(demo, clinician, physician):
    with pytest.raises(ScreeningRefused, match="absolute contraindication"):
        finding_override(
            screening=screen("DEMO-011", clinician), rule="PREG-PREGNANT", reason="x", user=physician
        )
    with pytest.raises(ScreeningRefused, match="acknowledged when the screening is cleared"):
        finding_override(
            screening=screen("DEMO-002", clinician), rule="MEDS-STIMULANT", reason="x", user=physician
        )


# ------------------------------------------------------------------------------------------- reasons


def test_a_coded_reason_is_offered_stored_and_enough_alone(demo, clinician, physician):
    publish_variant(
        {
            "BP-STAGE2": {
                "override_reasons": [
                    {
                        "code": "repeat_reading_normal",
                        "display": "A repeat reading after rest is below the limit",
                    }
                ]
            }
        }
    )
    screening = screen("DEMO-006", clinician)
    with pytest.raises(ScreeningRefused, match="not a reason BP-STAGE2 offers"):
        finding_override(
            screening=screening, rule="BP-STAGE2", reason="", reason_code="made_up", user=physician
        )

    override = finding_override(
        screening=screening, rule="BP-STAGE2", reason="", reason_code="repeat_reading_normal", user=physician
    )

    assert override.reason_code == "repeat_reading_normal"
    assert override.reason == "A repeat reading after rest is below the limit"


@pytest.mark.parametrize(
    ("reason", "message"), [("", "required"), (" " * 3, "required"), ("x" * 1001, "1000")]
)
def test_a_written_reason_is_required_and_bounded(demo, clinician, physician, reason, message):
    with pytest.raises(ScreeningRefused, match=message):
        finding_override(
            screening=screen("DEMO-006", clinician), rule="BP-STAGE2", reason=reason, user=physician
        )


# ------------------------------------------------------------------------------------------- suggestions


def test_a_clinicians_suggestion_is_kept_and_never_in_force(demo, clinician, physician):
    screening = screen("DEMO-006", clinician)

    suggestion = override_suggest(
        screening=screening, rule="BP-STAGE2", note="Repeat BP was 130/80", user=clinician
    )

    assert OverrideSuggestion.objects.get() == suggestion
    assert effective_verdict(screening, list(screening.overrides.all())) == "deferred"
    with pytest.raises(ScreeningRefused, match="required"):
        override_suggest(screening=screening, rule="BP-STAGE2", note=" ", user=clinician)
    with pytest.raises(ScreeningRefused, match="not a finding"):
        override_suggest(screening=screening, rule="CV-AVM", note="x", user=clinician)


# ------------------------------------------------------------------------------------------- the decision

NOT_CLEARABLE = {
    "contraindicated": "DEMO-010",
    "not_a_candidate": "DEMO-008",
    "needs_information": "DEMO-014",
    "deferred": "DEMO-006",
    "clinician_review": "DEMO-004",
}


@pytest.mark.parametrize(("verdict", "mrn"), sorted(NOT_CLEARABLE.items()))
def test_cleared_is_refused_for_each_verdict_that_is_not_eligible(demo, clinician, physician, verdict, mrn):
    screening = screen(mrn, clinician)
    assert screening.verdict == verdict
    with pytest.raises(ScreeningRefused, match=f"the effective verdict is {verdict.replace('_', ' ')}"):
        screening_sign(screening=screening, user=physician, decision="cleared")

    signoff = screening_sign(screening=screening, user=physician, decision="not_cleared", note="see notes")

    assert (signoff.decision, signoff.note, signoff.effective_verdict) == (
        "not_cleared",
        "see notes",
        verdict,
    )


def test_a_clearance_acknowledges_every_precaution(demo, clinician, physician):
    screening = screen("DEMO-003", clinician)

    signoff = screening_sign(screening=screening, user=physician, decision="cleared")

    assert signoff.acknowledged == ["AGE-65-PLUS", "MEDS-CNS-DEPRESSANT"]
    assert signoff.effective_verdict == "eligible_with_precautions"


def test_cleared_is_refused_on_a_screening_that_is_not_current(demo, clinician, physician):
    screening = screen("DEMO-001", clinician)
    patient = screening.patient
    patient.weight_kg = 81
    patient.save()

    with pytest.raises(ScreeningRefused, match="not current: weight changed"):
        screening_sign(screening=screening, user=physician, decision="cleared")
    assert (
        screening_sign(screening=screening, user=physician, decision="not_cleared").decision == "not_cleared"
    )


@pytest.mark.parametrize("decision", ["", "approved", "CLEARED", None])
def test_a_decision_is_cleared_or_not_cleared(demo, clinician, physician, decision):
    with pytest.raises(ScreeningRefused, match="cleared or not_cleared"):
        screening_sign(screening=screen("DEMO-001", clinician), user=physician, decision=decision)
    assert not SignOff.objects.exists()


def test_the_database_refuses_a_clearance_of_a_verdict_that_is_not_eligible(demo, clinician, physician):
    screening = screen("DEMO-010", clinician)
    with pytest.raises(IntegrityError):
        SignOff.objects.create(
            screening=screening,
            signed_by=physician,
            signer_name="x",
            decision="cleared",
            effective_verdict="contraindicated",
        )


# ------------------------------------------------------------------------------------------- old rows, odd users


def legacy_override(screening, rule, user, **fields):
    """An override row as the release before the physician policy stored it (no recorded setting)."""
    finding = next(f for f in screening.report["findings"] if f["rule"] == rule)
    return FindingOverride.objects.create(
        screening=screening,
        rule=rule,
        severity=finding["severity"],
        reason="asked verbally",
        overridden_by=user,
        overridden_by_name=user.username,
        **fields,
    )


def test_overrides_from_before_the_policy_never_count(demo, clinician, physician):
    screening = screen("DEMO-007", clinician)
    for f in screening.report["findings"]:
        if f["severity"] == "missing":
            legacy_override(screening, f["rule"], clinician)
    overrides = list(screening.overrides.all())

    assert overrides and not any(o.in_force for o in overrides)
    assert effective_verdict(screening, overrides) == "needs_information"
    with pytest.raises(ScreeningRefused, match="needs information"):
        screening_sign(screening=screening, user=physician, decision="cleared")


def test_a_pending_override_from_before_the_policy_cannot_be_co_signed(demo, clinician, physician):
    screening = screen("DEMO-011", clinician)
    old = legacy_override(screening, "PREG-PREGNANT", clinician, needs_cosign=True)

    with pytest.raises(ScreeningRefused, match="needs no"):
        override_cosign(override=old, user=physician)
    assert effective_verdict(screening, [old]) == "contraindicated"


def test_a_row_on_a_finding_its_rule_never_lets_aside_does_not_count(demo, clinician, physician):
    """Whatever a row says, the screening's own rule set decides what can be set aside."""
    screening = screen("DEMO-014", clinician)
    row = legacy_override(screening, "CV-FLAG-UNKNOWN", physician, policy="reason")

    assert row.in_force
    assert effective_verdict(screening, [row]) == "needs_information"


def test_a_superuser_is_not_a_physician(demo, clinician, django_user_model):
    admin = django_user_model.objects.create_superuser("it-admin", password="a-long-test-password-1")
    with pytest.raises(ScreeningRefused, match="Only a physician"):
        finding_override(screening=screen("DEMO-006", clinician), rule="BP-STAGE2", reason="x", user=admin)


def test_the_two_absolute_contraindications_stay_closed_whatever_the_rule_set_says():
    rule = {
        "code": "PREG-PREGNANT",
        "severity": "contraindicated",
        "title": "Pregnant",
        "action": "Do not infuse.",
        "sources": ["S4"],
        "predicate": {"kind": "answer_in", "params": {"answer": "pregnancy", "values": ["pregnant"]}},
        "override": "cosign",
    }

    assert [str(p) for p in validate_rule(rule, "PREG-PREGNANT")] == [
        "PREG-PREGNANT.override: PREG-PREGNANT is never set aside (criteria.md): only none"
    ]
    assert override_policy("PREG-PREGNANT", "contraindicated", "cosign") == "none"
    assert override_policy("DATA-NO-WEIGHT", "missing", "reason") == "none"


def test_a_very_long_name_is_kept_within_its_column(demo, clinician, make_user):
    doctor = make_user("long", PHYSICIAN)
    doctor.first_name, doctor.last_name = "A" * 150, "B" * 150
    doctor.save()

    override = finding_override(
        screening=screen("DEMO-006", clinician), rule="BP-STAGE2", reason="x", user=doctor
    )

    assert len(override.overridden_by_name) == 200
