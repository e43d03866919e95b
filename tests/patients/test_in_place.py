"""The patient page edits in place (issue 17, intake in one pass): every answer section is a form on the
page, and with htmx each section, diagnosis, reading and the attestation is saved (or refused) by
swapping its own card, with the readiness panel updated out of band. Without htmx the same URLs keep
the full-page behaviour (tests/patients/test_sections.py and the others)."""

import re

import pytest
from django.urls import reverse

from patients.models import ANSWER_SECTIONS, BloodPressureReading, Diagnosis, Patient

from .factories import BloodPressureReadingFactory, DiagnosisFactory, MedicationEntryFactory
from .pages import checked_radio, input_value

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def section_url(patient, section):
    return reverse("patients:section", args=[patient.pk, section])


def post_section(client, patient, section, **values):
    data = {**dict.fromkeys(ANSWER_SECTIONS[section], "unknown"), **values}
    data.setdefault("version", str(patient.section_version(section)))
    return client.post(section_url(patient, section), data, **HX)


def card(response, key: str) -> str:
    page = response.content.decode()
    match = re.search(rf'<section[^>]*id="{key}".*?</section>', page, re.S)
    assert match, f"no card #{key}"
    return match.group(0)


def readiness_oob(response) -> str:
    match = re.search(
        r'<div id="readiness" hx-swap-oob="true">.*?</div>\s*$', response.content.decode(), re.S
    )
    assert match, "the readiness panel is not in the response, out of band"
    return match.group(0)


def test_the_patient_page_holds_every_section_as_a_form_with_its_answers(clinician_client, patient):
    patient.mania_current = "no"
    patient.failed_antidepressant_trials = 2
    patient.save()
    response = clinician_client.get(reverse("patients:detail", args=[patient.pk]))
    for section in ANSWER_SECTIONS:
        html = card(response, f"section-{section}")
        assert f'hx-post="{section_url(patient, section)}"' in html
        assert f'action="{section_url(patient, section)}"' in html  # and without scripts
        assert f'name="version" value="{patient.section_version(section)}"' in html
    assert checked_radio(response, "mania_current") == "no"
    assert checked_radio(response, "psychosis_history") == "unknown"
    assert input_value(response, "failed_antidepressant_trials") == "2"
    assert "None of these: set every psychiatric answer to No" in card(response, "section-psychiatric")
    assert "None of these" not in card(response, "section-support")


def test_a_section_saved_in_place_returns_its_card_and_the_readiness_panel(clinician_client, patient):
    response = post_section(clinician_client, patient, "support", escort_available="yes", support_person="no")
    assert response.status_code == 200
    html = card(response, "section-support")
    assert "Support answers saved." in html
    assert 'data-testid="section-saved"' in html and "autofocus" in html
    assert "all 2 support answers recorded" in html
    assert 'name="version" value="1"' in html  # the next save from this card is not stale
    assert "Support answers" not in readiness_oob(response)  # no longer missing
    patient.refresh_from_db()
    assert (patient.escort_available, patient.support_person) == ("yes", "no")


def test_none_of_these_in_place(clinician_client, patient):
    response = post_section(clinician_client, patient, "psychiatric", none_of_these="1")
    assert response.status_code == 200
    patient.refresh_from_db()
    assert (patient.suicidal_ideation, patient.mania_current) == ("none", "no")
    assert checked_radio(response, "suicidal_ideation") == "none"


def test_a_refused_section_keeps_every_value_and_says_why_in_its_card(clinician_client, patient):
    response = post_section(
        clinician_client,
        patient,
        "treatment_history",
        failed_antidepressant_trials="99",
        psychotherapy_current="no",
    )
    assert response.status_code == 200  # htmx swaps it in
    html = card(response, "section-treatment_history")
    assert 'data-testid="error-summary"' in html
    assert 'href="#id_failed_antidepressant_trials"' in html
    assert 'aria-invalid="true"' in html
    assert input_value(response, "failed_antidepressant_trials") == "99"
    assert checked_radio(response, "psychotherapy_current") == "no"
    assert "saved" not in html.lower().replace("not saved", "")
    patient.refresh_from_db()
    assert (patient.failed_antidepressant_trials, patient.psychotherapy_current) == (None, "unknown")


