"""The patient page reads the record in a fixed number of queries, however long its lists are."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from formulary.models import FormularyEntry

from .factories import BloodPressureReadingFactory, DiagnosisFactory, MedicationEntryFactory, PatientFactory

pytestmark = pytest.mark.usefixtures("defaults")

ICD10 = ["F33.2", "F33.1", "F32.2", "F41.1", "F43.10", "F40.10", "F42.2", "F50.00", "G47.00", "F90.0"]


def patient_with(clinician, *, diagnoses: int, medications: int, readings: int):
    patient = PatientFactory(medications_reconciled=True, medications_reconciled_by=clinician)
    entries = list(FormularyEntry.objects.order_by("generic")[:medications])
    for code in ICD10[:diagnoses]:
        DiagnosisFactory(patient=patient, icd10=code)
    for entry in entries:
        MedicationEntryFactory(patient=patient, name=entry.generic, formulary_entry=entry)
    MedicationEntryFactory(patient=patient, name="Zzyzxol", formulary_entry=None)
    BloodPressureReadingFactory.create_batch(readings, patient=patient)
    return patient


def queries_for_page(client, patient) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("patients:detail", args=[patient.pk]))
    assert response.status_code == 200
    return len(queries)


def test_detail_page_query_count_does_not_grow_with_the_record(
    clinician_client, clinician, django_assert_num_queries
):
    small = patient_with(clinician, diagnoses=1, medications=1, readings=2)
    large = patient_with(clinician, diagnoses=10, medications=39, readings=30)
    assert (small.medications.count(), large.medications.count()) == (2, 40)
    queries_for_page(clinician_client, small)  # the first request fills per-process caches
    measured = queries_for_page(clinician_client, small)
    with django_assert_num_queries(measured):
        response = clinician_client.get(reverse("patients:detail", args=[large.pk]))
    assert response.content.count(b'aria-label="Remove Zzyzxol"') == 1
    assert len(response.context["medications"]) == 40


def list_queries(client) -> int:
    client.get(reverse("patients:list"))  # the session's activity write is not measured
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("patients:list")).status_code == 200
    return len(queries)


def test_the_list_costs_the_same_with_one_or_many_screened_patients(clinician_client, clinician):
    from screening.services import screening_run

    first = PatientFactory(weight_kg=70)
    screening_run(patient=first, requested_by=clinician)
    one = list_queries(clinician_client)
    for _ in range(6):
        screening_run(patient=PatientFactory(weight_kg=70), requested_by=clinician)
    assert list_queries(clinician_client) == one


# measured 2026-12: 437 bytes (name, resolution, dose, frequency and a Remove button posting to the row's URL;
# before, each row carried its own form and CSRF token: about 700); 673 with the Edit link (issue 17: its URL
# twice, as href and hx-get, about 180 bytes; its hx-target and hx-swap come from the table's form)
BYTES_PER_MEDICATION_ROW = 750


def test_each_medication_row_adds_the_same_few_hundred_bytes(clinician_client, clinician):
    entry = FormularyEntry.objects.get(generic="sertraline")
    sizes = {}
    for n in (5, 15, 25):
        # ids of as many digits on every page and row (a 99 becoming a 100 would add bytes of its own,
        # depending on what ran before in the same database)
        patient = PatientFactory(pk=9_000_000 + n)
        for i in range(n):
            MedicationEntryFactory(
                pk=9_000_000 + 100 * n + i, patient=patient, name="sertraline", formulary_entry=entry
            )
        sizes[n] = len(clinician_client.get(reverse("patients:detail", args=[patient.pk])).content)
    per_row = [(sizes[15] - sizes[5]) / 10, (sizes[25] - sizes[15]) / 10]
    print(f"bytes per medication row: {per_row}")
    # linear: nothing per row grows with the list
    assert abs(per_row[0] - per_row[1]) <= 2
    assert max(per_row) < BYTES_PER_MEDICATION_ROW
