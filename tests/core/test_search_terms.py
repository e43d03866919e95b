"""A search term with a NUL or a lone surrogate never breaks the list pages (it used to be kept in the
session, and every later visit answered 500)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["patients:list", "screening:report_list"])
@pytest.mark.parametrize("term", ["Ro\x00mero", "\x00", "x" * 5000 + "\x00"])
def test_a_hostile_search_term_is_cleaned_and_the_page_still_answers(name, term, clinician_client):
    response = clinician_client.post(reverse(name), {"q": term})
    assert response.status_code == 302
    assert clinician_client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize("name", ["patients:list", "screening:report_list"])
def test_a_term_stored_before_the_check_does_not_break_the_page(name, clinician_client):
    session = clinician_client.session
    session["patient_search"] = session["report_search"] = "Ro\x00mero"
    session.save()
    assert clinician_client.get(reverse(name)).status_code == 200