def test_a_hostile_value_comes_back_escaped_in_its_card(clinician_client, patient):
    """The answer rows are written in Python (patients/html_rows.py): what was typed is escaped."""
    typed = '3"><script>alert(1)</script>'
    response = post_section(
        clinician_client, patient, "treatment_history", failed_antidepressant_trials=typed
    )
    html = card(response, "section-treatment_history")
    assert "<script>" not in html
    assert 'value="3&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html
    assert input_value(response, "failed_antidepressant_trials") == typed
    assert (
        'aria-describedby="id_failed_antidepressant_trials_help id_failed_antidepressant_trials_error"'
        in html
    )


def test_an_answer_outside_its_choices_is_refused_in_place(clinician_client, patient):
    response = post_section(clinician_client, patient, "support", escort_available="maybe")
    html = card(response, "section-support")
    assert "Select a valid choice" in html
    patient.refresh_from_db()
    assert patient.escort_available == "unknown"


def test_a_stale_section_in_place_keeps_the_typed_values_and_takes_the_new_version(clinician_client, patient):
    post_section(clinician_client, patient, "support", escort_available="no", version="0")  # another user
    response = post_section(
        clinician_client, patient, "support", escort_available="yes", support_person="yes", version="0"
    )
    html = card(response, "section-support")
    assert "NOT saved" in html
    assert checked_radio(response, "escort_available") == "yes"
    assert 'name="version" value="1"' in html  # saving again replaces the other user's answers
    patient.refresh_from_db()
    assert patient.escort_available == "no"
    again = post_section(
        clinician_client, patient, "support", escort_available="yes", support_person="yes", version="1"
    )
    assert "Support answers saved." in card(again, "section-support")


def test_a_diagnosis_added_in_place_is_the_focused_row(clinician_client, patient, defaults):
    response = clinician_client.post(
        reverse("patients:diagnosis_add", args=[patient.pk]),
        {"icd10": "F33.2", "status": "active", "severity": "severe", "note": ""},
        **HX,
    )
    assert response.status_code == 200
    html = card(response, "diagnoses")
    assert "Diagnosis F33.2 added." in html
    assert re.search(r'<tr tabindex="-1" autofocus[^>]*>\s*<td><code>F33.2</code>', html)
    assert "An active diagnosis" not in readiness_oob(response)


def test_a_refused_diagnosis_in_place_keeps_the_code(clinician_client, patient):
    response = clinician_client.post(
        reverse("patients:diagnosis_add", args=[patient.pk]),
        {"icd10": "Q99.ZZZZ", "status": "active", "severity": "severe", "note": ""},
        **HX,
    )
    html = card(response, "diagnoses")
    assert 'data-testid="error-summary"' in html
    assert input_value(response, "icd10") == "Q99.ZZZZ"
    assert not Diagnosis.objects.exists()


def test_a_diagnosis_removed_in_place(clinician_client, patient):
    dx = DiagnosisFactory(patient=patient, icd10="F41.1")
    response = clinician_client.post(reverse("patients:diagnosis_delete", args=[patient.pk, dx.pk]), **HX)
    assert "Diagnosis F41.1 removed." in card(response, "diagnoses")
    assert "An active diagnosis" in readiness_oob(response)
    assert not Diagnosis.objects.exists()


def test_a_reading_added_in_place_is_the_focused_row(clinician_client, patient, defaults):
    from django.utils import timezone

    now = timezone.localtime()
    response = clinician_client.post(
        reverse("patients:reading_add", args=[patient.pk]),
        {
            "systolic": "124",
            "diastolic": "78",
            "heart_rate": "72",
            "taken_on": now.strftime("%Y-%m-%d"),
            "taken_time": now.strftime("%H:%M"),
        },
        **HX,
    )
    html = card(response, "blood-pressure")
    assert "Blood pressure 124/78 recorded." in html
    assert re.search(r'<tr tabindex="-1" autofocus[^>]*>\s*<td>[^<]*</td><td>124/78</td>', html)
    assert "blood pressure reading" not in readiness_oob(response)
    reading = BloodPressureReading.objects.get()
    assert abs((reading.taken_at - now.replace(second=0, microsecond=0)).total_seconds()) < 1


