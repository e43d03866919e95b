"""The report shows the baseline measures of the screening's own snapshot (issue 18): the latest of each
measure with its computed result and date, a flag where a rule reads it, or "No baseline measure recorded";
on the page and in the PDF alike."""

import json
from datetime import date

import pytest
from django.core.management import call_command
from django.urls import reverse

from patients.services import intake_import
from screening.presentation import baseline_measures
from screening.services import screening_pdf_bytes, screening_run
from tests.conftest import EXAMPLES
from tests.screening.test_pdf import pdf_text

pytestmark = pytest.mark.django_db

PHQ9_OLD = {"instrument": "phq9", "administered_on": "2026-10-01", "answers": [3, 3, 3, 3, 2, 2, 2, 2, 0]}
PHQ9_NEW = {"instrument": "phq9", "administered_on": "2026-11-13", "answers": [1, 2, 1, 2, 2, 1, 2, 2, 1]}
CSSRS_HIGH = {
    "instrument": "cssrs_screener",
    "administered_on": "2026-11-13",
    "answers": {"wish_to_be_dead": True, "suicidal_thoughts": True, "thoughts_with_method": False,
                "intent": True, "intent_with_plan": False, "behavior_ever": False},
}  # fmt: skip


def screened(clinician, *measures):
    call_command("load_defaults", stdout=open("/dev/null", "w"))  # noqa: SIM115
    doc = json.loads((EXAMPLES / "eligible.json").read_text())
    if measures:
        doc["measures"] = list(measures)
    patient, _ = intake_import(doc=doc)
    return screening_run(patient=patient, requested_by=clinician, as_of=date(2026, 11, 20))


def test_the_latest_of_each_measure_in_the_instruments_order():
    shown = baseline_measures({"measures": [CSSRS_HIGH, PHQ9_NEW, PHQ9_OLD]})
    assert [(m["name"], m["day"], m["summary"]) for m in shown] == [
        ("PHQ-9", "2026-11-13", "PHQ-9 14 (moderate); item 9: 1"),
        ("C-SSRS screener", "2026-11-13", "C-SSRS screener: high risk (intent)"),
    ]
    assert shown[0]["flag"] == "item 9 = 1: physician review"
    assert shown[1]["flag"] == "imminent risk: same-day safety evaluation"
    assert baseline_measures({}) == []


def test_the_report_page_and_the_pdf_show_them(client, clinician, tmp_path):
    screening = screened(clinician, PHQ9_OLD, PHQ9_NEW)
    client.force_login(clinician)
    page = client.get(reverse("screening:detail", args=[screening.pk])).content.decode()
    assert 'id="measures-title"' in page
    assert "PHQ-9 14 (moderate); item 9: 1" in page
    assert "PHQ-9 22" not in page  # the older one is in the record, not the report's summary
    text = " ".join(pdf_text(screening_pdf_bytes(screening), tmp_path).split())
    assert "Baseline measures" in text and "PHQ-9 14 (moderate)" in text


def test_a_screening_without_measures_says_so(client, clinician):
    screening = screened(clinician)
    client.force_login(clinician)
    page = client.get(reverse("screening:detail", args=[screening.pk])).content.decode()
    assert "No baseline measure recorded." in page
