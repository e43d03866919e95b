"""Blood pressure readings on the patient page: plausible ranges, diastolic below systolic, never in the
future, and the time field starts at now."""

from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from patients.models import BloodPressureReading

from .factories import BloodPressureReadingFactory
from .pages import input_value, shows

pytestmark = pytest.mark.django_db


def taken(moment: datetime) -> dict[str, str]:
    """The reading's date and time fields for a moment, as the browser sends them (local time)."""
    local = timezone.localtime(moment)
    return {"taken_on": local.strftime("%Y-%m-%d"), "taken_time": local.strftime("%H:%M")}


def add_reading(client, patient, **values):
    data = {
        **taken(timezone.now() - timedelta(minutes=10)),
        "systolic": "126",
        "diastolic": "80",
        "heart_rate": "70",
        **values,
    }
    return client.post(reverse("patients:reading_add", args=[patient.pk]), data)


@pytest.mark.parametrize(
    ("systolic", "diastolic", "heart_rate"),
    [
        ("60", "30", "20"),
        ("300", "200", "250"),
        ("60", "59", ""),
        ("126", "80", "70"),
    ],
)
def test_readings_within_the_plausible_ranges_are_recorded(
    clinician_client, patient, systolic, diastolic, heart_rate
):
    response = add_reading(
        clinician_client, patient, systolic=systolic, diastolic=diastolic, heart_rate=heart_rate
    )
    reading = BloodPressureReading.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:detail", args=[patient.pk]) + "#blood-pressure"
    assert (
        reading.patient,
        str(reading.systolic),
        str(reading.diastolic),
        str(reading.heart_rate or ""),
    ) == (patient, systolic, diastolic, heart_rate)


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        (
            {"systolic": "59", "diastolic": "40"},
            "systolic",
            "59 mmHg is below the plausible minimum of 60 mmHg.",
        ),
        ({"systolic": "301"}, "systolic", "301 mmHg is above the plausible maximum of 300 mmHg."),
        ({"diastolic": "29"}, "diastolic", "29 mmHg is below the plausible minimum of 30 mmHg."),
        (
            {"systolic": "250", "diastolic": "201"},
            "diastolic",
            "201 mmHg is above the plausible maximum of 200 mmHg.",
        ),
        ({"systolic": "120", "diastolic": "120"}, "diastolic", "Diastolic 120 must be below systolic 120."),
        ({"systolic": "120", "diastolic": "130"}, "diastolic", "Diastolic 130 must be below systolic 120."),
        ({"heart_rate": "19"}, "heart_rate", "19 bpm is below the plausible minimum of 20 bpm."),
        ({"heart_rate": "251"}, "heart_rate", "251 bpm is above the plausible maximum of 250 bpm."),
        ({"systolic": ""}, "systolic", "This field is required."),
    ],
)
def test_implausible_reading_is_refused_with_a_message(clinician_client, patient, values, field, message):
    response = add_reading(clinician_client, patient, **values)
    assert response.status_code == 400
    assert response.context["bp_form"].errors[field] == [message]
    assert shows(response, message)
    assert BloodPressureReading.objects.count() == 0


def test_reading_in_the_future_is_refused(clinician_client, patient):
    response = add_reading(clinician_client, patient, **taken(timezone.now() + timedelta(hours=1)))
    assert response.status_code == 400
    errors = response.context["bp_form"].errors
    assert (errors.get("taken_time") or errors.get("taken_on")) == ["A reading cannot be in the future."]
    assert BloodPressureReading.objects.count() == 0


def test_refused_reading_keeps_every_entered_value(clinician_client, patient):
    tomorrow = taken(timezone.now() + timedelta(days=1))
    response = add_reading(
        clinician_client, patient, **tomorrow, systolic="59", diastolic="201", heart_rate="10"
    )
    assert response.status_code == 400
    names = ("taken_on", "taken_time", "systolic", "diastolic", "heart_rate")
    assert {name: input_value(response, name) for name in names} == {
        **tomorrow,
        "systolic": "59",
        "diastolic": "201",
        "heart_rate": "10",
    }
    assert sorted(response.context["bp_form"].errors) == ["diastolic", "heart_rate", "systolic", "taken_on"]


def test_the_time_of_a_new_reading_defaults_to_now(clinician_client, patient):
    response = clinician_client.get(reverse("patients:detail", args=[patient.pk]))
    offered = datetime.fromisoformat(
        f"{input_value(response, 'taken_on')}T{input_value(response, 'taken_time')}"
    ).replace(tzinfo=timezone.get_current_timezone())
    assert abs(offered - timezone.now()) < timedelta(minutes=2)


def test_recorded_readings_are_listed_newest_first(clinician_client, patient):
    BloodPressureReadingFactory(patient=patient, taken_at=timezone.now() - timedelta(days=2), systolic=150)
    BloodPressureReadingFactory(patient=patient, taken_at=timezone.now() - timedelta(hours=1), systolic=128)
    response = clinician_client.get(reverse("patients:detail", args=[patient.pk]))
    assert [r.systolic for r in response.context["readings"]] == [128, 150]
    assert response.content.index(b"128/80") < response.content.index(b"150/80")


def test_removing_a_reading_deletes_it(clinician_client, patient):
    reading = BloodPressureReadingFactory(patient=patient)
    response = clinician_client.post(reverse("patients:reading_delete", args=[patient.pk, reading.pk]))
    assert response.status_code == 302
    assert BloodPressureReading.objects.count() == 0


def test_a_reading_cannot_be_removed_through_another_patients_page(clinician_client, patient):
    reading = BloodPressureReadingFactory()
    response = clinician_client.post(reverse("patients:reading_delete", args=[patient.pk, reading.pk]))
    assert response.status_code == 404
    assert BloodPressureReading.objects.count() == 1
