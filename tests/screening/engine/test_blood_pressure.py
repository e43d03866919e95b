"""Blood pressure: the mean of the latest reading day within 30 days (criteria.md, 'Cardiovascular and BP')."""

import dataclasses
from datetime import timedelta, timezone

import pytest

from .builders import AS_OF, fires, reading, screen, silent, with_bp


def pulse(rate, hour: int = 9, days_before: int = 0):
    """A normal blood pressure reading with this heart rate (None: not recorded)."""
    normal = reading(120, 78, days_before=days_before, hour=hour)
    return dataclasses.replace(normal, heart_rate=rate)


FIRES = [
    # CV-HEART-RATE-HIGH (2026.2): the mean of the latest day's readings that record a rate is above 100
    fires("CV-HEART-RATE-HIGH", "101 bpm", with_bp(pulse(101))),
    fires("CV-HEART-RATE-HIGH", "101 and 100: mean 100.5", with_bp(pulse(101), pulse(100, hour=10))),
    fires(
        "CV-HEART-RATE-HIGH", "104 and a reading without a rate", with_bp(pulse(104), pulse(None, hour=10))
    ),
    # BP-NONE-RECENT
    fires("BP-NONE-RECENT", "no reading", with_bp()),
    fires("BP-NONE-RECENT", "latest reading 31 days before", with_bp(reading(120, 80, days_before=31))),
    fires(
        "BP-NONE-RECENT",
        "only reading is after the assessment date",
        with_bp(reading(120, 80, days_before=-1)),
    ),
    # BP-STAGE2
    fires("BP-STAGE2", "160/90", with_bp(reading(160, 90))),
    fires("BP-STAGE2", "150/100", with_bp(reading(150, 100))),
    fires(
        "BP-STAGE2", "mean of 158 and 162 is 160", with_bp(reading(158, 80, hour=8), reading(162, 80, hour=9))
    ),
    fires("BP-STAGE2", "30 days before still counts", with_bp(reading(165, 95, days_before=30))),
    fires(
        "BP-STAGE2",
        "latest day high though an older day was normal",
        with_bp(reading(120, 80, days_before=3), reading(170, 95, days_before=1)),
    ),
    # BP-ELEVATED
    fires("BP-ELEVATED", "141/90", with_bp(reading(141, 90))),
    fires("BP-ELEVATED", "140/91", with_bp(reading(140, 91))),
    fires("BP-ELEVATED", "159/99", with_bp(reading(159, 99))),
    fires(
        "BP-ELEVATED",
        "mean of 139 and 142 is 140.5",
        with_bp(reading(139, 80, hour=8), reading(142, 80, hour=9)),
    ),
    fires(
        "BP-ELEVATED",
        "latest day elevated though an older day was normal",
        with_bp(reading(120, 80, days_before=2), reading(145, 85, days_before=0)),
    ),
    fires(
        "BP-ELEVATED",
        "mean of three readings 150/95, 140/90, 140/90 is 143.3/91.7",
        with_bp(reading(150, 95, hour=8), reading(140, 90, hour=9), reading(140, 90, hour=10)),
    ),
]

SILENT = [
    # CV-HEART-RATE-HIGH
    silent("CV-HEART-RATE-HIGH", "exactly 100 bpm", with_bp(pulse(100))),
    silent("CV-HEART-RATE-HIGH", "101 and 99: mean 100", with_bp(pulse(101), pulse(99, hour=10))),
    silent("CV-HEART-RATE-HIGH", "no rate recorded", with_bp(pulse(None))),
    silent(
        "CV-HEART-RATE-HIGH",
        "a fast rate only on an earlier day",
        with_bp(pulse(130, days_before=2), pulse(72)),
    ),
    silent("CV-HEART-RATE-HIGH", "no reading in the window", with_bp(pulse(130, days_before=31))),
    # BP-NONE-RECENT
    silent("BP-NONE-RECENT", "reading 30 days before", with_bp(reading(120, 80, days_before=30))),
    silent("BP-NONE-RECENT", "reading on the assessment date", with_bp(reading(120, 80))),
    silent(
        "BP-NONE-RECENT",
        "an old reading beside a recent one",
        with_bp(reading(120, 80, days_before=90), reading(120, 80, days_before=10)),
    ),
    # BP-STAGE2
    silent("BP-STAGE2", "159/99", with_bp(reading(159, 99))),
    silent(
        "BP-STAGE2",
        "mean of 158 and 161 is 159.5",
        with_bp(reading(158, 80, hour=8), reading(161, 80, hour=9)),
    ),
    silent(
        "BP-STAGE2",
        "older day at stage 2, latest day normal",
        with_bp(reading(180, 110, days_before=5), reading(125, 80, days_before=1)),
    ),
    silent(
        "BP-STAGE2",
        "stage 2 reading after the assessment date is ignored",
        with_bp(reading(125, 80), reading(180, 110, days_before=-1)),
    ),
    silent(
        "BP-STAGE2", "stage 2 reading 31 days before is too old", with_bp(reading(180, 110, days_before=31))
    ),
    # BP-ELEVATED
    silent("BP-ELEVATED", "140/90", with_bp(reading(140, 90))),
    silent("BP-ELEVATED", "160/90 is stage 2 instead", with_bp(reading(160, 90))),
    silent("BP-ELEVATED", "139/100 is stage 2 instead", with_bp(reading(139, 100))),
    silent(
        "BP-ELEVATED",
        "mean of 138 and 142 is 140",
        with_bp(reading(138, 80, hour=8), reading(142, 80, hour=9)),
    ),
    silent(
        "BP-ELEVATED",
        "older day elevated, latest day normal",
        with_bp(reading(150, 95, days_before=2), reading(130, 85, days_before=1)),
    ),
    silent(
        "BP-ELEVATED",
        "elevated reading after the assessment date is ignored",
        with_bp(reading(130, 85), reading(150, 95, days_before=-1)),
    ),
]


