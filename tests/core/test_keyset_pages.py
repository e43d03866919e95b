"""Next and Previous walk from the row they continue from (core.pagination, keyset; issue 16): a deep page
reached by its link is read as cheaply as the first, holds exactly the rows the same page read by its
number holds, and a link whose row is gone, or is not in the list, still gives the page by its number."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.pagination import ScalablePaginator
from patients.models import Patient
from patients.selectors import patient_search
from screening.models import Screening
from tests.patients.test_search_scale import bulk_clinic, postgres  # noqa: F401 (a fixture)
from tests.screening.test_report_search_scale import defaults, screened  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

LIST = reverse("patients:list")
REPORTS = reverse("screening:report_list")
NEXT = re.compile(r'href="\?([^"]*)">Next<')
PREVIOUS = re.compile(r'href="\?([^"]*)">Previous<')


@pytest.fixture
def clinic():
    bulk_clinic()


def rows(response, pattern=r'href="/patients/(\d+)/"') -> list[str]:
    assert response.status_code == 200
    return list(dict.fromkeys(re.findall(pattern, response.content.decode())))


def link(response, which) -> str | None:
    found = which.search(response.content.decode())
    return found.group(1).replace("&amp;", "&") if found else None


def test_walking_the_list_by_its_links_reads_every_page_as_its_number_does(clinician_client, clinic):
    response, number, seen = clinician_client.get(LIST), 1, []
    while True:
        assert rows(response) == rows(clinician_client.get(LIST, {"page": number}))
        seen += rows(response)
        query = link(response, NEXT)
        if query is None:
            break
        number += 1
        assert query == f"page={number}&after={seen[-1]}"
        response = clinician_client.get(f"{LIST}?{query}")
    assert number == 120 and len(seen) == len(set(seen)) == 3_000
    back = link(response, PREVIOUS)
    assert back == f"page=119&before={rows(response)[0]}"
    assert rows(clinician_client.get(f"{LIST}?{back}")) == rows(clinician_client.get(LIST, {"page": 119}))


def test_a_page_reached_by_its_link_sends_no_offset(clinician_client, clinic):
    query = link(clinician_client.get(LIST, {"page": 100}), NEXT)
    with CaptureQueriesContext(connection) as sent:
        walked = clinician_client.get(f"{LIST}?{query}")
    assert rows(walked) == rows(clinician_client.get(LIST, {"page": 101}))
    assert not any("OFFSET" in q["sql"] for q in sent.captured_queries)
    with CaptureQueriesContext(connection) as typed:
        clinician_client.get(LIST, {"page": 101})
    assert any("OFFSET" in q["sql"] for q in typed.captured_queries)  # the typed number: the offset


@pytest.mark.parametrize("anchor", ["0", "-4", "abc", "99999999", "1e3", "9" * 30])
def test_a_link_whose_row_is_unknown_gives_the_page_by_its_number(clinician_client, clinic, anchor):
    expected = rows(clinician_client.get(LIST, {"page": 7}))
    for side in ("after", "before"):
        assert rows(clinician_client.get(LIST, {"page": 7, side: anchor})) == expected


def test_a_link_from_a_row_that_is_not_a_match_of_the_search_gives_the_page_by_its_number(
    clinician_client, clinic
):
    outsider = Patient.objects.exclude(family_name__icontains="silva").first()
    clinician_client.post(LIST, {"q": "silva"})
    expected = rows(clinician_client.get(LIST, {"page": 2}))
    assert rows(clinician_client.get(LIST, {"page": 2, "after": outsider.pk})) == expected


def test_a_search_counted_past_its_cap_walks_its_matches(clinician_client, clinic, monkeypatch):
    monkeypatch.setattr(ScalablePaginator, "count_cap", 30)
    clinician_client.post(LIST, {"q": "silva"})
    first = clinician_client.get(LIST)
    assert b"more than 30" in first.content
    query = link(first, NEXT)
    assert "after=" in query
    assert rows(clinician_client.get(f"{LIST}?{query}")) == rows(clinician_client.get(LIST, {"page": 2}))


def test_a_list_ordered_with_an_exact_mrn_first_is_read_by_page_number(clinician_client, clinic):
    Patient.objects.create(
        mrn="BK-001", given_name="Zed", family_name="Zulu", date_of_birth="1980-01-01", sex_at_birth="male"
    )
    clinician_client.post(LIST, {"q": "BK-001"})  # BK-001 itself first, then BK-00100 to BK-00199
    first = clinician_client.get(LIST)
    assert link(first, NEXT) == "page=2"  # an ordering by an expression: no row to walk from
    expected = [str(p.pk) for p in Patient.objects.filter(mrn__startswith="BK-001").exclude(mrn="BK-001")]
    assert rows(first)[0] == str(Patient.objects.get(mrn="BK-001").pk)
    assert rows(clinician_client.get(f"{LIST}?{link(first, NEXT)}")) == expected[24:49]
    assert ScalablePaginator(patient_search(""), 5).walkable


def test_a_search_with_few_matches_pages_by_number_from_its_counted_ids(clinician_client, clinic):
    clinician_client.post(LIST, {"q": "silva"})
    first = clinician_client.get(LIST)
    assert link(first, NEXT) == "page=2"  # its ids are read with the count: no walk is cheaper
    assert rows(clinician_client.get(f"{LIST}?page=2&after={rows(first)[-1]}")) == rows(
        clinician_client.get(LIST, {"page": 2})
    )


def test_an_ordering_by_a_column_that_may_be_empty_is_not_walked(clinic):
    assert not ScalablePaginator(Patient.objects.order_by("weight_kg", "pk"), 25).walkable
    assert not ScalablePaginator(Patient.objects.order_by("family_name", "-pk"), 25).walkable  # mixed
    assert not ScalablePaginator(Patient.objects.order_by("family_name"), 25).walkable  # not total


def test_walking_back_after_rows_were_added_before_reaches_the_start(clinician_client, clinic):
    second = clinician_client.get(f"{LIST}?{link(clinician_client.get(LIST), NEXT)}")
    back = link(second, PREVIOUS)
    for i in range(3):  # three patients now sort before every other
        Patient.objects.create(
            mrn=f"AA-{i}",
            given_name="Ana",
            family_name="Aaa",
            date_of_birth="1980-01-01",
            sex_at_birth="male",
        )
    response = clinician_client.get(f"{LIST}?{back}")
    assert rows(response) == rows(clinician_client.get(LIST))  # page 1 from the start, the new rows first
    assert link(response, PREVIOUS) is None and "Page 1 of" in response.content.decode()


def test_walking_back_from_the_second_page_reaches_the_first(clinician_client, clinic):
    second = clinician_client.get(f"{LIST}?{link(clinician_client.get(LIST), NEXT)}")
    back = clinician_client.get(f"{LIST}?{link(second, PREVIOUS)}")
    assert rows(back) == rows(clinician_client.get(LIST))
    assert link(back, PREVIOUS) is None


@pytest.fixture
def tied_screenings(defaults, clinician):  # noqa: F811 (the fixture imported above)
    """70 screenings stored at one moment (copies of one real screening): only their ids order them."""
    model = screened(clinician, "KT-0100", "Ana", "Silva")
    fields = {
        f.attname: getattr(model, f.attname) for f in Screening._meta.concrete_fields if not f.primary_key
    }
    created_at = Screening._meta.get_field("created_at")
    created_at.auto_now_add = False  # screenings are immutable: their time is given at insert
    try:
        Screening.objects.bulk_create(Screening(**fields) for _ in range(69))
    finally:
        created_at.auto_now_add = True


def test_the_report_list_walks_newest_first_through_screenings_made_at_the_same_moment(
    clinician_client, tied_screenings
):
    pattern = r'href="/screening/(\d+)/"'
    assert Screening.objects.values("created_at").distinct().count() == 1
    expected = [
        str(pk) for pk in Screening.objects.order_by("-created_at", "-pk").values_list("pk", flat=True)
    ]
    response, seen = clinician_client.get(REPORTS), []
    for number in (1, 2, 3):
        assert rows(response, pattern) == rows(clinician_client.get(REPORTS, {"page": number}), pattern)
        seen += rows(response, pattern)
        query = link(response, NEXT)
        if query is None:
            break
        response = clinician_client.get(f"{REPORTS}?{query}")
    assert seen == expected and len(seen) == 70
    back = link(response, PREVIOUS)
    assert rows(clinician_client.get(f"{REPORTS}?{back}"), pattern) == expected[25:50]


@pytest.mark.django_db(transaction=True)  # VACUUM cannot run inside a transaction
def test_a_page_reached_by_its_link_walks_the_list_index(postgres):  # noqa: F811
    bulk_clinic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE patients_patient")
    paginator = ScalablePaginator(patient_search(""), 25)
    anchor = paginator.page(100).object_list[-1].pk
    with CaptureQueriesContext(connection) as sent:
        page = ScalablePaginator(patient_search(""), 25).page(101, after=anchor)
    assert [p.pk for p in page.object_list] == [p.pk for p in paginator.page(101).object_list]
    walk = sent.captured_queries[-1]["sql"]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {walk}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # a walk of a family-name index from the anchor's place (the planner picks the list's own index, or
    # the (family, given) one with a sort of the few rows that tie on both), never a scan of the table
    family = Patient.objects.get(pk=anchor).family_name
    assert "Seq Scan" not in plan and "Index Cond" in plan and f"'{family}'" in plan, plan


@pytest.mark.parametrize(
    ("rows_of", "number", "used"),
    [
        (lambda: Patient.objects.all(), 1, True),
        (lambda: Patient.objects.all(), 2, False),  # skips rows: read by the ids' subquery
        (lambda: Patient.objects.filter(family_name__startswith="S"), 1, False),  # a search
        (lambda: Patient.objects.order_by("-pk"), 1, False),  # not the model's order
        (lambda: Patient.objects.reverse(), 1, False),
        (lambda: Patient.objects.select_related("medications_reconciled_by"), 1, False),
    ],
)
def test_the_views_first_page_reader_serves_only_the_whole_lists_first_page(rows_of, number, used):
    """ScalablePaginator.read_first (the patient list's rows read with their latest screenings) stands in for
    the first page of the unfiltered list in its model's order only; every other page is read as before."""
    from tests.patients.factories import PatientFactory

    PatientFactory.create_batch(30, family_name="Silva")
    asked = []

    def reader(count):
        asked.append(count)
        return list(Patient.objects.all()[:count])

    paginator = ScalablePaginator(rows_of(), 25)
    paginator.count_cap = 5  # a search past its cap: its page is not read from its counted ids
    paginator.read_first = reader
    page = paginator.page(number)
    assert asked == ([26] if used else [])
    assert [p.pk for p in page.object_list] == [p.pk for p in rows_of()[(number - 1) * 25 : number * 25]]
    assert page.has_next() == (number == 1)
