"""The home page shows each role what waits for it, and items leave as their state changes; the patient
list shows each patient's latest screening; the report page offers only what would be accepted."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from patients.models import BloodPressureReading, Patient
from screening.models import SignOff
from screening.review import finding_override, override_cosign, screening_sign
from screening.services import screening_run
from screening.worklist import clinician_worklists, physician_worklists, report_staff_worklists
from tests.defaults_snapshot import load_defaults_for_test

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    load_defaults_for_test()
    with override_settings(DEBUG=True):
        call_command("load_demo", stdout=StringIO())


def screen(mrn, user):
    return screening_run(patient=Patient.objects.get(mrn=mrn), requested_by=user)


def by_title(worklists):
    return {w.title: w for w in worklists}


def screening_ids(worklist):
    return {row["screening"].pk for row in worklist.rows}


def test_a_physician_sees_screenings_awaiting_a_decision_until_signed(demo, clinician, physician):
    screening = screen("DEMO-001", clinician)
    assert screening.pk in screening_ids(by_title(physician_worklists(physician))["Awaiting your decision"])

    screening_sign(screening=screening, user=physician, decision="cleared")

    assert screening.pk not in screening_ids(
        by_title(physician_worklists(physician))["Awaiting your decision"]
    )


def test_a_co_signature_waits_for_the_other_physician_only(demo, clinician, physician, physician2):
    override = finding_override(
        screening=screen("DEMO-010", clinician), rule="CV-AVM", reason="x", user=physician
    )
    mine = by_title(physician_worklists(physician))["Co-signatures awaiting you"]
    theirs = by_title(physician_worklists(physician2))["Co-signatures awaiting you"]
    assert (mine.total, [r["override"] for r in theirs.rows]) == (0, [override])

    override_cosign(override=override, user=physician2)

    assert by_title(physician_worklists(physician2))["Co-signatures awaiting you"].total == 0


def test_a_clinician_sees_patients_never_screened_until_screened(demo, clinician):
    never = by_title(clinician_worklists())["Never screened"]
    assert never.total == 14

    screen("DEMO-001", clinician)

    never = by_title(clinician_worklists())["Never screened"]
    assert never.total == 13
    assert "DEMO-001" not in {row["patient"].mrn for row in never.rows}


def test_a_clinician_sees_what_is_missing_and_what_went_out_of_date(demo, clinician):
    missing = screen("DEMO-014", clinician)
    eligible = screen("DEMO-001", clinician)
    lists = by_title(clinician_worklists())
    row = next(r for r in lists["Screenings that need information"].rows if r["screening"] == missing)
    assert len(row["missing"]) == 2
    assert eligible.pk not in screening_ids(lists["Screenings no longer current"])

    BloodPressureReading.objects.create(
        patient_id=eligible.patient_id, taken_at=timezone.now(), systolic=150, diastolic=95
    )

    stale = by_title(clinician_worklists())["Screenings no longer current"]
    assert eligible.pk in screening_ids(stale)
    screen("DEMO-001", clinician)  # screened again: the new one is current, the old one is not the latest
    assert eligible.pk not in screening_ids(by_title(clinician_worklists())["Screenings no longer current"])


def test_report_staff_see_signed_reports_without_a_current_pdf(demo, clinician, physician):
    screening = screen("DEMO-001", clinician)
    assert report_staff_worklists()[0].total == 0

    screening_sign(screening=screening, user=physician, decision="cleared")

    assert screening.pk in screening_ids(report_staff_worklists()[0])


def worklists_page(client, htmx=False) -> str:
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.get(reverse("screening:worklists"), headers=headers)
    assert response.status_code == 200
    return response.content.decode()


def test_the_worklists_show_each_role_its_lists(demo, clinician, physician, report_staff, client):
    screen("DEMO-001", clinician)
    client.force_login(physician)
    page = worklists_page(client)
    assert "Awaiting your decision" in page and "Co-signatures awaiting you" in page
    client.force_login(report_staff)
    page = worklists_page(client, htmx=True)
    assert "Signed reports without a current PDF" in page and "Awaiting your decision" not in page
    client.force_login(clinician)
    page = worklists_page(client)
    assert "Never screened" in page and "Awaiting your decision" not in page


def test_the_home_page_fetches_the_worklists_once_it_shows(demo, clinician, client):
    """The home page is as light as the floor: a placeholder that htmx replaces with the fragment (a page of
    its own without JavaScript); the fragment has no page around it."""
    screen("DEMO-001", clinician)
    client.force_login(clinician)
    home = client.get(reverse("home")).content.decode()
    url = reverse("screening:worklists")
    assert f'hx-get="{url}"' in home and f'href="{url}"' in home
    assert "Never screened" not in home  # not built for the home page itself
    fragment = worklists_page(client, htmx=True)
    assert fragment.lstrip().startswith('<div id="worklists"') and "<html" not in fragment
    assert "Never screened" in fragment
    page = worklists_page(client)
    assert "<html" in page and "Never screened" in page


def test_roles_without_worklists_get_no_placeholder_and_no_worklists(rules_admin, make_user, client):
    for user in (rules_admin, make_user("aud", "Auditor"), make_user("nobody")):
        client.force_login(user)
        assert 'id="worklists"' not in client.get(reverse("home")).content.decode()
        assert client.get(reverse("screening:worklists")).status_code == 403
        assert client.get(reverse("screening:worklists"), headers={"HX-Request": "true"}).status_code == 403
    client.logout()
    assert client.get(reverse("screening:worklists")).status_code == 302


def test_the_patient_list_shows_the_latest_screening(demo, clinician, physician, clinician_client):
    screening_sign(screening=screen("DEMO-001", clinician), user=physician, decision="cleared")

    page = clinician_client.get(reverse("patients:list")).content.decode()

    assert "cleared to proceed · current" in page
    assert page.count("not screened") == 13


def test_the_patient_list_row_shows_an_overridden_verdict_a_stale_screening_and_escapes_names(
    demo, clinician, physician, physician2, clinician_client
):
    """The list's rows are written in Python (issue 16): each part of the cell, and every value escaped."""
    overridden = screen("DEMO-010", clinician)
    override = finding_override(screening=overridden, rule="CV-AVM", reason="x", user=physician)
    override_cosign(override=override, user=physician2)
    stale = screen("DEMO-001", clinician)
    patient = Patient.objects.get(mrn="DEMO-001")
    patient.family_name = '<script>alert("x")</script>'
    patient.save()

    page = clinician_client.get(reverse("patients:list")).content.decode()

    row = next(r for r in page.split("<tr>") if f'href="/screening/{overridden.pk}/"' in r)
    assert (
        "(engine: contraindicated)</span>" in row
        and "· awaiting a physician&#x27;s decision · current<" in row
    )
    row = next(r for r in page.split("<tr>") if f'href="/screening/{stale.pk}/"' in r)
    assert "· awaiting a physician&#x27;s decision · <strong>not current</strong>" in row
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;, " in row and "<script>alert" not in page
    assert f'<a href="/patients/{patient.pk}/">DEMO-001</a>' in row
    history = clinician_client.get(reverse("patients:detail", args=[overridden.patient_id])).content.decode()
    row = history[history.index(f'<a href="/screening/{overridden.pk}/">{overridden.pk}</a>') :].split(
        "</tr>"
    )[0]
    assert (
        '✓ Eligible</span><br><span class="small text-body-secondary">engine: Contraindicated: do not' in row
    )