@pytest.mark.parametrize(("code", "facts"), FIRES)
def test_rule_fires(code, facts):
    assert code in screen(facts).rule_codes


@pytest.mark.parametrize(("code", "facts"), SILENT)
def test_rule_is_silent(code, facts):
    assert code not in screen(facts).rule_codes


def test_mean_of_latest_day_at_stage2_defers():
    report = screen(
        with_bp(reading(120, 80, days_before=4), reading(158, 98, hour=8), reading(162, 102, hour=9))
    )

    assert report.verdict == "deferred"
    assert "BP-STAGE2" in report.rule_codes
    assert "BP-ELEVATED" not in report.rule_codes


def test_elevated_bp_needs_clinician_review():
    assert screen(with_bp(reading(141, 90))).verdict == "clinician_review"


def test_no_recent_reading_needs_information():
    assert screen(with_bp(reading(120, 80, days_before=31))).verdict == "needs_information"


def test_summary_is_the_mean_of_the_latest_day_only():
    report = screen(
        with_bp(reading(170, 100, days_before=1), reading(139, 80, hour=8), reading(142, 85, hour=9))
    )

    assert report.blood_pressure.systolic == 140.5
    assert report.blood_pressure.diastolic == 82.5
    assert report.blood_pressure.readings == 2
    assert report.blood_pressure.day == AS_OF


def test_summary_ignores_readings_after_the_assessment_date():
    report = screen(with_bp(reading(130, 85, days_before=2), reading(180, 110, days_before=-1)))

    assert (report.blood_pressure.systolic, report.blood_pressure.day) == (130, AS_OF - timedelta(days=2))


def test_the_reading_day_is_the_local_date_of_the_reading():
    late_evening_in_california = reading(
        150, 95, hour=23, tz=timezone(timedelta(hours=-8))
    )  # next day in UTC

    report = screen(with_bp(reading(120, 80, days_before=1), late_evening_in_california))

    assert report.blood_pressure.day == AS_OF
    assert "BP-ELEVATED" in report.rule_codes


def test_summary_is_absent_without_a_reading_in_the_window():
    assert screen(with_bp(reading(120, 80, days_before=31))).blood_pressure is None


def test_bp_evidence_names_the_mean_and_the_reading_count():
    report = screen(with_bp(reading(139, 80, hour=8), reading(142, 80, hour=9)))
    finding = next(f for f in report.findings if f.rule == "BP-ELEVATED")

    assert finding.evidence == f"BP 140.5/80 mmHg (mean of 2 on {AS_OF.isoformat()})"


def test_stale_reading_evidence_names_the_latest_reading_day():
    report = screen(with_bp(reading(120, 80, days_before=31)))
    finding = next(f for f in report.findings if f.rule == "BP-NONE-RECENT")

    assert (AS_OF - timedelta(days=31)).isoformat() in finding.evidence


def test_thresholds_compare_the_exact_mean_not_the_rounded_one():
    # 24 readings of 140 and one of 141: the mean is 140.04, above 140, though it prints as 140.0
    readings = [reading(140, 80, hour=i) for i in range(24)] + [reading(141, 80, hour=23)]
    report = screen(with_bp(*readings))

    assert "BP-ELEVATED" in report.rule_codes
    assert report.blood_pressure.shown_systolic == 140.0
