"""Tri-state answer sections: every answer starts unknown, the page counts what is still unknown, "None of
these" sets one section to its "no" values and nothing else, and a plain save keeps exactly what was posted."""

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from patients.models import ANSWER_SECTIONS, Patient

from .pages import checked_radio, input_value

pytestmark = pytest.mark.django_db

PSYCHIATRIC_NONE = {
    "psychotic_symptoms_current": "no",
    "psychosis_history": "no",
    "mania_current": "no",
    "suicidal_ideation": "none",
    "suicidal_intent_or_plan": "no",
    "substance_use_disorder": "none",
}
CARDIOVASCULAR_NONE = dict.fromkeys(
    (
        "aneurysmal_vascular_disease",
        "arteriovenous_malformation",
        "intracerebral_hemorrhage_history",
        "recent_myocardial_infarction",
        "unstable_angina",
        "decompensated_heart_failure",
        "uncontrolled_arrhythmia",
        "stable_coronary_disease",
        "heart_failure_compensated",
        "valvular_disease",
        "stroke_history",
        "hypertensive_encephalopathy_history",
    ),
    "no",
)
OTHER_MEDICAL_NONE = {
    "ketamine_hypersensitivity": "no",
    "raised_intracranial_pressure": "no",
    "hepatic_impairment": "none",
    "glaucoma": "no",
    "hyperthyroidism_uncontrolled": "no",
    "porphyria": "no",
    "interstitial_cystitis": "no",
    "dementia_or_delirium": "no",
    "severe_sleep_apnea": "no",
}
NONE_OF_THESE = {
    "psychiatric": PSYCHIATRIC_NONE,
    "cardiovascular": CARDIOVASCULAR_NONE,
    "other_medical": OTHER_MEDICAL_NONE,
}


def section_url(patient, section) -> str:
    return reverse("patients:section", args=[patient.pk, section])


def all_unknown(section: str) -> dict[str, str]:
    return dict.fromkeys(NONE_OF_THESE[section], "unknown")


def record(patient) -> dict:
    """Every editable field of the stored patient row."""
    patient.refresh_from_db()
    return model_to_dict(patient)


@pytest.mark.parametrize(
    "text",
    [
        "2 of 2 treatment history answers unknown",
        "6 of 6 psychiatric answers unknown",
        "12 of 12 cardiovascular answers unknown",
        "9 of 9 other medical answers unknown",
        "2 of 2 support answers unknown",
    ],
)
def test_a_new_patient_shows_every_section_unknown(clinician_client, patient, text):
    response = clinician_client.get(reverse("patients:detail", args=[patient.pk]))
    assert text.encode() in response.content


def test_a_new_patient_counts_every_unknown_answer(clinician_client, patient):
    response = clinician_client.get(reverse("patients:detail", args=[patient.pk]))
    assert b"31 answers still unknown." in response.content


def test_the_section_form_opens_on_unknown(clinician_client, patient):
    response = clinician_client.get(section_url(patient, "psychiatric"))
    assert {name: checked_radio(response, name) for name in PSYCHIATRIC_NONE} == all_unknown("psychiatric")
    assert input_value(response, "version") == "0"


@pytest.mark.parametrize("section", NONE_OF_THESE)
def test_none_of_these_sets_every_answer_of_the_section_to_no(clinician_client, patient, section):
    response = clinician_client.post(
        section_url(patient, section), {**all_unknown(section), "version": "0", "none_of_these": "1"}
    )
    patient.refresh_from_db()
    assert response.status_code == 302
    assert {name: getattr(patient, name) for name in NONE_OF_THESE[section]} == NONE_OF_THESE[section]


@pytest.mark.parametrize("section", NONE_OF_THESE)
def test_none_of_these_changes_nothing_outside_its_section(clinician_client, patient, section):
    before = record(patient)
    clinician_client.post(
        section_url(patient, section), {**all_unknown(section), "version": "0", "none_of_these": "1"}
    )
    after = record(patient)
    assert {k: v for k, v in after.items() if before[k] != v} == NONE_OF_THESE[section]


