"""The patient page reads its record, its latest screenings, their sign-offs and overrides' presence, the
infusions and which rule set is active in one query (patients.selectors.PAGE_RECORD, parts registered by the
screening and infusions apps): the same history, readiness and infusions as the reads of their own."""

import json
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients.models import BloodPressureReading
from patients.selectors import PAGE_RECORD, patient_page_record, patient_record
from patients.services import intake_import
from rules import selectors as rule_selectors
from rules.models import RuleSet
from screening.models import Screening
from screening.readiness import screening_readiness
from screening.review import finding_override, screening_sign
from screening.selectors import HISTORY_ON_PATIENT_PAGE, screening_count, screening_history
from screening.services import screening_run
from tests.conftest import EXAMPLES
from tests.defaults_snapshot import load_defaults_for_test

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient():
    load_defaults_for_test()
    return intake_import(doc=json.loads((EXAMPLES / "contraindicated-avm.json").read_text()))[0]


def comparable(rows) -> list:
    """What a history row shows, without the objects that hold it."""
    return [
        {
            "id": r["screening"].pk,
            "verdict": r["verdict"],
            "original": r["original"],
            "added": r["added"],
            "removed": r["removed"],
            "first": r["first"],
            "signed": r["signed"],
            "current": r["state"].currency.current,
            "reasons": [str(x) for x in r["state"].currency.reasons],
            "superseded": r["state"].superseded,
            "overrides": [o.pk for o in r["state"].overrides],
        }
        for r in rows
    ]


def test_the_history_read_with_the_record_is_the_history_read_alone(patient, clinician, physician):
    first = screening_run(patient=patient, requested_by=clinician, as_of=date(2026, 11, 20))
    finding_override(screening=first, rule="CV-AVM", reason="No AVM on imaging", user=physician)
    screening_sign(screening=first, user=physician, decision="not_cleared", note="Recheck")
    for _ in range(HISTORY_ON_PATIENT_PAGE + 2):
        screening_run(patient=patient, requested_by=clinician)
    newest = screening_run(patient=patient, requested_by=clinician)
    finding_override(screening=newest, rule="CV-AVM", reason="No AVM on imaging", user=physician)
    BloodPressureReading.objects.create(
        patient=patient, taken_at=newest.created_at, systolic=190, diastolic=95
    )
    with CaptureQueriesContext(connection) as queries:
        page_record = patient_page_record(patient.pk)
    assert len(queries) == 1
    latest = page_record.nested["screenings"]
    assert [s.pk for s in latest] == list(
        Screening.objects.filter(patient=patient).order_by("-created_at", "-pk").values_list("pk", flat=True)
    )[: HISTORY_ON_PATIENT_PAGE + 1]
    assert {"intake", "report"} <= latest[0].get_deferred_fields()
    assert page_record.screening_count == screening_count(patient_record(patient.pk)) == 14
    alone = screening_history(patient_record(patient.pk), full_record=True)
    together = screening_history(page_record, full_record=True)
    assert comparable(together) == comparable(alone)
    assert comparable(together)[0]["overrides"]  # an override, read because the row said it had one
    assert not comparable(together)[0]["current"]  # the reading after it made it not current
    older = screening_history(page_record, offset=HISTORY_ON_PATIENT_PAGE, full_record=True)
    assert [r["screening"].pk for r in older] == [
        s.pk for s in Screening.objects.filter(patient=patient).order_by("-created_at", "-pk")[10:]
    ]
    assert comparable(older)[-1]["signed"]


def test_a_part_of_a_list_never_stands_for_the_whole(patient, clinician):
    for _ in range(HISTORY_ON_PATIENT_PAGE + 3):
        screening_run(patient=patient, requested_by=clinician)
    record = patient_page_record(patient.pk)
    assert len(record.nested["screenings"]) == HISTORY_ON_PATIENT_PAGE + 1
    assert record.screenings.count() == HISTORY_ON_PATIENT_PAGE + 3  # the manager is not the page's slice


def test_no_screening_yet(patient):
    record = patient_page_record(patient.pk)
    assert record.nested["screenings"] == []
    assert record.screening_count == 0
    assert screening_history(record, full_record=True) == []


def test_readiness_reads_the_active_set_with_the_record(patient, clinician, monkeypatch):
    alone = screening_readiness(patient_record(patient.pk))  # compiles the active set in this process
    with CaptureQueriesContext(connection) as queries:
        record = patient_page_record(patient.pk)
        together = screening_readiness(record)
    assert len(queries) == 1
    assert together == alone
    assert record.nested["active_ruleset"].version == RuleSet.objects.get(is_active=True).version
    # a process that has not compiled it reads the active set as before, and says the same
    monkeypatch.setattr(rule_selectors, "_COMPILED", {})
    with CaptureQueriesContext(connection) as cold:
        assert screening_readiness(patient_page_record(patient.pk)) == alone
    assert len(cold) > 1


