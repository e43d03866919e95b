"""A rules admin adds and edits formulary entries on a page; every save is checked as an import is, keeps a
name leading to one product, records who changed what, and makes a new formulary version."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from formulary.models import FormularyEntry, FormularyVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, rules_admin):
    call_command("load_defaults", stdout=StringIO())
    client.force_login(rules_admin)
    return client


def form(**changes):
    values = {
        "generic": "zyxanolone",
        "brands": "Zyxuvae",
        "aliases": "",
        "atc": "N06AX99",
        "classes": "neuroactive_steroid",
        "diazepam_10mg_equivalent_mg": "",
        "components": "",
        "dose_component": "",
        "max_daily_mg": "50",
        "max_daily_source": "A15: a synthetic test entry",
    }
    values.update(changes)
    return values


def latest():
    return FormularyVersion.objects.order_by("-number").first()


def test_adding_an_entry_makes_a_new_version_and_records_who(admin_client, rules_admin):
    before = latest()

    response = admin_client.post(reverse("formulary:entry_add"), form())

    assert response.status_code == 302
    entry = FormularyEntry.objects.get(generic="zyxanolone")
    assert (entry.brands, entry.atc, float(entry.max_daily_mg)) == (["Zyxuvae"], ["N06AX99"], 50.0)
    assert latest().number == before.number + 1
    assert entry.history.first().history_user == rules_admin


def test_a_name_that_leads_to_another_entry_is_refused_on_its_field(admin_client):
    response = admin_client.post(reverse("formulary:entry_add"), form(brands="Zyxuvae, Xanax"))

    assert response.status_code == 400
    page = response.content.decode()
    assert "already leads to alprazolam" in page
    assert 'value="Zyxuvae, Xanax"' in page  # the input is kept
    assert not FormularyEntry.objects.filter(generic="zyxanolone").exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"atc": ""}, "This field is required"),
        ({"max_daily_source": ""}, "needs its source"),
        ({"max_daily_mg": "-5"}, "positive number"),
        ({"components": "buprenorphine", "dose_component": ""}, "two or more components"),
        ({"generic": "alprazolam"}, "already exists"),
    ],
)
def test_a_bad_entry_is_refused_with_a_message_and_nothing_changes(admin_client, changes, message):
    before = latest()

    response = admin_client.post(reverse("formulary:entry_add"), form(**changes))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert latest() == before


def test_editing_shows_before_and_after_in_the_history(admin_client, rules_admin):
    entry = FormularyEntry.objects.get(generic="lamotrigine")
    values = form(
        generic="lamotrigine",
        brands=", ".join(entry.brands),
        aliases=", ".join(entry.aliases),
        atc=", ".join(entry.atc),
        classes=", ".join(entry.classes),
        max_daily_mg="700",
        max_daily_source="A15: test label",
    )
    assert admin_client.post(reverse("formulary:entry_edit", args=[entry.pk]), values).status_code == 302

    page = admin_client.get(reverse("formulary:entry_history", args=[entry.pk])).content.decode()

    assert "max_daily_mg" in page and "700" in page and rules_admin.username in page


def test_the_list_searches_and_pages(admin_client):
    admin_client.post(reverse("formulary:entry_list"), {"q": "xanax"})
    page = admin_client.get(reverse("formulary:entry_list")).content.decode()
    assert "alprazolam" in page and "sertraline" not in page


@pytest.mark.parametrize("role_fixture", ["clinician", "physician", "report_staff"])
def test_only_rules_admins_edit_the_formulary(client, role_fixture, request):
    client.force_login(request.getfixturevalue(role_fixture))
    assert client.get(reverse("formulary:entry_list")).status_code == 403
    assert client.post(reverse("formulary:entry_add"), form()).status_code == 403
