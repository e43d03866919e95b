"""The patient page shows the latest screenings, and costs the same with 5 or 5,000 of them (issue 16);
the whole history is a paginated page of its own."""

import json
import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import AuditEvent
from patients.services import intake_import
from screening.models import Screening
from screening.selectors import HISTORY_ON_PATIENT_PAGE, screening_history
from screening.services import screening_run
from tests.conftest import EXAMPLES, service_unavailable
from tests.defaults_snapshot import load_defaults_for_test

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(clinician):
    load_defaults_for_test()
    doc = json.loads((EXAMPLES / "deferred-bp-and-benzodiazepine.json").read_text())
    patient, _ = intake_import(doc=doc)
    return patient


@pytest.fixture
def history():
    return make_history


def make_history(patient, user, n: int) -> list[Screening]:
    """n screenings of the patient, oldest first, one an hour; every third one with an extra finding code,
    so that each row's "changes since the previous" differ. Copies of one real screening, bulk-inserted."""
    model = screening_run(patient=patient, requested_by=user, as_of=date(2026, 11, 20))
    fields = {
        f.attname: getattr(model, f.attname)
        for f in Screening._meta.concrete_fields
        if f.attname not in ("id", "created_at", "rule_codes")
    }
    start = model.created_at - timedelta(hours=n + 1)
    # screenings are immutable (no UPDATE): their times are given at insert, past auto_now_add
    created_at = Screening._meta.get_field("created_at")
    created_at.auto_now_add = False
    try:
        Screening.objects.bulk_create(
            Screening(
                **fields,
                created_at=start + timedelta(hours=i),
                rule_codes=[*model.rule_codes, *(["X_EXTRA"] if i % 3 == 0 else [])],
            )
            for i in range(n - 1)
        )
    finally:
        created_at.auto_now_add = True
    return list(Screening.objects.filter(patient=patient).order_by("created_at", "pk"))


def page(client, patient):
    response = client.get(reverse("patients:detail", args=[patient.pk]))
    assert response.status_code == 200
    return response


def test_the_patient_page_shows_the_latest_ten_and_links_to_the_rest(
    clinician_client, clinician, patient, history
):
    screenings = history(patient, clinician, 14)
    html = page(clinician_client, patient).content.decode()
    shown = [s.pk for s in screenings if reverse("screening:detail", args=[s.pk]) + '"' in html]
    assert shown == [s.pk for s in screenings[-HISTORY_ON_PATIENT_PAGE:]]
    assert "The latest 10 of 14 screenings." in html
    assert reverse("screening:patient_screenings", args=[patient.pk]) in html


def test_few_screenings_have_no_link_and_no_count_query(clinician_client, clinician, patient, history):
    history(patient, clinician, 3)
    with CaptureQueriesContext(connection) as queries:
        html = page(clinician_client, patient).content.decode()
    assert 'data-testid="older-screenings"' not in html
    # the count, like the latest screenings, is read with the record (screening.selectors.SCREENING_COUNT)
    assert not any(q["sql"].startswith("SELECT COUNT(*)") for q in queries)
    assert not any(q["sql"].startswith('SELECT "screening_screening"') for q in queries)


def test_the_page_costs_the_same_queries_and_bytes_with_many_screenings(
    clinician_client, clinician, patient, history
):
    history(patient, clinician, 12)
    page(clinician_client, patient)  # the session's first write of its activity time is not measured
    with CaptureQueriesContext(connection) as few:
        small = len(page(clinician_client, patient).content)
    history(patient, clinician, 300)
    page(clinician_client, patient)
    with CaptureQueriesContext(connection) as many:
        large = len(page(clinician_client, patient).content)
    assert len(many) == len(few)
    assert abs(large - small) < 200  # only the numbers in the text differ (ids, "of 312")


def test_changes_are_computed_across_the_edge_of_what_is_shown(clinician, patient, history):
    screenings = history(patient, clinician, 14)
    rows = screening_history(patient)
    oldest_shown = rows[-1]
    before = screenings[-HISTORY_ON_PATIENT_PAGE - 1]
    assert oldest_shown["screening"].pk == screenings[-HISTORY_ON_PATIENT_PAGE].pk
    assert not oldest_shown["first"]
    expected_added = sorted(set(oldest_shown["screening"].rule_codes) - set(before.rule_codes))
    assert oldest_shown["added"] == expected_added
    assert screening_history(patient, offset=13, limit=25)[0]["first"]  # the oldest of all is the first


