"""The patient list: search by name or MRN, 25 per page, an empty state that says what to do."""

import pytest
from django.urls import reverse

from .factories import PatientFactory

pytestmark = pytest.mark.django_db

LIST = reverse("patients:list")


@pytest.fixture
def three_patients():
    PatientFactory(mrn="KT-0001", given_name="Ana", family_name="Silva")
    PatientFactory(mrn="KT-0002", given_name="Ana", family_name="Costa")
    PatientFactory(mrn="KT-0003", given_name="Bruno", family_name="Silva")


def search(client, query, page=None):
    """Search as the page does: the terms are POSTed, the list is then read with only a page number."""
    redirect = client.post(LIST, {"q": query})
    assert redirect.status_code == 302 and redirect["Location"] == LIST
    return client.get(LIST, {"page": page} if page else {})


def listed_mrns(response) -> list[str]:
    return sorted(p.mrn for p in response.context["patients"])


@pytest.mark.parametrize(
    ("query", "mrns"),
    [
        ("ana", ["KT-0001", "KT-0002"]),
        ("SILVA", ["KT-0001", "KT-0003"]),
        ("Ana Silva", ["KT-0001"]),
        ("silva ana", ["KT-0001"]),
        ("  bruno  ", ["KT-0003"]),
        ("KT-0002", ["KT-0002"]),
        ("kt-0003", ["KT-0003"]),
        ("", ["KT-0001", "KT-0002", "KT-0003"]),
    ],
)
def test_search_matches_given_or_family_name_or_mrn(clinician_client, three_patients, query, mrns):
    assert listed_mrns(search(clinician_client, query)) == mrns


def test_listed_patients_link_to_their_page(clinician_client, three_patients):
    response = search(clinician_client, "KT-0001")
    patient = response.context["patients"][0]
    assert f'href="{reverse("patients:detail", args=[patient.pk])}"'.encode() in response.content
    assert b"Silva, Ana" in response.content


def test_list_shows_25_patients_per_page(clinician_client):
    PatientFactory.create_batch(26)
    first = clinician_client.get(LIST)
    second = clinician_client.get(LIST, {"page": 2})
    assert len(first.context["patients"]) == 25
    assert len(second.context["patients"]) == 1


def test_search_results_are_paginated_too(clinician_client):
    PatientFactory.create_batch(30, given_name="Carla")
    PatientFactory.create_batch(3, given_name="Dora")
    response = search(clinician_client, "carla", page=2)
    assert len(response.context["patients"]) == 5


def test_empty_list_invites_to_create_the_first_patient(clinician_client):
    response = clinician_client.get(LIST)
    assert response.status_code == 200
    assert b"No patients yet." in response.content
    assert f'href="{reverse("patients:create")}"'.encode() in response.content


def test_search_without_match_says_so_and_names_the_query(clinician_client, three_patients):
    response = search(clinician_client, "Zed")
    assert "No patient matches “Zed”".encode() in response.content


def test_search_terms_never_appear_in_a_url(clinician_client):
    PatientFactory.create_batch(30, given_name="Carla", family_name="Mendes")
    response = search(clinician_client, "Mendes")
    page = response.content.decode()
    assert "Mendes" in page  # the results
    assert "q=" not in page and "?page=2" in page  # pagination carries the page and a row id, never the terms
