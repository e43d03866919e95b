"""The report list is searched as the patient list is (issue 16): the same meaning (an exact MRN first, an
MRN part, every word in a given or family name) and, on PostgreSQL, the same trigram indexes; its pages
and its count are those of the patient list (core.pagination)."""

import json
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients.models import Patient
from patients.services import intake_import
from screening.models import Screening
from screening.services import screening_run
from tests.conftest import EXAMPLES, service_unavailable
from tests.defaults_snapshot import load_defaults_for_test
from tests.patients.test_search_scale import bulk_clinic

pytestmark = pytest.mark.django_db

REPORTS = reverse("screening:report_list")


@pytest.fixture
def defaults():
    load_defaults_for_test()


def screened(user, mrn: str, given_name: str, family_name: str) -> Screening:
    doc = json.loads((EXAMPLES / "deferred-bp-and-benzodiazepine.json").read_text())
    doc["patient"] |= {"mrn": mrn, "given_name": given_name, "family_name": family_name}
    patient, _ = intake_import(doc=doc)
    return screening_run(patient=patient, requested_by=user, as_of=date(2026, 11, 20))


@pytest.fixture
def four_screenings(defaults, clinician):
    """Screened in this order, so newest first is the reverse."""
    for mrn, given, family in [
        ("KT-0100", "Ana", "Silva"),
        ("KT-01000", "Aaron", "Abreu"),
        ("KT-0200", "Bruno", "Silva"),
        ("KT-0300", "Ana", "Costa"),
    ]:
        screened(clinician, mrn, given, family)


def search(client, query):
    client.post(REPORTS, {"q": query})
    return client.get(REPORTS)


def listed_mrns(response) -> list[str]:
    return [row["screening"].patient.mrn for row in response.context["rows"]]


@pytest.mark.parametrize(
    ("query", "mrns"),
    [
        ("silva", ["KT-0200", "KT-0100"]),
        ("Ana Silva", ["KT-0100"]),
        ("bruno", ["KT-0200"]),
        ("0100", ["KT-01000", "KT-0100"]),
        ("kt-0100", ["KT-0100", "KT-01000"]),  # the exact MRN first, though screened earlier
        ("", ["KT-0300", "KT-0200", "KT-01000", "KT-0100"]),
    ],
)
def test_reports_are_searched_as_patients_are(clinician_client, four_screenings, query, mrns):
    assert listed_mrns(search(clinician_client, query)) == mrns


def test_a_report_search_without_match_says_so(clinician_client, four_screenings):
    response = search(clinician_client, "zzqx")
    assert "No screening matches “zzqx”".encode() in response.content


def test_the_report_list_says_how_many_screenings_it_holds(clinician_client, four_screenings):
    assert b"4 screenings" in clinician_client.get(REPORTS).content
    assert b"2 screenings" in search(clinician_client, "silva").content


def queries_for(client) -> int:
    with CaptureQueriesContext(connection) as sent:
        response = client.get(REPORTS)
    assert response.status_code == 200
    return len(sent.captured_queries)


def test_a_report_search_sends_as_many_queries_for_3_rows_as_for_1(defaults, clinician, clinician_client):
    screened(clinician, "KT-0100", "Ana", "Silva")
    search(clinician_client, "silva")
    one = queries_for(clinician_client)
    screened(clinician, "KT-0200", "Bruno", "Silva")
    screened(clinician, "KT-0300", "Carla", "Silva")
    assert queries_for(clinician_client) == one


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        service_unavailable(
            "DATABASE_URL is not PostgreSQL: the trigram indexes and their plans exist only there"
        )


@pytest.fixture
def no_seq_scan(postgres):
    """At 3,000 rows the planner may prefer a sequential scan to any index; forbidding it for this test's
    transaction (SET LOCAL) asks whether the queries can use the indexes at all."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")


@pytest.fixture
def screened_clinic(defaults, clinician):
    """3,000 bulk-created patients, each with a copy of one real screening, statistics up to date."""
    bulk_clinic()
    model = screened(clinician, "KT-0100", "Ana", "Silva")
    fields = {
        f.attname: getattr(model, f.attname) for f in Screening._meta.concrete_fields if not f.primary_key
    }
    Screening.objects.bulk_create(
        Screening(**{**fields, "patient_id": pk}) for pk in Patient.objects.values_list("pk", flat=True)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE screening_screening")


def plan_of(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize(
    ("query", "index"),
    [("BK-01234", "patient_mrn_upper_trgm"), ("silva", "patient_family_name_upper_trgm")],
)
def test_a_report_search_uses_the_patient_trigram_indexes(
    no_seq_scan, screened_clinic, clinician_client, query, index
):
    clinician_client.post(REPORTS, {"q": query})
    with CaptureQueriesContext(connection) as sent:
        assert clinician_client.get(REPORTS).status_code == 200
    # the matches' ids, counted (core.pagination), then the page's rows among them: the table searched once
    found, rows = [plan_of(q["sql"]) for q in sent.captured_queries if " LIKE " in q["sql"]]
    assert f"Bitmap Index Scan on {index}" in found
    assert "screening_screening_pkey" in rows  # the page's rows, by their ids