def test_no_active_set_reads_as_an_unknown_window(patient):
    RuleSet.objects.filter(is_active=True).update(is_active=False)
    record = patient_page_record(patient.pk)
    assert record.nested["active_ruleset"] is None
    readiness = screening_readiness(record)
    assert any("no active rule set" in r.label for r in readiness.requirements)


def test_the_page_reads_its_record_and_panels_in_one_query(clinician_client, patient, clinician):
    screening_run(patient=patient, requested_by=clinician)
    url = reverse("patients:detail", args=[patient.pk])
    clinician_client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = clinician_client.get(url)
    assert response.status_code == 200
    record_reads = [q for q in queries if "json_build_array" in q["sql"] or "json_array" in q["sql"]]
    assert len(record_reads) == 1
    tables = ("screening_screening", "infusions_infusion", "screening_ruleset", "patients_medicationentry")
    assert not [
        q["sql"][:80]
        for q in queries
        if q not in record_reads and any(f'FROM "{t}"' in q["sql"] for t in tables)
    ]


def test_the_page_parts_are_registered_once_each():
    names = [c.name for c in PAGE_RECORD.children] + [s.name for s in PAGE_RECORD.singles]
    assert sorted(names) == sorted(
        ["diagnoses", "medications", "bp_readings", "measures", "infusions", "screenings", "active_ruleset"]
    )
    assert [a.name for a in PAGE_RECORD.annotations] == ["screening_count"]


def test_the_list_reads_each_latest_screening_as_its_own_review_does(patient, clinician, physician):
    """The patient list's latest screenings (screening.worklist.latest_screenings: one query with the
    listed patients' record versions) say what each screening's own review state says: overridden, signed,
    made not current by a later reading, never screened."""
    from patients.models import Patient
    from patients.selectors import patient_search
    from screening.selectors import review_state
    from screening.worklist import latest_screenings
    from tests.patients.factories import PatientFactory

    older = screening_run(patient=patient, requested_by=clinician)
    newest = screening_run(patient=patient, requested_by=clinician)
    finding_override(screening=newest, rule="CV-AVM", reason="No AVM on imaging", user=physician)
    screening_sign(screening=older, user=physician, decision="not_cleared")
    other = PatientFactory(weight_kg=70)
    signed = screening_run(patient=other, requested_by=clinician)
    screening_sign(screening=signed, user=physician, decision="not_cleared")
    BloodPressureReading.objects.create(patient=other, taken_at=signed.created_at, systolic=150, diastolic=90)
    never = PatientFactory()
    listed = list(patient_search("").filter(pk__in=[patient.pk, other.pk, never.pk]))
    with CaptureQueriesContext(connection) as queries:
        rows = latest_screenings(listed)
    reads = [q["sql"] for q in queries if "screening_screening" in q["sql"]]
    # one read of the latest screenings; then only the report of the overridden one (Screening.load_documents)
    assert (
        len(reads) == 2 and '"screening_screening"."report"' in reads[1] and f"IN ({newest.pk})" in reads[1]
    )
    assert set(rows) == {patient.pk, other.pk}
    for pk, screening in ((patient.pk, newest), (other.pk, signed)):
        alone = review_state(Screening.objects.get(pk=screening.pk))
        state = rows[pk]["state"]
        assert rows[pk]["screening"].pk == screening.pk
        assert (
            state.effective,
            state.decision_text,
            state.currency.current,
            [o.pk for o in state.overrides],
        ) == (
            alone.effective,
            alone.decision_text,
            alone.currency.current,
            [o.pk for o in alone.overrides],
        )
    assert rows[patient.pk]["state"].overrides and not rows[other.pk]["state"].currency.current
    assert rows[other.pk]["patient"] is next(p for p in listed if p.pk == other.pk)
    # rows read without their record version take the one read with the latest screening
    bare = list(Patient.objects.only("id", "mrn").filter(pk__in=[patient.pk, other.pk]))
    assert {pk: r["state"].currency.current for pk, r in latest_screenings(bare).items()} == {
        pk: r["state"].currency.current for pk, r in rows.items()
    }