# ------------------------------------------------------------------------------------------- the buttons


def test_a_clinician_is_offered_a_suggestion_not_an_override_and_told_why_not_to_sign(
    demo, clinician, clinician_client
):
    screening = screen("DEMO-006", clinician)

    page = clinician_client.get(reverse("screening:detail", args=[screening.pk])).content.decode()

    assert "Suggest an override to the physician" in page
    assert f'action="{reverse("screening:override", args=[screening.pk])}"' not in page
    assert "Only a physician can sign." in page
    assert "Sign this decision" not in page


def test_a_physician_is_told_why_a_screening_cannot_be_cleared(
    demo, clinician, physician, physician2, client
):
    screening = screen("DEMO-010", clinician)
    override = finding_override(screening=screening, rule="CV-AVM", reason="x", user=physician)
    client.force_login(physician)

    page = client.get(reverse("screening:detail", args=[screening.pk])).content.decode()

    assert 'id="decision-cleared" value="cleared" required disabled' in page
    assert "waiting for a second physician&#x27;s co-signature on CV-AVM" in page
    assert "You recorded this override: a second, different physician must co-sign." in page
    assert "MEDS-COMPATIBLE</code> is for information only" in page  # not offered, and why
    override_cosign(override=override, user=physician2)
    page = client.get(reverse("screening:detail", args=[screening.pk])).content.decode()
    assert 'id="decision-cleared" value="cleared" required>' in page  # offered, never chosen for them


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("CV-FLAG-UNKNOWN", "supply it and screen again"),
        ("MEDS-COMPATIBLE", "for information only"),
    ],
)
def test_a_direct_post_of_a_refused_override_changes_nothing(
    demo, clinician, physician_client, rule, message
):
    mrn = "DEMO-014" if rule == "CV-FLAG-UNKNOWN" else "DEMO-001"
    screening = screen(mrn, clinician)

    response = physician_client.post(
        reverse("screening:override", args=[screening.pk]),
        {"rule": rule, "reason": "asked verbally"},
        follow=True,
    )

    assert message in response.content.decode()
    assert not screening.overrides.exists()


def test_a_direct_post_of_a_clinicians_sign_off_is_refused(demo, clinician, clinician_client):
    screening = screen("DEMO-001", clinician)

    response = clinician_client.post(
        reverse("screening:sign", args=[screening.pk]), {"decision": "cleared"}, follow=True
    )

    assert "Only a physician can sign a screening" in response.content.decode()
    assert not SignOff.objects.filter(screening=screening).exists()


