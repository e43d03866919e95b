"""Weight, height and pregnancy status from Observations (interop/fhir/read_observations.py, docs/fhir.md):
only a value dated close enough before the day the intake describes (`assessed_on`) is read -- a pregnancy
status within 7 days, a weight within 30, a height at any date, each dated to the day and never after
assessed_on. Anything else is listed with the reason and the field stays unknown. No database."""

from __future__ import annotations

from datetime import date

import pytest

from interop.fhir import codes
from interop.fhir.read import intake_from_bundle, intake_from_resources
from interop.fhir.read_observations import HEIGHT_MAX_DAYS, PREGNANCY_MAX_DAYS, WEIGHT_MAX_DAYS

from .fhir_builders import EHR_MRN_SYSTEM, bundle, measured, patient, pregnancy_status

ASSESSED_ON = date(2026, 11, 20)


@pytest.fixture(autouse=True)
def ehr_mrn_system(settings):
    settings.FHIR_MRN_SYSTEMS = [EHR_MRN_SYSTEM]


def read(*resources, assessed_on=ASSESSED_ON):
    plain = patient()
    del plain["gender"]
    return intake_from_resources([plain, *resources], assessed_on=assessed_on)


def listed(mapped) -> list[tuple[str, str]]:
    return [(item["path"], item["message"]) for item in mapped.unmapped]


def undated(resource: dict) -> dict:
    del resource["effectiveDateTime"]
    return resource


def test_the_windows_are_a_week_for_pregnancy_a_month_for_weight_and_none_for_height():
    assert (PREGNANCY_MAX_DAYS, WEIGHT_MAX_DAYS, HEIGHT_MAX_DAYS) == (7, 30, None)


def test_a_pregnancy_status_from_2019_is_not_todays():
    mapped = read(pregnancy_status("not_pregnant", "2019-03-02"))
    assert "pregnancy" not in mapped.intake["patient"]
    assert listed(mapped) == [
        (
            "resources[1]",
            "Observation (pregnancy status): dated 2019-03-02, more than 7 days before assessed_on "
            "2026-11-20; not read",
        )
    ]


def test_a_weight_from_2012_is_not_todays():
    mapped = read(measured(codes.BODY_WEIGHT, 61, "kg", "2012-05-01"))
    assert "weight_kg" not in mapped.intake["patient"]
    assert listed(mapped) == [
        (
            "resources[1]",
            "Observation (body weight): dated 2012-05-01, more than 30 days before assessed_on "
            "2026-11-20; not read",
        )
    ]


@pytest.mark.parametrize(
    ("when", "read_it"),
    [
        ("2026-11-13", True),  # 7 days before
        ("2026-11-12", False),  # 8 days before
        ("2026-11-20T23:30:00-07:00", True),  # the same calendar day, in its own offset (UTC: the 21st)
        ("2026-11-13T00:10:00+05:30", True),  # 7 days before in its own offset (UTC: the 12th)
        ("2026-11-21", False),  # after assessed_on
        ("2026-11", False),  # not dated to the day
    ],
)
def test_a_pregnancy_status_counts_within_7_days_before_assessed_on_never_after(when, read_it):
    mapped = read(pregnancy_status("pregnant", when))
    assert ("pregnancy" in mapped.intake["patient"]) is read_it
    assert (mapped.unmapped == []) is read_it


@pytest.mark.parametrize(("when", "read_it"), [("2026-10-21", True), ("2026-10-20", False)])
def test_a_weight_counts_within_30_days_before_assessed_on(when, read_it):
    mapped = read(measured(codes.BODY_WEIGHT, 70, "kg", when))
    assert mapped.intake["patient"].get("weight_kg") == (70 if read_it else None)


def test_a_weight_after_assessed_on_is_not_read():
    mapped = read(measured(codes.BODY_WEIGHT, 70, "kg", "2026-11-21T08:00:00Z"))
    assert "weight_kg" not in mapped.intake["patient"]
    assert listed(mapped) == [
        (
            "resources[1]",
            "Observation (body weight): dated 2026-11-21, after assessed_on 2026-11-20; not read",
        )
    ]


def test_a_height_of_any_date_is_read_but_an_undated_one_is_not():
    old = read(measured(codes.BODY_HEIGHT, 172, "cm", "2001-02-03"))
    assert old.intake["patient"]["height_cm"] == 172 and old.unmapped == []
    mapped = read(undated(measured(codes.BODY_HEIGHT, 172, "cm")))
    assert "height_cm" not in mapped.intake["patient"]
    assert listed(mapped) == [
        (
            "resources[1]",
            "Observation (body height): no date (effectiveDateTime or effectiveInstant, to the day); "
            "not read",
        )
    ]


@pytest.mark.parametrize(
    "resource",
    [
        pregnancy_status("not_pregnant", None),
        undated(measured(codes.BODY_WEIGHT, 70, "kg")),
        measured(codes.BODY_WEIGHT, 70, "kg", "2026"),
    ],
)
def test_an_undated_pregnancy_status_or_weight_is_listed_and_stays_unknown(resource):
    mapped = read(resource)
    assert not {"pregnancy", "weight_kg"} & set(mapped.intake["patient"])
    assert [path for path, _ in listed(mapped)] == ["resources[1]"]
    assert "no date" in mapped.unmapped[0]["message"]


def test_an_old_weight_beside_a_recent_one_is_listed_and_the_recent_one_read():
    mapped = read(
        measured(codes.BODY_WEIGHT, 80, "kg", "2025-01-01"),
        undated(measured(codes.BODY_WEIGHT, 90, "kg")),
        measured(codes.BODY_WEIGHT, 72, "kg", "2026-11-18"),
    )
    assert mapped.intake["patient"]["weight_kg"] == 72
    assert [path for path, _ in listed(mapped)] == ["resources[1]", "resources[2]"]


def test_two_weights_on_the_same_day_with_different_values_tie_and_the_message_says_so():
    mapped = read(
        measured(codes.BODY_WEIGHT, 70, "kg", "2026-11-18"),
        measured(codes.BODY_WEIGHT, 72, "kg", "2026-11-18T08:00:00Z"),
    )
    assert "weight_kg" not in mapped.intake["patient"]
    message = (
        "Observation (body weight): which is the latest cannot be told (two of them are dated alike or "
        "overlap, with different values); body weight not known"
    )
    assert listed(mapped) == [("resources[1]", message), ("resources[2]", message)]


def test_the_window_counts_back_from_the_intake_questionnaires_date():
    questionnaire = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "questionnaire": codes.INTAKE_QUESTIONNAIRE,
        "authored": "2026-11-20",
    }
    kept = intake_from_bundle(
        bundle([patient(), measured(codes.BODY_WEIGHT, 70, "kg", "2026-10-25"), questionnaire])
    )
    assert kept.intake["patient"]["weight_kg"] == 70
    questionnaire["authored"] = "2026-12-20"
    dropped = intake_from_bundle(
        bundle([patient(), measured(codes.BODY_WEIGHT, 70, "kg", "2026-10-25"), questionnaire])
    )
    assert "weight_kg" not in dropped.intake["patient"]
