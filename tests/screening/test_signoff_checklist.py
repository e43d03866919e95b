"""The consult checklist is real checkboxes in the sign form; the ticks are kept with the sign-off and shown
on the report and in the PDF (issue 17). The API's refusals are in tests/api/test_review.py."""

import json
from datetime import date

import pytest
from django.urls import reverse
from django.utils.html import escape

from patients.services import intake_import
from screening.models import SignOff
from screening.review import ScreeningRefused, screening_sign
from screening.services import screening_pdf_bytes, screening_run
from tests.conftest import EXAMPLES
from tests.defaults_snapshot import load_defaults_for_test
from tests.screening.test_pdf import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def screening(clinician):
    load_defaults_for_test()
    patient, _ = intake_import(doc=json.loads((EXAMPLES / "eligible.json").read_text()))
    return screening_run(patient=patient, requested_by=clinician, as_of=date(2026, 11, 20))


@pytest.mark.parametrize("ticks", [["7x"], ["²"], [" "], ["1", "1"], ["100"]])
def test_the_service_refuses_what_is_not_an_item_once(screening, physician, ticks):
    with pytest.raises(ScreeningRefused):
        screening_sign(screening=screening, user=physician, decision="not_cleared", checklist=ticks)
    assert not SignOff.objects.exists()


def test_no_tick_is_needed_to_sign(screening, physician):
    assert screening_sign(screening=screening, user=physician, decision="not_cleared").checklist == []


def test_the_page_signs_with_its_ticks_and_shows_them(
    screening, physician, client, on_assessment_day, tmp_path
):
    client.force_login(physician)
    url = reverse("screening:detail", args=[screening.pk])
    page = client.get(url).content.decode()
    items = screening.report["checklist"]
    for i in range(len(items)):
        assert f'name="checklist" value="{i}" id="checklist-{i}"' in page
    client.post(
        reverse("screening:sign", args=[screening.pk]), {"decision": "cleared", "checklist": ["1", "0"]}
    )
    signoff = SignOff.objects.get()
    assert (signoff.decision, signoff.checklist) == ("cleared", [0, 1])

    page = client.get(url).content.decode()
    assert 'name="checklist"' not in page  # signed: nothing left to tick
    assert f"Ticked at sign-off by {signoff.signer_name}: 2 of {len(items)}." in page
    assert page.count('class="checklist-done"') == 2
    assert f"Done: </span>{escape(items[0]['text'])}" in page
    assert f"Not ticked: </span>{escape(items[2]['text'])}" in page

    text = pdf_text(screening_pdf_bytes(screening), tmp_path)
    assert f"Ticked at sign-off by {signoff.signer_name}: 2 of {len(items)}." in " ".join(text.split())


def test_a_direct_post_with_a_tick_that_names_no_item_signs_nothing(screening, physician, client):
    """The page takes the same refusal as the API (tests/api/test_review.py): the report says why."""
    client.force_login(physician)
    response = client.post(
        reverse("screening:sign", args=[screening.pk]),
        {"decision": "not_cleared", "checklist": ["99"]},
        follow=True,
    )
    assert "is not on this report" in response.content.decode()
    assert not SignOff.objects.exists()


def test_no_decision_is_chosen_for_the_physician_and_none_is_refused(
    screening, physician, client, on_assessment_day
):
    client.force_login(physician)
    url = reverse("screening:detail", args=[screening.pk])
    page = client.get(url).content.decode()
    assert 'id="decision-cleared" value="cleared" required>' in page
    assert 'id="decision-not-cleared" value="not_cleared" required>' in page
    assert "checked" not in page.split('name="decision"', 1)[1].split("</fieldset>", 1)[0]
    assert (
        "novalidate" not in page.split(reverse("screening:sign", args=[screening.pk]), 1)[1].split(">", 1)[0]
    )

    response = client.post(reverse("screening:sign", args=[screening.pk]), {"note": "n"}, follow=True)
    assert "Choose a decision: cleared or not_cleared." in response.content.decode()
    assert not SignOff.objects.exists()