def test_the_whole_history_pages_through_every_screening_once(clinician_client, clinician, patient, history):
    screenings = history(patient, clinician, 30)
    url = reverse("screening:patient_screenings", args=[patient.pk])
    seen = []
    for number in (1, 2):
        response = clinician_client.get(url, {"page": number})
        assert response.status_code == 200
        html = response.content.decode()
        seen += [s.pk for s in screenings if reverse("screening:detail", args=[s.pk]) + '"' in html]
    assert sorted(seen) == sorted(s.pk for s in screenings) and len(seen) == 30
    assert "Page 2 of 2" in html and "first screening" in html
    assert clinician_client.get(url, {"page": "999"}).status_code == 200  # the last page, not an error
    assert clinician_client.get(url, {"page": "x"}).status_code == 200
    assert AuditEvent.objects.filter(object_type="patient", object_id=str(patient.pk), action="view").exists()


def test_the_whole_history_is_for_clinical_staff_only(client, make_user, patient):
    from core.roles import CLINICIAN, REPORT_STAFF, RULES_ADMIN

    url = reverse("screening:patient_screenings", args=[patient.pk])
    assert client.get(url).status_code == 302  # signed out: to the sign-in page
    for role in (REPORT_STAFF, RULES_ADMIN):
        client.force_login(make_user(f"u-{role}", role))
        assert client.get(url).status_code == 403
    client.force_login(make_user("u-clinician", CLINICIAN))
    assert client.get(url).status_code == 200
    assert client.get(reverse("screening:patient_screenings", args=[999999])).status_code == 404


def test_only_the_newest_row_is_current_on_every_page_of_the_history(clinician, patient, history):
    """The first page takes the newest row as the latest (no query for it); a later page reads the latest
    screening, so none of its rows is taken for current."""
    screenings = history(patient, clinician, 14)
    first = screening_history(patient, full_record=False)
    assert first[0]["screening"].pk == screenings[-1].pk
    assert first[0]["state"].currency.current
    assert not any(row["state"].currency.current for row in first[1:])
    superseded = f"a later screening (#{screenings[-1].pk}) supersedes it"
    assert all(superseded in row["state"].currency.reasons for row in first[1:])
    later = screening_history(patient, offset=10)
    assert later and not any(row["state"].currency.current for row in later)
    assert all(superseded in row["state"].currency.reasons for row in later)


def test_a_pdf_fingerprint_refuses_a_state_read_without_its_suggestions(clinician, patient, history):
    """Lists skip reading suggestions; a PDF's fingerprint names them, so it may not be made from such a state
    (it would call every ready PDF outdated)."""
    from screening.selectors import review_states
    from screening.services import fingerprint_of

    screening = history(patient, clinician, 1)[0]
    fingerprint_of(review_states([screening])[screening.pk])
    with pytest.raises(ValueError, match="suggestions"):
        fingerprint_of(review_states([screening], suggestions=False)[screening.pk])


def test_a_patients_latest_screenings_are_a_walk_of_its_own_index(clinician, patient, history):
    """Behind many newer screenings of other patients, the patient's latest ten are read from the
    (patient, created_at, id) index, never by walking the clinic's recent screenings filtered by patient
    (what the planner chose when the index ended at created_at and the id tie needed a sort)."""
    if connection.vendor != "postgresql":
        service_unavailable("DATABASE_URL is not PostgreSQL: the plan is PostgreSQL's")
    history(patient, clinician, 400)
    other, _ = intake_import(doc=json.loads((EXAMPLES / "eligible.json").read_text()))
    history(other, clinician, 800)  # all newer than the patient's
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE screening_screening")
    with CaptureQueriesContext(connection) as sent:
        screening_history(patient)
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sent.captured_queries[0]['sql']}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "screening_patient_newest" in plan, plan
    assert "Sort" not in plan and "screening_recent" not in plan, plan


def test_screenings_read_with_their_review_flags_skip_the_overrides_and_suggestions_none_has(
    clinician, physician, patient, history
):
    """with_review_flags: a list in which no screening has an override (or a suggestion) reads neither; once
    one has, both are read and shown as before."""
    from screening.review import finding_override, override_suggest
    from screening.selectors import review_states, with_review_flags

    made = history(patient, clinician, 3)
    flagged = with_review_flags(Screening.objects.filter(patient=patient), suggestions=True)

    def states():
        screenings = list(flagged.all())  # read again each time
        with CaptureQueriesContext(connection) as queries:
            result = review_states(screenings)
        tables = " ".join(q["sql"] for q in queries.captured_queries)
        return result, "screening_findingoverride" in tables, "screening_overridesuggestion" in tables

    result, read_overrides, read_suggestions = states()
    assert not read_overrides and not read_suggestions
    assert all(s.overrides == [] and s.suggestions == [] for s in result.values())

    override = finding_override(
        screening=made[-1], rule="BP-STAGE2", reason="Repeat BP after rest", user=physician
    )
    suggestion = override_suggest(screening=made[0], rule="BP-STAGE2", note="Repeat it?", user=clinician)
    result, read_overrides, read_suggestions = states()
    assert read_overrides and read_suggestions
    assert result[made[-1].pk].overrides == [override] and result[made[0].pk].suggestions == [suggestion]
    assert review_states(list(Screening.objects.filter(patient=patient)))[made[-1].pk].overrides == [override]


