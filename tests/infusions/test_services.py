"""The day-of-infusion workflow through its services (issue 18): it refuses to start without a current
screening signed cleared; today's checks decide go or hold, with the reasons in words; only a physician
authorizes a dose within today's range; the record closes once and never changes after."""

from datetime import datetime

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError, InternalError
from django.utils import timezone

from infusions.checks import infusion_decision
from infusions.models import Infusion, InfusionSigned
from infusions.services import (
    InfusionRefused,
    infusion_authorize,
    infusion_check,
    infusion_discharge,
    infusion_measure_add,
    infusion_monitor,
    infusion_sign,
    infusion_start,
)
from patients.services import intake_import
from screening.review import screening_sign
from screening.services import screening_run
from tests.infusions.conftest import CHECK, CSSRS_INTENT, DAY, PHQ9, cleared_patient

pytestmark = pytest.mark.django_db


def at(hour, minute=0):
    return timezone.make_aware(datetime(DAY.year, DAY.month, DAY.day, hour, minute))


def checked(patient, clinician, **changes):
    infusion = infusion_start(patient=patient, user=clinician)
    return infusion_check(infusion=infusion, user=clinician, values={**CHECK, **changes})


def test_no_infusion_without_a_screening_signed_cleared(clinician, physician, on_assessment_day):
    patient = cleared_patient(clinician, physician)
    newer = screening_run(patient=patient, requested_by=clinician, as_of=DAY)  # not signed
    with pytest.raises(InfusionRefused, match="is not signed"):
        infusion_start(patient=patient, user=clinician)
    screening_sign(screening=newer, user=physician, decision="not_cleared")
    with pytest.raises(InfusionRefused, match="signed not cleared"):
        infusion_start(patient=patient, user=clinician)
    assert not Infusion.objects.exists()


def test_no_infusion_without_any_screening(clinician, on_assessment_day):
    import json

    from tests.conftest import EXAMPLES

    patient, _ = intake_import(doc=json.loads((EXAMPLES / "eligible.json").read_text()))
    with pytest.raises(InfusionRefused, match="no screening"):
        infusion_start(patient=patient, user=clinician)


def test_no_infusion_once_the_record_changed(cleared, clinician):
    cleared.weight_kg = 80
    cleared.save()
    with pytest.raises(InfusionRefused, match="not current"):
        infusion_start(patient=cleared, user=clinician)


def test_a_clean_check_is_a_go_with_todays_dose_range(cleared, clinician):
    decision = infusion_decision(checked(cleared, clinician, weight_kg="80"))
    assert decision.status == "go", decision.reasons
    assert (decision.dose.low_mg, decision.dose.high_mg) == (40.0, 80.0)


@pytest.mark.parametrize(
    ("systolic", "diastolic", "status"),
    [
        (140, 90, "go"),  # BP-ELEVATED is above 140/90
        (141, 80, "physician"),
        (130, 91, "physician"),
        (159, 99, "physician"),
        (160, 80, "hold"),  # BP-STAGE2 is at or above 160/100
        (150, 100, "hold"),
    ],
)
def test_blood_pressure_before_dosing_at_the_screenings_thresholds(
    cleared, clinician, systolic, diastolic, status
):
    infusion = checked(cleared, clinician, pre_systolic=str(systolic), pre_diastolic=str(diastolic))
    decision = infusion_decision(infusion)
    assert decision.status == status, decision.reasons
    if status == "hold":
        assert "BP-STAGE2" in decision.holds[0] and "no infusion today" in decision.holds[0]


def test_the_mean_of_two_readings_decides(cleared, clinician):
    infusion = checked(
        cleared, clinician, pre_systolic="164", pre_diastolic="90", pre2_systolic="154", pre2_diastolic="88"
    )
    decision = infusion_decision(infusion)
    assert decision.status == "physician"  # mean 159/89
    assert "159/89 (mean of 2 readings)" in decision.cautions[0]


def test_a_checklist_no_holds_and_a_blank_is_missing(cleared, clinician):
    held = infusion_decision(checked(cleared, clinician, checklist_fasting="no"))
    assert held.status == "hold"
    assert held.holds == ("Not confirmed: Fasting as the clinic's protocol requires.",)
    infusion = Infusion.objects.get()
    infusion_sign(infusion=infusion, user=clinician)
    blank = infusion_decision(checked(cleared, clinician, checklist_escort_present=""))
    assert blank.status == "incomplete"
    assert any("escort" in m for m in blank.missing)


def test_the_checklist_asks_what_the_screening_needs(cleared, clinician):
    from infusions.checks import day_of_items
    from rules.selectors import engine_ruleset

    infusion = infusion_start(patient=cleared, user=clinician)
    keys = [i.key for i in day_of_items(infusion.screening, engine_ruleset(infusion.screening.ruleset), DAY)]
    # a woman of 42: the pregnancy test; no benzodiazepine or stimulant finding: not those
    assert keys == ["fasting", "escort_present", "consent_current", "pregnancy_test_negative"]


def test_a_measure_rule_on_the_days_measures_holds(cleared, clinician, physician):
    infusion = infusion_start(patient=cleared, user=clinician)
    infusion_measure_add(
        infusion=infusion,
        user=clinician,
        instrument="cssrs_screener",
        administered_on=DAY,
        answers=CSSRS_INTENT,
    )
    infusion = infusion_check(infusion=infusion, user=clinician, values=CHECK)
    decision = infusion_decision(infusion)
    assert decision.status == "hold"
    assert "MEAS-CSSRS-RISK" in decision.holds[0]
    # the day's measures live on the infusion: the screening stays current
    from screening.currency import screening_currency

    assert screening_currency(infusion.screening).current
    with pytest.raises(InfusionRefused, match="Hold"):
        infusion_authorize(infusion=infusion, user=physician, dose_mg="50")


