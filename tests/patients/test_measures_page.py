"""Baseline measures on the patient page (issue 18): a page per instrument, scores computed from the answers
(never typed), every refusal on its field with the values kept, the C-SSRS skip logic, the trend chart, and
removal of one entered in error."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from patients.models import Measure

from .pages import checked_radio, input_value, shows

pytestmark = pytest.mark.django_db


def add_url(patient, instrument):
    return reverse("patients:measure_add", args=[patient.pk, instrument])


def items(values, today=None):
    return {
        "administered_on": (today or timezone.localdate()).isoformat(),
        **{f"item_{i}": str(v) for i, v in enumerate(values)},
    }


def cssrs(**answers):
    return {"administered_on": timezone.localdate().isoformat(), **answers}


@pytest.mark.parametrize(("instrument", "count"), [("phq9", 9), ("gad7", 7), ("cssrs_screener", 7)])
def test_each_instrument_has_its_page_with_the_date_already_today(
    clinician_client, patient, instrument, count
):
    response = clinician_client.get(add_url(patient, instrument))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('type="radio"') == count * (4 if instrument != "cssrs_screener" else 2)
    assert input_value(response, "administered_on") == timezone.localdate().isoformat()
    assert page.count("autofocus") == 1  # the first answer
    assert AuditEvent.objects.filter(action="view", detail=f"add {instrument}").exists()


def test_an_unknown_instrument_is_not_found(clinician_client, patient):
    assert clinician_client.get(add_url(patient, "bdi")).status_code == 404
    assert clinician_client.post(add_url(patient, "bdi"), {}).status_code == 404


def test_a_phq9_is_recorded_and_scored_from_its_answers(clinician_client, patient, clinician):
    response = clinician_client.post(add_url(patient, "phq9"), items([1, 2, 1, 2, 2, 1, 2, 2, 1]))
    assert response.status_code == 302
    assert response["Location"].endswith(f"/patients/{patient.pk}/#measures")
    measure = Measure.objects.get()
    assert (measure.instrument, measure.answers, measure.entered_by) == (
        "phq9",
        [1, 2, 1, 2, 2, 1, 2, 2, 1],
        clinician,
    )
    assert measure.score.summary == "PHQ-9 14 (moderate); item 9: 1"
    page = clinician_client.get(reverse("patients:detail", args=[patient.pk]))
    html = page.content.decode()
    assert "PHQ-9 14 (moderate); item 9: 1" in html
    assert "item 9 = 1: physician review" in html
    assert 'data-testid="trend-phq9"' in html


def test_a_missing_answer_is_refused_on_its_field_and_nothing_is_lost(clinician_client, patient):
    data = items([0, 1, 2, 3, 0, 1, 2])  # GAD-7, the last answer left out
    data["item_6"] = ""
    response = clinician_client.post(add_url(patient, "gad7"), data)
    assert response.status_code == 400
    form = response.context["form"]
    assert list(form.errors) == ["item_6"]
    assert checked_radio(response, "item_3") == "3"
    assert 'data-testid="error-summary"' in response.content.decode()
    assert not Measure.objects.exists()


def test_an_answer_outside_the_scale_is_refused(clinician_client, patient):
    response = clinician_client.post(add_url(patient, "gad7"), items([0, 1, 2, 4, 0, 1, 2]))
    assert response.status_code == 400
    assert "item_3" in response.context["form"].errors
    assert not Measure.objects.exists()


def test_a_date_in_the_future_is_refused(clinician_client, patient):
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = clinician_client.post(add_url(patient, "gad7"), items([0] * 7, today=tomorrow))
    assert response.status_code == 400
    assert response.context["form"].errors["administered_on"] == ["cannot be in the future"]
    assert not Measure.objects.exists()


def test_cssrs_follow_ups_answered_no_under_a_no_are_not_kept(clinician_client, patient):
    response = clinician_client.post(
        add_url(patient, "cssrs_screener"),
        cssrs(
            wish_to_be_dead="yes",
            suicidal_thoughts="no",
            thoughts_with_method="no",
            intent="no",
            behavior_ever="no",
        ),
    )
    assert response.status_code == 302
    answers = Measure.objects.get().answers
    assert answers["thoughts_with_method"] is None and answers["intent"] is None
    assert answers["wish_to_be_dead"] is True
    assert Measure.objects.get().score.band == "low"


def test_cssrs_a_yes_under_a_no_is_refused_on_its_question(clinician_client, patient):
    response = clinician_client.post(
        add_url(patient, "cssrs_screener"),
        cssrs(wish_to_be_dead="no", suicidal_thoughts="no", intent="yes", behavior_ever="no"),
    )
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["intent"]
    assert checked_radio(response, "intent") == "yes"
    assert not Measure.objects.exists()


def test_cssrs_a_follow_up_left_out_under_a_yes_is_refused(clinician_client, patient):
    response = clinician_client.post(
        add_url(patient, "cssrs_screener"),
        cssrs(wish_to_be_dead="yes", suicidal_thoughts="no", behavior_ever="yes"),
    )
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["behavior_past_3_months"]


def test_cssrs_imminent_risk_is_flagged_on_the_patient_page(clinician_client, patient):
    clinician_client.post(
        add_url(patient, "cssrs_screener"),
        cssrs(
            wish_to_be_dead="yes",
            suicidal_thoughts="yes",
            thoughts_with_method="yes",
            intent="yes",
            intent_with_plan="no",
            behavior_ever="no",
        ),
    )
    page = clinician_client.get(reverse("patients:detail", args=[patient.pk]))
    assert shows(page, "imminent risk: same-day safety evaluation")
    assert shows(page, "C-SSRS screener: high risk (intent)")


def test_the_trend_has_a_point_per_administration_in_date_order(clinician_client, patient):
    given = (
        (date(2026, 10, 1), [3] * 7),  # 21
        (date(2026, 11, 1), [2, 2, 2, 1, 1, 1, 0]),  # 9
        (date(2026, 10, 15), [2] * 7),  # 14
    )
    for day, answers in given:
        Measure.objects.create(patient=patient, instrument="gad7", administered_on=day, answers=answers)
    html = clinician_client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "GAD-7 totals over time: 21 on 2026-10-01, 14 on 2026-10-15, 9 on 2026-11-01" in html
    assert html.count("<circle") == 3


def test_a_patient_without_measures_says_so(clinician_client, patient):
    page = clinician_client.get(reverse("patients:detail", args=[patient.pk]))
    assert shows(page, "No baseline measure recorded.")
    assert '<svg class="measure-chart"' not in page.content.decode()


def test_a_measure_entered_in_error_is_removed(clinician_client, patient):
    measure = Measure.objects.create(
        patient=patient, instrument="gad7", administered_on=date(2026, 11, 1), answers=[0] * 7
    )
    response = clinician_client.post(reverse("patients:measure_delete", args=[patient.pk, measure.pk]))
    assert response.status_code == 302
    assert not Measure.objects.exists()
    assert Measure.history.filter(history_type="-").count() == 1  # the history keeps it


def test_a_measure_of_another_patient_is_not_found(clinician_client, patient):
    from .factories import PatientFactory

    other = PatientFactory()
    measure = Measure.objects.create(
        patient=other, instrument="gad7", administered_on=date(2026, 11, 1), answers=[0] * 7
    )
    response = clinician_client.post(reverse("patients:measure_delete", args=[patient.pk, measure.pk]))
    assert response.status_code == 404
    assert Measure.objects.exists()


def test_a_measure_makes_an_earlier_screening_no_longer_current(clinician_client, patient):
    from patients.selectors import intake_document
    from screening.intake import describe_changes, validate_intake

    before = validate_intake(intake_document(patient, timezone.localdate()))
    assert "measures" not in before
    clinician_client.post(add_url(patient, "gad7"), items([1] * 7))
    after = validate_intake(intake_document(Measure.objects.get().patient, timezone.localdate()))
    assert describe_changes(before, after) == [f"GAD-7 of {timezone.localdate().isoformat()} added"]


def test_the_cssrs_trend_places_each_administration_on_its_risk_level(clinician_client, patient):
    today = timezone.localdate()
    clear = {"wish_to_be_dead": False, "suicidal_thoughts": False, "behavior_ever": False}
    intent = {
        "wish_to_be_dead": True,
        "suicidal_thoughts": True,
        "thoughts_with_method": False,
        "intent": True,
        "intent_with_plan": False,
        "behavior_ever": False,
    }
    Measure.objects.create(
        patient=patient, instrument="cssrs_screener", administered_on=today - timedelta(days=7), answers=clear
    )
    Measure.objects.create(
        patient=patient, instrument="cssrs_screener", administered_on=today, answers=intent
    )
    html = clinician_client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert 'data-testid="trend-cssrs_screener"' in html
    earlier = (today - timedelta(days=7)).isoformat()
    assert f"risk level over time: none on {earlier}, high on {today.isoformat()}" in html
    assert html.count('fill="#b02a37"/>') == 1  # the one high administration, a red square