def test_only_each_patients_latest_screening_is_listed_even_with_equal_times(demo, clinician, physician):
    """Two screenings stored in the same instant: the later id is the latest (as everywhere else)."""
    first = screen("DEMO-001", clinician)
    field = type(first)._meta.get_field("created_at")
    fields = {
        f.attname: getattr(first, f.attname) for f in type(first)._meta.concrete_fields if f.attname != "id"
    }
    field.auto_now_add = False
    try:
        twin = type(first).objects.create(**fields)  # same created_at, higher id
    finally:
        field.auto_now_add = True
    listed = screening_ids(by_title(physician_worklists(physician))["Awaiting your decision"])
    assert twin.pk in listed and first.pk not in listed


def test_never_screened_is_counted_up_to_a_cap(demo, clinician, client, monkeypatch):
    """Counting every unscreened patient would scan the patients table on each home page: past the cap the
    list says "more than"."""
    import screening.worklist as worklist

    unscreened = Patient.objects.count()
    monkeypatch.setattr(worklist, "COUNT_CAP", unscreened)
    never = by_title(clinician_worklists())["Never screened"]
    assert (never.total, never.capped, never.total_text) == (unscreened, False, f"{unscreened}")
    monkeypatch.setattr(worklist, "COUNT_CAP", unscreened - 1)
    never = by_title(clinician_worklists())["Never screened"]
    assert (never.total, never.capped) == (unscreened - 1, True)
    assert never.total_text == f"more than {unscreened - 1}"
    monkeypatch.setattr(worklist, "COUNT_CAP", 3)
    client.force_login(clinician)
    page = worklists_page(client)
    assert ">3+</span>" in page and "More than 3 in all" in page


def test_the_latest_of_two_screenings_made_at_the_same_instant_is_the_higher_id(demo, clinician):
    """Two screenings of a patient with one created_at: only the later id is the patient's latest."""
    from screening.models import Screening
    from screening.worklist import _recent_latest

    first = screen("DEMO-001", clinician)
    fields = {
        f.attname: getattr(first, f.attname) for f in Screening._meta.concrete_fields if f.attname != "id"
    }
    created_at = Screening._meta.get_field("created_at")
    created_at.auto_now_add = False  # screenings are immutable: the twin gets its time at insert
    try:
        (twin,) = Screening.objects.bulk_create([Screening(**fields)])
    finally:
        created_at.auto_now_add = True
    assert twin.pk > first.pk and Screening.objects.get(pk=twin.pk).created_at == first.created_at
    latest = {s.pk for s in _recent_latest() if s.patient_id == first.patient_id}
    assert latest == {twin.pk}


def test_the_worklists_read_as_many_queries_for_many_stale_rows_as_for_one(
    demo, clinician, client, django_assert_max_num_queries
):
    """Each list reads a fixed number of queries: the intake documents (what changed in each record) are
    read for the rows shown, in one query, and for no other row."""
    client.force_login(clinician)
    worklists_page(client)  # the process's caches (rule sets, formulary)

    def stale(mrns):
        for mrn in mrns:
            screening = screen(mrn, clinician)
            BloodPressureReading.objects.create(
                patient_id=screening.patient_id, taken_at=timezone.now(), systolic=150, diastolic=95
            )

    stale(["DEMO-001"])
    with CaptureQueriesContext(connection) as one:
        page = worklists_page(client)
    assert page.count("Not current: ") == 1 and "blood pressure" in page.lower()
    stale(["DEMO-002", "DEMO-003", "DEMO-004", "DEMO-005"])
    with django_assert_max_num_queries(len(one)):
        page = worklists_page(client)
    assert page.count("Not current: ") == 5


def test_what_needs_information_is_read_for_the_rows_shown_in_one_query(
    demo, clinician, client, django_assert_max_num_queries
):
    """The worklists read their screenings without the reports (selectors.without_documents): what each
    "needs information" row misses comes from the reports of the rows shown, read together."""
    import json

    from patients.services import intake_import
    from tests.conftest import EXAMPLES

    def needing(n, start):
        for i in range(start, start + n):
            doc = json.loads((EXAMPLES / "needs-information.json").read_text())
            doc["patient"]["mrn"] = f"NI-{i:03d}"
            patient, _ = intake_import(doc=doc)
            screening_run(patient=patient, requested_by=clinician)

    client.force_login(clinician)
    worklists_page(client)  # the process's caches (rule sets, formulary)
    needing(1, 0)
    with CaptureQueriesContext(connection) as one:
        page = worklists_page(client)
    assert page.count("Missing: ") == 1
    needing(4, 1)
    with django_assert_max_num_queries(len(one)):
        page = worklists_page(client)
    assert page.count("Missing: ") == 5
    row = by_title(clinician_worklists())["Screenings that need information"].rows[0]
    expected = [f["title"] for f in row["screening"].report["findings"] if f["severity"] == "missing"]
    assert row["missing"] == expected and expected