def test_a_refused_reading_in_place_keeps_every_value(clinician_client, patient):
    response = clinician_client.post(
        reverse("patients:reading_add", args=[patient.pk]),
        {"systolic": "90", "diastolic": "150", "taken_on": "2026-11-01", "taken_time": "25:99"},
        **HX,
    )
    html = card(response, "blood-pressure")
    assert "Diastolic 150 must be below systolic 90." in html
    assert "Enter a valid time." in html
    assert [input_value(response, n) for n in ("systolic", "diastolic", "taken_on", "taken_time")] == [
        "90",
        "150",
        "2026-11-01",
        "25:99",
    ]
    assert not BloodPressureReading.objects.exists()


def test_a_reading_removed_in_place(clinician_client, patient):
    reading = BloodPressureReadingFactory(patient=patient)
    response = clinician_client.post(reverse("patients:reading_delete", args=[patient.pk, reading.pk]), **HX)
    assert "Reading removed." in card(response, "blood-pressure")
    assert not BloodPressureReading.objects.exists()


def test_the_attestation_in_place_and_its_refusal_when_the_list_changed(clinician_client, patient):
    MedicationEntryFactory(patient=patient, name="sertraline")
    url = reverse("patients:medications_reconcile", args=[patient.pk])
    stale = clinician_client.post(url, {"seen": "an-old-fingerprint"}, **HX)
    assert "NOT attested" in card(stale, "medications")
    assert not Patient.objects.get(pk=patient.pk).medications_reconciled

    page = clinician_client.get(reverse("patients:detail", args=[patient.pk]))
    seen = page.context["medications_seen"]
    assert f'name="seen" value="{seen}"' in card(page, "medications")
    response = clinician_client.post(url, {"seen": seen}, **HX)
    html = card(response, "medications")
    assert "Medication list attested as complete." in html
    assert "Medication list attested" not in readiness_oob(response)
    assert Patient.objects.get(pk=patient.pk).medications_reconciled


@pytest.mark.parametrize(
    ("name", "args", "data"),
    [
        ("patients:section", lambda p: [p.pk, "support"], {"escort_available": "yes", "version": "0"}),
        ("patients:diagnosis_add", lambda p: [p.pk], {"icd10": "F33.2", "status": "active"}),
        ("patients:reading_add", lambda p: [p.pk], {"systolic": "120", "diastolic": "80"}),
        ("patients:medications_reconcile", lambda p: [p.pk], {"seen": ""}),
    ],
)
def test_htmx_is_no_way_around_the_role(client, rules_admin, patient, name, args, data):
    client.force_login(rules_admin)
    before = Patient.objects.get(pk=patient.pk)
    response = client.post(reverse(name, args=args(patient)), data, **HX)
    assert response.status_code == 403
    after = Patient.objects.get(pk=patient.pk)
    assert (after.escort_available, after.medications_reconciled) == (
        before.escort_available,
        before.medications_reconciled,
    )
    assert not Diagnosis.objects.exists() and not BloodPressureReading.objects.exists()


def test_stored_text_in_the_medication_rows_is_escaped(clinician_client, patient, defaults):
    """The medication and reading rows are written in Python (patients/html_rows.py): a stored name with
    markup is text in its cell, its aria-label and its confirmation."""
    MedicationEntryFactory(patient=patient, name='Zz"><script>alert(1)</script>')
    BloodPressureReadingFactory(patient=patient)
    page = clinician_client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    medications = card_html(page, "medications")
    assert "<script>alert" not in medications
    assert "<td>Zz&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</td>" in medications
    assert 'aria-label="Remove Zz&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in medications
    assert 'class="badge text-bg-danger">Not in formulary' in medications
    readings = card_html(page, "blood-pressure")
    assert readings.count('aria-label="Remove reading ') == 1


def card_html(page: str, key: str) -> str:
    match = re.search(rf'<section[^>]*id="{key}".*?</section>', page, re.S)
    assert match, f"no card #{key}"
    return match.group(0)
