"""The report reads top-down as a consult (issue 17): the patient, the verdict and the decision, what to do
next, then the findings by severity, the medications, the blood pressure, the dose, the checklist, the
provenance and the references. Codes are shown in words; the PDF has the same order without the forms and
without links into the patient record."""

import json
import re
from datetime import date
from html.parser import HTMLParser

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from patients.services import intake_import
from screening.engine.ruleset import Rule
from screening.presentation import (
    RECORD_PLACES,
    class_words,
    missing_data_links,
    record_place,
    report_context,
    whole_number,
)
from screening.review import screening_rules, screening_sign
from screening.selectors import review_state
from screening.services import screening_pdf_bytes, screening_run
from tests.conftest import EXAMPLES
from tests.defaults_snapshot import load_defaults_for_test
from tests.screening.test_pdf import pdf_text

pytestmark = pytest.mark.django_db

# the headings of the report, in the order a consult reads them
CONSULT_ORDER = (
    'id="findings-title"',
    'id="meds-title"',
    'id="bp-title"',
    'id="dose-title"',
    'id="checklist-title"',
    'id="prov-title"',
    'id="refs-title"',
)
VERDICT_CODES = ("needs_information", "clinician_review", "eligible_with_precautions", "not_a_candidate")


class _ShownText(HTMLParser):
    """The words a reader sees: text nodes only, never attribute values (codes may stay in data-* and
    value attributes, which scripts and tests read)."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


def shown_words(html: str) -> str:
    parser = _ShownText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def positions(html: str, markers) -> list[int]:
    found = [html.find(marker) for marker in markers]
    assert -1 not in found, [m for m, i in zip(markers, found, strict=True) if i == -1]
    return found


@pytest.fixture
def patient(db):
    """Luis Romero (deferred-bp-and-benzodiazepine) with a mean BP of 148/93.5 (elevated: physician review),
    valvular disease and a support person unknown (needs information), on clonazepam and lamotrigine (a mood
    stabilizer)."""
    load_defaults_for_test()
    doc = json.loads((EXAMPLES / "deferred-bp-and-benzodiazepine.json").read_text())
    doc["blood_pressure"] = [
        {"taken_at": "2026-11-20T09:10:00-07:00", "systolic": 148, "diastolic": 93},
        {"taken_at": "2026-11-20T09:16:00-07:00", "systolic": 148, "diastolic": 94},
    ]
    doc["cardiovascular"]["valvular_disease"] = "unknown"
    doc["support"]["support_person"] = "unknown"
    patient, _ = intake_import(doc=doc)
    return patient


@pytest.fixture
def screening(patient, clinician):
    return screening_run(patient=patient, requested_by=clinician, as_of=date(2026, 11, 20))


def page_of(client, user, screening) -> str:
    client.force_login(user)
    return client.get(reverse("screening:detail", args=[screening.pk])).content.decode()


# ------------------------------------------------------------------------------------------------ the order


def test_a_physician_reads_patient_verdict_what_to_do_next_then_the_consult_in_order(
    screening, physician, client, on_assessment_day
):
    page = page_of(client, physician, screening)

    found = positions(
        page,
        (
            'class="table table-sm report-patient"',
            'data-testid="verdict"',
            'id="next-title"',
            reverse("screening:override", args=[screening.pk]),
            reverse("screening:sign", args=[screening.pk]),
            *CONSULT_ORDER,
        ),
    )

    assert found == sorted(found)
    assert page.count("<h1") == 1


def test_a_clinicians_suggestion_and_why_not_to_sign_come_before_the_findings(
    screening, clinician, client, on_assessment_day
):
    page = page_of(client, clinician, screening)

    found = positions(
        page,
        (
            'data-testid="verdict"',
            'id="next-title"',
            reverse("screening:suggest", args=[screening.pk]),
            "Only a physician can sign.",
            'id="findings-title"',
        ),
    )

    assert found == sorted(found)


def test_a_screening_that_is_not_current_offers_screening_again_under_the_verdict(
    screening, patient, clinician, client, on_assessment_day
):
    patient.bp_readings.update(systolic=150)  # the record no longer gives the screened intake

    page = page_of(client, clinician, screening)

    found = positions(page, ('id="next-title"', 'data-testid="screen-again"', 'id="findings-title"'))

    assert found == sorted(found)


def test_the_headings_go_down_one_level_at_a_time(screening, physician, client, on_assessment_day):
    page = page_of(client, physician, screening)
    main = page[page.index('<main id="main"') :]

    levels = [int(level) for level in re.findall(r"<h([1-6])\b", main)]

    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))


def test_report_staff_read_the_report_without_the_actions(screening, report_staff, client):
    page = page_of(client, report_staff, screening)

    assert 'id="findings-title"' in page
    assert 'id="next-title"' not in page
    assert "/patients/" not in page


# ------------------------------------------------------------------------------------------------ the words


def test_codes_are_shown_in_words(screening, physician, client, on_assessment_day):
    words = shown_words(page_of(client, physician, screening))

    assert "VERDICT: NEEDS INFORMATION BEFORE SCREENING CAN CONCLUDE" in words
    for code in (*VERDICT_CODES, "mood_stabilizer", "moodstabilizer", "not_cleared"):
        assert code not in words
    for severity in ("(missing)", "(review)", "(precaution)", "(info)", "(defer)"):
        assert severity not in words
    assert "code needs_information" not in words
    assert "Missing information (2)" in words and "Physician review (1)" in words
    assert "BP-ELEVATED Blood pressure above 140/90 (physician review)" in words  # the override's choices


def test_rule_codes_stay_beside_their_titles(screening, physician, client, on_assessment_day):
    page = page_of(client, physician, screening)

    assert "<code>BP-ELEVATED</code> Blood pressure above 140/90" in page
    assert (
        "High benzodiazepine dose <code>MEDS-BENZO-HIGH</code>; CNS depressant <code>MEDS-CNS-DEPRESSANT</code>"
        in page
    )


def test_medication_classes_are_words(screening, physician, client, on_assessment_day):
    words = shown_words(page_of(client, physician, screening))

    assert "N03AX09 mood stabilizer, anticonvulsant" in words
    assert "N03AE01 benzodiazepine" in words


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("mood_stabilizer", "mood stabilizer"),
        ("ssri", "SSRI"),
        ("nmda_antagonist", "NMDA antagonist"),
        ("z_drug", "Z-drug"),
        ("benzodiazepine", "benzodiazepine"),
    ],
)
def test_a_formulary_class_in_words(name, words):
    assert class_words(name) == words


def test_a_signed_decision_and_the_verdict_at_signing_are_words(
    screening, physician, client, on_assessment_day
):
    screening_sign(screening=screening, user=physician, decision="not_cleared", note="Recheck first")

    words = shown_words(page_of(client, physician, screening))

    assert "Decision Not cleared" in words
    assert "not_cleared" not in words and "(not cleared)" not in words
    for code in VERDICT_CODES:
        assert code not in words


# ------------------------------------------------------------------------------------------ blood pressure


@pytest.mark.parametrize(("mean", "shown"), [(93.5, 94), (92.5, 93), (148, 148), (140.4, 140), (100.45, 100)])
def test_a_mean_is_shown_whole_half_up(mean, shown):
    assert whole_number(mean) == shown


def test_the_screening_value_is_whole_numbers_and_the_stored_mean_is_kept(
    screening, physician, client, on_assessment_day
):
    page = page_of(client, physician, screening)

    assert "Screening value: <strong>148/94 mmHg</strong>" in page
    assert screening.report["blood_pressure"]["diastolic"] == 93.5


# ------------------------------------------------------------------------------------------ missing data


def test_each_missing_finding_links_to_the_patient_page_section_that_completes_it(
    screening, patient, clinician, client, on_assessment_day
):
    page = page_of(client, clinician, screening)
    patient_page = reverse("patients:detail", args=[patient.pk])

    for rule, anchor in (("CV-FLAG-UNKNOWN", "section-cardiovascular"), ("SUP-UNKNOWN", "section-support")):
        finding = page[page.index(f'data-rule="{rule}"') :]
        finding = finding[: finding.index("</li>")]
        assert f'href="{patient_page}#{anchor}"' in finding
    actions = page[page.index('id="next-title"') : page.index('id="findings-title"')]
    assert f'href="{patient_page}#section-cardiovascular"' in actions
    assert f'href="{patient_page}#section-support"' in actions


# every `missing` rule of the default rule set, and where the patient page completes what it asks for
MISSING_RULE_PLACES = {
    "DATA-NO-DIAGNOSIS": "diagnoses",
    "DATA-NO-WEIGHT": "details",
    "PSY-FLAG-UNKNOWN": "psychiatric",
    "BP-NONE-RECENT": "blood_pressure",
    "CV-FLAG-UNKNOWN": "cardiovascular",
    "PREG-UNKNOWN": "details",
    "MED-FLAG-UNKNOWN": "other_medical",
    "MEDS-NOT-RECONCILED": "medications",
    "MEDS-NO-DOSE": "medications",
    "SUP-UNKNOWN": "support",
}


def test_every_missing_rule_of_the_default_rule_set_has_its_place(screening):
    rules = screening_rules(screening)

    places = {
        code: record_place(rule.predicate) for code, rule in rules.items() if rule.severity == "missing"
    }

    assert places == MISSING_RULE_PLACES


def test_every_place_is_an_anchor_of_the_patient_page(patient, clinician, client):
    client.force_login(clinician)
    patient_page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()

    for anchor, _ in RECORD_PLACES.values():
        if anchor:
            assert f'id="{anchor}"' in patient_page


def test_a_missing_finding_whose_rule_names_no_part_of_the_record_links_to_the_top_of_the_patient_page():
    rule = Rule(
        code="X-MISSING", severity="missing", title="t", action="a", sources=(), predicate={"kind": "age"}
    )

    links = missing_data_links([{"rule": "X-MISSING"}], {"X-MISSING": rule}, patient_id=7)

    assert links == {"X-MISSING": {"url": reverse("patients:detail", args=[7]), "place": "patient record"}}


# --------------------------------------------------------------------------------------------------- the PDF


def test_the_pdf_reads_in_the_same_order_without_the_forms(screening, physician, tmp_path, on_assessment_day):
    text = " ".join(pdf_text(screening_pdf_bytes(screening), tmp_path).split())

    found = positions(
        text,
        (
            "KT-0002",
            "VERDICT: NEEDS INFORMATION BEFORE SCREENING CAN CONCLUDE",
            "Findings Missing information (2)",
            "Physician review (1)",
            "Precautions (3)",
            "Medications As",
            "Blood pressure Screening value:",
            "Dose range 37.0–74.0 mg",
            "Consult checklist",
            "Sign-off",
            "Provenance Rule set",
            "References",
        ),
    )

    assert found == sorted(found)
    assert "What to do next" not in text and "Sign this decision" not in text
    assert "148/94 mmHg" in text
    assert "mood stabilizer" in text
    assert "code needs_information" not in text


def test_the_pdf_has_no_links_into_the_patient_record(screening, on_assessment_day):
    context = report_context(report=screening.report, intake=screening.intake, review=review_state(screening))

    html = render_to_string("screening/report_pdf.html", {**context, "screening": screening})

    assert context["missing_data"]  # the links exist, and the page only shows them
    assert "/patients/" not in html
    assert "<form" not in html
    assert "on the patient page" not in html


def test_reading_times_are_the_clinics_local_time(screening, physician, client, settings):
    """Readings stored as 09:10-07:00 show in the clinic's zone, with no offset text."""
    settings.TIME_ZONE = "America/New_York"
    page = page_of(client, physician, screening)
    assert "2026-11-20 11:10" in page and "2026-11-20 11:16" in page
    assert "-0700" not in page and "+0000" not in page


