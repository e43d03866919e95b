"""The medication name field asks the formulary what a typed name resolves to (htmx)."""

import pytest
from django.urls import reverse

SUGGEST = reverse("patients:formulary_suggest")

pytestmark = pytest.mark.usefixtures("defaults")


def suggest(client, name):
    return client.post(SUGGEST, {"name": name}, HTTP_HX_REQUEST="true")


def test_a_prefix_suggests_the_brand_and_its_generic(clinician_client):
    response = suggest(clinician_client, "klon")
    assert response.status_code == 200
    assert b'<option value="Klonopin">clonazepam</option>' in response.content


def test_a_full_brand_name_says_what_it_resolves_to(clinician_client):
    response = suggest(clinician_client, "klonopin")
    assert b"Resolves to <strong>clonazepam</strong> (N03AE01)" in response.content


def test_a_full_unknown_name_says_it_is_not_in_the_formulary(clinician_client):
    response = suggest(clinician_client, "Zzyzxol")
    assert b"Not in the formulary" in response.content
    assert b"<option" not in response.content


def test_an_empty_name_asks_for_one(clinician_client):
    response = suggest(clinician_client, "")
    assert b"Type a generic or brand name." in response.content
    assert b"Not in the formulary" not in response.content