@pytest.mark.parametrize(
    ("section", "text"),
    [
        ("psychiatric", "all 6 psychiatric answers recorded"),
        ("cardiovascular", "all 12 cardiovascular answers recorded"),
        ("other_medical", "all 9 other medical answers recorded"),
    ],
)
def test_after_none_of_these_the_section_is_complete(clinician_client, patient, section, text):
    response = clinician_client.post(
        section_url(patient, section),
        {**all_unknown(section), "version": "0", "none_of_these": "1"},
        follow=True,
    )
    assert text.encode() in response.content


def test_support_has_no_none_of_these_shortcut(clinician_client, patient):
    response = clinician_client.post(section_url(patient, "support"), {"version": "0", "none_of_these": "1"})
    patient.refresh_from_db()
    assert response.status_code == 400
    assert (patient.escort_available, patient.support_person) == ("unknown", "unknown")


PSYCHIATRIC_MIXED = {
    "psychotic_symptoms_current": "yes",
    "psychosis_history": "unknown",
    "mania_current": "no",
    "suicidal_ideation": "passive",
    "suicidal_intent_or_plan": "no",
    "substance_use_disorder": "in_remission",
}


def test_saving_a_section_keeps_exactly_what_was_posted(clinician_client, patient):
    before = record(patient)
    response = clinician_client.post(
        section_url(patient, "psychiatric"), {**PSYCHIATRIC_MIXED, "version": "0"}
    )
    after = record(patient)
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:detail", args=[patient.pk]) + "#section-psychiatric"
    assert {k: v for k, v in after.items() if before[k] != v} == {
        k: v for k, v in PSYCHIATRIC_MIXED.items() if v != "unknown"
    }


def test_saving_back_to_unknown_is_kept(clinician_client, patient):
    Patient.objects.filter(pk=patient.pk).update(mania_current="no")
    clinician_client.post(
        section_url(patient, "psychiatric"), {**PSYCHIATRIC_NONE, "mania_current": "unknown", "version": "0"}
    )
    patient.refresh_from_db()
    assert patient.mania_current == "unknown"


def test_treatment_history_stores_the_number_of_failed_trials(clinician_client, patient):
    clinician_client.post(
        section_url(patient, "treatment_history"),
        {"failed_antidepressant_trials": "3", "psychotherapy_current": "yes", "version": "0"},
    )
    patient.refresh_from_db()
    assert (patient.failed_antidepressant_trials, patient.psychotherapy_current) == (3, "yes")


def test_a_section_answer_outside_its_choices_is_refused(clinician_client, patient):
    response = clinician_client.post(
        section_url(patient, "psychiatric"),
        {**PSYCHIATRIC_NONE, "suicidal_ideation": "maybe", "version": "0"},
    )
    patient.refresh_from_db()
    assert response.status_code == 400
    assert "suicidal_ideation" in response.context["form"].errors
    assert patient.suicidal_ideation == "unknown"


def test_an_unknown_section_is_not_found(clinician_client, patient):
    assert clinician_client.get(section_url(patient, "row_versions")).status_code == 404


@pytest.mark.parametrize("section", sorted(ANSWER_SECTIONS))
def test_a_section_page_opens_with_the_focus_on_its_first_answer(clinician_client, patient, section):
    """One element takes the focus as the page loads: the first answer's checked option (where Tab into its
    radio group would land), or the first field when it is a number; a failed save's error summary comes
    before it and takes it instead."""
    import re

    first = ANSWER_SECTIONS[section][0]
    page = clinician_client.get(section_url(patient, section)).content.decode()
    focused = re.findall(r"<input[^>]*\bautofocus\b[^>]*>", page)
    assert len(focused) == 1, focused
    assert f'name="{first}"' in focused[0]
    if 'type="radio"' in focused[0]:
        assert "checked" in focused[0] and 'value="unknown"' in focused[0]
