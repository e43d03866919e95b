"""300 malformed posts to the patient record's forms (create, edit, each answer section, diagnosis add and
edit, medication, reading): NUL characters, huge text, dates and times at year 1 or 9999, numbers that are
not numbers, bytes that are not UTF-8, repeated and missing fields. Each answers a page (a form error or a
redirect), never a server error. Seeded and deterministic."""

import random
from collections import Counter
from urllib.parse import quote, urlencode

import pytest
from django.urls import reverse

from patients.models import ANSWER_SECTIONS, Diagnosis, Patient
from tests.patients.factories import DiagnosisFactory, PatientFactory

from .mutations import FORM_VALUES, RAW_FORM_VALUES

pytestmark = pytest.mark.django_db
POSTS = 300

PATIENT = {
    "mrn": "FZ-1",
    "given_name": "Ana",
    "family_name": "Silva",
    "date_of_birth": "1984-03-02",
    "sex_at_birth": "female",
    "pregnancy": "not_pregnant",
    "weight_kg": "68",
    "height_cm": "165",
    "version": "0",
}
DIAGNOSIS = {"icd10": "F33.2", "status": "active", "severity": "severe", "note": "", "seen": ""}
MEDICATION = {"name": "Lexapro", "dose_mg": "10", "times_per_day": "1", "max_doses_per_day": ""}
READING = {
    "taken_on": "2026-11-20",
    "taken_time": "08:40",
    "systolic": "126",
    "diastolic": "80",
    "heart_rate": "70",
}


def forms_of(patient: Patient, diagnosis: Diagnosis) -> list[tuple[str, dict[str, str]]]:
    """Every form of the record: its URL and a valid post."""
    pk = {"pk": patient.pk}
    section_posts = [
        (
            reverse("patients:section", kwargs={**pk, "section": section}),
            {**dict.fromkeys(fields, "unknown"), "failed_antidepressant_trials": "2", "version": "0"},
        )
        for section, fields in ANSWER_SECTIONS.items()
    ]
    return [
        (reverse("patients:create"), PATIENT),
        (reverse("patients:edit", kwargs=pk), {**PATIENT, "mrn": patient.mrn}),
        *section_posts,
        (reverse("patients:diagnosis_add", kwargs=pk), {**DIAGNOSIS, "icd10": "F41.1"}),
        (reverse("patients:diagnosis_edit", kwargs={**pk, "dx_id": diagnosis.pk}), DIAGNOSIS),
        (reverse("patients:medication_add", kwargs=pk), MEDICATION),
        (reverse("patients:reading_add", kwargs=pk), READING),
    ]


def malformed(rng: random.Random, valid: dict[str, str]) -> bytes:
    """The valid post with 1-3 fields replaced, dropped, repeated or given raw bytes."""
    pairs = dict(valid)
    raw_parts = []
    for _ in range(rng.randint(1, 3)):
        name = rng.choice([*valid, "none_of_these", "unexpected"])
        action = rng.random()
        if action < 0.7:
            pairs[name] = rng.choice(FORM_VALUES)
        elif action < 0.8:
            pairs.pop(name, None)
        elif action < 0.9:
            raw_parts.append(f"{quote(name)}={quote(rng.choice(FORM_VALUES))}")  # the field twice
        else:
            pairs.pop(name, None)
            raw_parts.append(f"{quote(name)}=Ana{rng.choice(RAW_FORM_VALUES)}")
    return "&".join([urlencode(pairs), *raw_parts]).encode("ascii")


def test_no_malformed_form_post_is_a_server_error(clinician_client, db):
    patient = PatientFactory(mrn="KT-0001")
    diagnosis = DiagnosisFactory(patient=patient, icd10="F33.2")
    forms = forms_of(patient, diagnosis)
    rng, statuses = random.Random(15), Counter()
    for n in range(POSTS):
        url, valid = forms[n % len(forms)]
        body = malformed(rng, valid)
        response = clinician_client.post(url, data=body, content_type="application/x-www-form-urlencoded")
        statuses[response.status_code] += 1
        assert response.status_code < 500, f"post {n} to {url}: {body[:300]!r}"
    print(f"\n{POSTS} malformed form posts: {dict(sorted(statuses.items()))}")
    assert clinician_client.get(reverse("patients:detail", kwargs={"pk": patient.pk})).status_code == 200