def test_sex_and_daily_doses_read_as_words_and_whole_numbers(client, clinician, screening):
    words = shown_words(page_of(client, clinician, screening))
    assert "Sex at birth Male" in words
    medications = words.split("Medications As entered")[1].split("Blood pressure")[0]
    assert not re.search(r"\b\d+\.0 mg\b", medications)  # "60 mg" a day, not "60.0 mg"
    assert " mg" in medications


def test_medication_and_reading_rows_escape_the_snapshot(patient, clinician, clinician_client):
    """The report's rows are written in Python (screening/templatetags/report_rows.py): a typed name with
    markup is text, on the page and in the PDF's HTML alike; unknown numbers read as the template read."""
    from patients.models import MedicationEntry

    MedicationEntry.objects.create(patient=patient, name='Zz"><script>x()</script>', times_per_day=1)
    screening = screening_run(patient=patient, requested_by=clinician, as_of=date(2026, 11, 20))
    html = clinician_client.get(reverse("screening:detail", args=[screening.pk])).content.decode()
    meds = html[html.index('id="meds-title"') : html.index('id="bp-title"')]
    assert "<script>x()" not in meds
    assert (
        "<td>Zz&quot;&gt;&lt;script&gt;x()&lt;/script&gt;</td><td><strong>not in formulary</strong></td>"
        in meds
    )
    assert '<td class="text-nowrap">unknown</td>' in meds  # no dose: no daily dose
    assert "clonazepam" in meds and " mg</td>" in meds
    readings = html[html.index('class="table table-sm bp-table"') :]
    assert readings.index("<tbody><tr><td>") < readings.index("</tbody>")