def test_rows_read_without_their_documents_load_them_at_once_when_needed(
    clinician, physician, patient, history
):
    """A list reads its screenings without their intake and report (screening.selectors.without_documents):
    rows whose verdict an override changed still show it, and a changed record still says what changed,
    each document read once for all the rows that need it, never once per row (issue 16)."""
    from patients.services import patient_section_update
    from screening.review import finding_override

    def shown():
        with CaptureQueriesContext(connection) as sent:
            rows = screening_history(patient)
            seen = [(r["verdict"], r["original"], r["state"].currency.reasons) for r in rows]
        for document in ("intake", "report"):  # each read at most once, for all the rows together
            whole = re.compile(
                rf'(?<!\()"screening_screening"\."{document}"(,| AS| FROM)'
            )  # the column, not a key of it
            assert sum(bool(whole.search(q["sql"])) for q in sent) <= 1
        return seen, len(sent)

    screenings = history(patient, clinician, 12)
    before, plain = shown()
    assert all(original is None for _, original, _ in before) and plain == 1
    stored = before[0][0]
    rule = next(f["rule"] for f in screenings[-1].report["findings"] if f["severity"] == "defer")
    patient_section_update(
        patient_id=patient.pk,
        section="patient",
        values={"weight_kg": patient.weight_kg + 1},
        expected_version=patient.section_version("patient"),
        user=clinician,
    )
    finding_override(screening=screenings[-1], rule=rule, reason="Rechecked by hand.", user=physician)
    one, cost_one = shown()
    for screening in screenings[-8:-1]:
        finding_override(screening=screening, rule=rule, reason="Rechecked by hand.", user=physician)
    eight, cost_eight = shown()
    assert cost_eight == cost_one  # the overrides, the reports, the intakes, the record now: once each
    assert [original for _, original, _ in eight[:8]] == [stored] * 8  # the stored verdict, set aside
    assert all(verdict != stored for verdict, _, _ in eight[:8]) and eight[8][0] == stored
    assert one[0][0] == eight[0][0]
    assert any("weight" in reason.lower() for reason in eight[0][2])  # what changed, from the stored intake


def test_the_page_counts_up_to_a_cap(clinician_client, clinician, patient, history):
    """The count read with the record stops past COUNT_CAP: its cost stays bounded however long the
    history (the history's own page counts them all)."""
    from screening.selectors import COUNT_CAP

    assert COUNT_CAP == 100
    history(patient, clinician, COUNT_CAP)
    html = page(clinician_client, patient).content.decode()
    assert "The latest 10 of 100 screenings." in html
    history(patient, clinician, 1)
    html = page(clinician_client, patient).content.decode()
    assert "The latest 10 of more than 100 screenings." in html


def test_the_latest_read_with_the_record_walk_the_same_index(clinician, patient, history):
    """The patient page's latest screenings, read with the record (screening.selectors.LATEST_WITH_RECORD)
    where the patient is the outer row, not a constant: the planner's generic estimate once chose the
    single-column patient index and a sort of all the patient's screenings (6 ms at 5,000); with the
    ordered index the only one on the patient (screening 0024), it is a walk of ten entries."""
    if connection.vendor != "postgresql":
        service_unavailable("DATABASE_URL is not PostgreSQL: the plan is PostgreSQL's")
    from patients.selectors import PAGE_RECORD

    history(patient, clinician, 400)
    other, _ = intake_import(doc=json.loads((EXAMPLES / "eligible.json").read_text()))
    history(other, clinician, 800)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE screening_screening")
        cursor.execute(f"EXPLAIN {PAGE_RECORD.sql(1)}", [patient.pk])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "screening_patient_newest" in plan, plan
    assert "Sort" not in plan and "screening_recent" not in plan, plan
    # and the schema itself: no other index leads with the patient for the planner to prefer
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "screening_screening")
    leading = sorted(
        name for name, c in constraints.items() if c["index"] and (c["columns"] or [None])[0] == "patient_id"
    )
    assert leading == ["screening_patient_newest"], leading