def test_the_lists_first_page_reads_the_latest_screenings_its_other_pages_read(patient, clinician, physician):
    """patients.selectors.patient_list_first (the rows and their latest screenings in one query) gives each row
    the latest screening, effective verdict, decision and currency the by-id read gives (LISTED_LATEST)."""
    from patients.selectors import patient_list_first, patient_search
    from screening.worklist import latest_screenings
    from tests.patients.factories import PatientFactory

    screening_run(patient=patient, requested_by=clinician)
    newest = screening_run(patient=patient, requested_by=clinician)
    finding_override(screening=newest, rule="CV-AVM", reason="No AVM on imaging", user=physician)
    other = PatientFactory(weight_kg=70)
    signed = screening_run(patient=other, requested_by=clinician)
    screening_sign(screening=signed, user=physician, decision="not_cleared")
    BloodPressureReading.objects.create(patient=other, taken_at=signed.created_at, systolic=150, diastolic=90)
    PatientFactory()  # never screened

    def seen(rows):
        return {
            pk: (
                r["screening"].pk,
                r["state"].effective,
                r["state"].decision_text,
                r["state"].currency.current,
            )
            for pk, r in rows.items()
        }

    first = patient_list_first(25)
    assert [p.pk for p in first] == list(patient_search("").values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as queries:
        together = latest_screenings(first)
    # no read of the latest screenings: only the overridden one's report (Screening.load_documents)
    assert [q["sql"] for q in queries if "screening_screening" in q["sql"]] == [
        q["sql"] for q in queries if '"screening_screening"."report"' in q["sql"]
    ]
    apart = latest_screenings(list(patient_search("")))
    assert seen(together) == seen(apart) and len(apart) == 2
    assert not together[other.pk]["state"].currency.current and together[patient.pk]["state"].overrides
    # the rows hold what the list's own query reads of them, no more (the rest deferred)
    listed = list(patient_search("")[:25])
    assert [p.get_deferred_fields() for p in first] == [p.get_deferred_fields() for p in listed]
    assert [vars(p).keys() - {"nested", "nested_parts", "_prefetched_objects_cache"} for p in first] == [
        vars(p).keys() for p in listed
    ]
    # a row's one latest screening is never taken for the patient's history (its page reads the latest 10)
    from screening.selectors import screening_history

    row = next(p for p in first if p.pk == patient.pk)
    assert len(row.nested["screenings"]) == 1 and len(screening_history(row)) == 2


def test_the_report_read_is_the_orm_read(patient, clinician, physician):
    """The report page's screening (screening.selectors.report_screening, one query whose SQL is kept) holds
    what the ORM's read held: the row, its patient, sign-off, PDF, review flags and the latest screening."""
    from django.db.models import Exists, OuterRef

    from screening.currency import newest_screening_id
    from screening.models import FindingOverride, OverrideSuggestion, ReportPdf
    from screening.review import override_suggest
    from screening.selectors import report_screening

    def orm(pk):
        return (
            Screening.objects.select_related("patient", "requested_by", "signoff", "pdf")
            .annotate(
                has_overrides=Exists(FindingOverride.objects.filter(screening=OuterRef("pk"))),
                has_suggestions=Exists(OverrideSuggestion.objects.filter(screening=OuterRef("pk"))),
                latest_now=newest_screening_id("patient_id"),
            )
            .get(pk=pk)
        )

    def columns(row):
        return {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}

    reviewed = screening_run(patient=patient, requested_by=clinician)
    override_suggest(screening=reviewed, rule="CV-AVM", note="Imaging was clear", user=clinician)
    finding_override(screening=reviewed, rule="CV-AVM", reason="No AVM on imaging", user=physician)
    screening_sign(screening=reviewed, user=physician, decision="not_cleared", note="Recheck")
    ReportPdf.objects.create(screening=reviewed, requested_by=clinician)
    plain = screening_run(patient=patient, requested_by=clinician)
    for screening in (reviewed, plain):
        with CaptureQueriesContext(connection) as queries:
            read = report_screening(screening.pk)
            state = (read.has_overrides, read.has_suggestions, read.latest_now)
            related = [getattr(read, "signoff", None), getattr(read, "pdf", None)]
        assert len(queries) == 1
        reference = orm(screening.pk)
        assert columns(read) == columns(reference)
        assert columns(read.patient) == columns(reference.patient)
        assert state == (reference.has_overrides, reference.has_suggestions, reference.latest_now)
        expected = [getattr(reference, "signoff", None), getattr(reference, "pdf", None)]
        assert [r and columns(r) for r in related] == [r and columns(r) for r in expected]
        assert read.requested_by.username == clinician.username
    assert report_screening(reviewed.pk).latest_now == plain.pk  # a later screening supersedes it
    assert report_screening(reviewed.pk).has_suggestions and not report_screening(plain.pk).has_overrides
    with pytest.raises(Screening.DoesNotExist):
        report_screening(987654321)