def test_phq9_item9_needs_the_physicians_go(cleared, clinician, physician):
    infusion = infusion_start(patient=cleared, user=clinician)
    infusion_measure_add(
        infusion=infusion, user=clinician, instrument="phq9", administered_on=DAY, answers=[*PHQ9[:8], 1]
    )
    infusion = infusion_check(infusion=infusion, user=clinician, values=CHECK)
    assert infusion_decision(infusion).status == "physician"
    with pytest.raises(InfusionRefused) as refused:
        infusion_authorize(infusion=infusion, user=physician, dose_mg="50")
    assert refused.value.errors[0][0] == "reason"
    authorized = infusion_authorize(
        infusion=infusion, user=physician, dose_mg="50", reason="Passive thought; safety plan"
    )
    assert authorized.decision["status"] == "physician"


def test_only_a_physician_authorizes_and_only_within_todays_range(cleared, clinician, physician):
    infusion = checked(cleared, clinician)
    with pytest.raises(InfusionRefused, match="Only a physician"):
        infusion_authorize(infusion=infusion, user=clinician, dose_mg="50")
    for dose in ("36.9", "74.1", "", "abc", "NaN"):
        with pytest.raises(InfusionRefused) as refused:
            infusion_authorize(infusion=infusion, user=physician, dose_mg=dose)
        assert refused.value.errors[0][0] == "dose_mg"
    assert (infusion_decision(infusion).dose.low_mg, infusion_decision(infusion).dose.high_mg) == (37.0, 74.0)
    authorized = infusion_authorize(infusion=infusion, user=physician, dose_mg="74")  # the top of the range
    assert authorized.authorized_dose_mg == 74


def test_the_whole_day_and_the_signed_record_never_changes(cleared, clinician, physician):
    infusion = checked(cleared, clinician)
    infusion = infusion_authorize(infusion=infusion, user=physician, dose_mg="50")
    with pytest.raises(InfusionRefused) as refused:
        infusion_monitor(
            infusion=infusion, user=clinician, values={"dose_given_mg": "50.1", "started_at": at(9)}
        )
    assert refused.value.errors[0][0] == "dose_given_mg"
    infusion = infusion_monitor(
        infusion=infusion,
        user=clinician,
        values={
            "dose_given_mg": "50",
            "started_at": at(9),
            "at40_systolic": "138",
            "at40_diastolic": "88",
            "rass": "-1",
            "dissociation_scale": "rating",
            "dissociation": "4",
            "adverse_events": "Mild nausea",
        },
    )
    with pytest.raises(InfusionRefused) as refused:
        infusion_discharge(
            infusion=infusion,
            user=clinician,
            values={"discharge_systolic": "124", "discharge_diastolic": "80", "discharged_at": at(10, 30)},
        )
    assert refused.value.errors == [
        ("escort_name", "Enter the escort's name: no discharge without an escort.")
    ]
    infusion = infusion_discharge(
        infusion=infusion,
        user=clinician,
        values={
            "discharge_systolic": "124",
            "discharge_diastolic": "80",
            "discharged_at": at(10, 30),
            "escort_name": "J. Silva",
        },
    )
    signed = infusion_sign(infusion=infusion, user=clinician)
    assert (signed.outcome, signed.stage) == ("given", "signed")
    with pytest.raises(InfusionRefused, match="signed"):
        infusion_sign(infusion=signed, user=clinician)
    signed.adverse_events = "edited"
    with pytest.raises(InfusionSigned):
        signed.save()
    if connection.vendor == "postgresql":
        with pytest.raises((DatabaseError, InternalError)), transaction.atomic():
            Infusion.objects.filter(pk=signed.pk).update(adverse_events="edited")


@pytest.mark.parametrize("rass", ["-6", "5", "1.5"])
def test_rass_bounds(cleared, clinician, physician, rass):
    infusion = infusion_authorize(infusion=checked(cleared, clinician), user=physician, dose_mg="50")
    with pytest.raises(InfusionRefused) as refused:
        infusion_monitor(
            infusion=infusion,
            user=clinician,
            values={"dose_given_mg": "50", "started_at": at(9), "rass": rass},
        )
    assert refused.value.errors[0][0] == "rass"


def test_a_held_infusion_is_signed_with_its_reasons(cleared, clinician):
    infusion = checked(cleared, clinician, pre_systolic="170", pre_diastolic="95")
    signed = infusion_sign(infusion=infusion, user=clinician)
    assert signed.outcome == "held"
    assert "BP-STAGE2" in signed.hold_reason
    assert signed.decision["status"] == "hold"


def test_an_intake_todays_validator_cannot_read_holds_the_day_and_asks_every_item(
    cleared, clinician, monkeypatch
):
    from infusions import checks
    from screening.engine.problems import Problem
    from screening.intake import IntakeInvalid

    infusion = checked(cleared, clinician)

    def refuse(document):
        raise IntakeInvalid([Problem("patient.sex_at_birth", "not a known value")])

    monkeypatch.setattr(checks, "validate_intake", refuse)
    decision = infusion_decision(infusion)
    assert decision.status == "hold"
    assert checks.UNREADABLE in decision.holds
    assert infusion.screening.intake  # the snapshot itself is untouched
    from rules.selectors import engine_ruleset

    ruleset = engine_ruleset(infusion.screening.ruleset)
    asked = checks.day_of_items(infusion.screening, ruleset, DAY)
    assert [i.key for i in asked] == [
        i.key for i in ruleset.protocol.day_of_checklist if not i.findings
    ]  # the predicate items asked (fail closed); finding items follow the screening's findings
