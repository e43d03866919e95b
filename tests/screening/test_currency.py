"""A screening is current while the record would give the same intake, it is younger than the rule set's
validity, its blood pressure is inside the window and no later screening supersedes it; otherwise it says
why, in words, and a signed one shows as superseded (criteria.md, "Overrides, sign-off and validity")."""

import re
from datetime import date, timedelta
from decimal import Decimal
from importlib import import_module
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from patients.models import BloodPressureReading, Diagnosis, MedicationEntry, Patient
from rules.selectors import active_ruleset, ruleset_document
from rules.services import ruleset_import
from screening.intake import intake_sha256
from screening.models import Screening
from screening.review import screening_sign
from screening.selectors import review_state, review_states
from screening.services import screening_run
from tests.defaults_snapshot import load_defaults_for_test

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    load_defaults_for_test()
    with override_settings(DEBUG=True):
        call_command("load_demo", stdout=StringIO())


@pytest.fixture
def eligible(demo, clinician):
    """A fresh screening of the eligible demo patient (DEMO-001)."""
    return screening_run(patient=Patient.objects.get(mrn="DEMO-001"), requested_by=clinician)


def reasons(screening) -> tuple[str, ...]:
    return review_state(Screening.objects.get(pk=screening.pk)).currency.reasons


def set_field(name, value):
    def change(patient):
        setattr(patient, name, value)
        patient.save()

    return change


CHANGES = {
    "psychiatric answers changed": set_field("psychosis_history", "yes"),
    "cardiovascular answers changed": set_field("stroke_history", "yes"),
    "other medical answers changed": set_field("glaucoma", "yes"),
    "support answers changed": set_field("escort_available", "no"),
    "treatment history changed": set_field("psychotherapy_current", "no"),
    "weight changed": set_field("weight_kg", Decimal("81.5")),
    "height changed": set_field("height_cm", Decimal("181")),
    "date of birth changed": set_field("date_of_birth", date(1975, 1, 2)),
    "pregnancy changed": set_field("pregnancy", "unknown"),
    "sex at birth changed": set_field("sex_at_birth", "unknown"),
    "medication list no longer attested": set_field("medications_reconciled", False),
    "diagnosis F41.1 added": lambda p: Diagnosis.objects.create(patient=p, icd10="F41.1"),
    "medication sertraline added": lambda p: MedicationEntry.objects.create(
        patient=p, name="sertraline", dose_mg=50, times_per_day=1
    ),
}


def test_a_fresh_screening_is_current(eligible):
    assert reasons(eligible) == ()
    assert eligible.intake_sha256 == intake_sha256(eligible.intake)


@pytest.mark.parametrize("reason", sorted(CHANGES))
def test_every_kind_of_record_change_makes_it_not_current(eligible, reason):
    CHANGES[reason](Patient.objects.get(pk=eligible.patient_id))

    assert reasons(eligible) == (reason,)


def test_a_removed_diagnosis_and_a_changed_medication_are_named(eligible):
    patient = Patient.objects.get(pk=eligible.patient_id)
    code = patient.diagnoses.first().icd10
    patient.diagnoses.first().delete()
    medication = patient.medications.first()
    medication.dose_mg += 1
    medication.save()

    assert set(reasons(eligible)) == {f"diagnosis {code} removed", f"medication {medication.name} changed"}


def test_a_blood_pressure_reading_added_is_named_with_its_time(eligible):
    taken = timezone.localtime().replace(second=0, microsecond=0)
    BloodPressureReading.objects.create(
        patient_id=eligible.patient_id, taken_at=taken, systolic=172, diastolic=104
    )

    assert reasons(eligible) == (f"blood pressure added {taken:%Y-%m-%d %H:%M}",)


def test_an_edit_undone_makes_it_current_again(eligible):
    patient = Patient.objects.get(pk=eligible.patient_id)
    original = patient.glaucoma
    set_field("glaucoma", "yes")(patient)
    assert reasons(eligible)

    set_field("glaucoma", original)(patient)

    assert reasons(eligible) == ()


REAL_LOCALDATE = timezone.localdate


def later(monkeypatch, days: int, since: date | None = None):
    """Make 'today' the given number of days after `since` (the real today by default)."""
    today = (since or REAL_LOCALDATE()) + timedelta(days=days)
    real = REAL_LOCALDATE
    monkeypatch.setattr(
        timezone, "localdate", lambda value=None, tz=None: real(value, tz) if value else today
    )


def test_it_is_current_until_the_validity_ends(eligible, monkeypatch):
    made_on = timezone.localdate(eligible.created_at)
    later(monkeypatch, 29, since=made_on)
    assert not any("older than" in r for r in reasons(eligible))

    later(monkeypatch, 30, since=made_on)

    assert f"older than 30 days (screened {timezone.localtime(eligible.created_at):%Y-%m-%d})" in reasons(
        eligible
    )


def test_the_validity_is_rule_set_data(demo, clinician, monkeypatch):
    document = ruleset_document(active_ruleset())
    document["version"] = "2026.1-v10"
    document["protocol"]["validity_days"] = 10
    ruleset_import(data=document, shipped=True, note="shorter validity")
    screening = screening_run(patient=Patient.objects.get(mrn="DEMO-001"), requested_by=clinician)

    later(monkeypatch, 10, since=timezone.localdate(screening.created_at))

    assert any(r.startswith("older than 10 days") for r in reasons(screening))


def test_it_is_not_current_once_its_blood_pressure_leaves_the_window(demo, clinician, monkeypatch):
    document = ruleset_document(active_ruleset())
    document["version"] = "2026.1-v90"
    document["protocol"]["validity_days"] = 90
    ruleset_import(data=document, shipped=True, note="longer validity")
    screening = screening_run(patient=Patient.objects.get(mrn="DEMO-001"), requested_by=clinician)
    day = screening.report["blood_pressure"]["day"]
    # counted from the reading's own day: the demo's latest reading is half an hour old, so just
    # after midnight it was taken yesterday
    later(monkeypatch, 30, since=date.fromisoformat(day))
    assert reasons(screening) == ()
    later(monkeypatch, 31, since=date.fromisoformat(day))

    assert reasons(screening) == (f"blood pressure of {day} is more than 30 days old",)


def test_a_list_read_without_documents_judges_the_blood_pressure_window_alike(demo, clinician, monkeypatch):
    """Lists read screenings without their report (selectors.without_documents): the report's blood pressure
    comes from the database as an annotation, and must give the same currency as the whole report."""
    from screening.selectors import screening_history, without_documents

    patient = Patient.objects.get(mrn="DEMO-001")
    screening = screening_run(patient=patient, requested_by=clinician)
    day = screening.report["blood_pressure"]["day"]
    later(monkeypatch, 31, since=date.fromisoformat(day))
    light = without_documents(Screening.objects.filter(pk=screening.pk)).get()
    assert "report" in light.get_deferred_fields() and light.report_bp == screening.report["blood_pressure"]
    expected = reasons(screening)  # from the whole report
    assert f"blood pressure of {day} is more than 30 days old" in expected
    assert review_states([light])[screening.pk].currency.reasons == expected
    assert screening_history(patient)[0]["state"].currency.reasons == expected


def test_a_later_screening_supersedes_it(eligible, clinician):
    newer = screening_run(patient=eligible.patient, requested_by=clinician)

    assert reasons(eligible) == (f"a later screening (#{newer.pk}) supersedes it",)
    assert reasons(newer) == ()


def test_a_signed_screening_shows_as_superseded_on_its_page(eligible, physician, clinician_client):
    screening_sign(screening=eligible, user=physician, decision="cleared")
    BloodPressureReading.objects.create(
        patient_id=eligible.patient_id, taken_at=timezone.now(), systolic=172, diastolic=104
    )

    page = clinician_client.get(reverse("screening:detail", args=[eligible.pk])).content.decode()

    assert "SUPERSEDED: DO NOT USE FOR CLEARANCE." in page
    assert "blood pressure added" in page
    assert 'data-current="no"' in page
    patient_page = clinician_client.get(
        reverse("patients:detail", args=[eligible.patient_id])
    ).content.decode()
    assert "superseded, do not use for clearance" in patient_page
    row = patient_page[patient_page.index(f'data-testid="current-{eligible.pk}"') :].split("</td>")[0]
    assert "blood pressure added" in row
    form = re.search(r'<form method="post" action="([^"]+)" class="mt-1">(.*?)</form>', row)
    assert form[1] == reverse("screening:screen_now", args=[eligible.patient_id])
    assert re.search(r'<input type="hidden" name="csrfmiddlewaretoken" value="\w+">', form[2])
    assert "Screen again</button>" in form[2]


def test_currency_of_many_screenings_reads_a_fixed_number_of_queries(demo, clinician):
    screenings = [screening_run(patient=p, requested_by=clinician) for p in Patient.objects.all()]
    for screening in screenings:
        screening.ruleset  # noqa: B018 - loaded as the pages load it (select_related)

    with CaptureQueriesContext(connection) as two:
        review_states(screenings[:2])
    with CaptureQueriesContext(connection) as all_of_them:
        states = review_states(screenings)

    assert len(all_of_them.captured_queries) == len(two.captured_queries)
    assert len(states) == 14 and all(s.currency.current for s in states.values())


def test_a_screening_that_is_not_current_offers_screen_again(eligible, clinician_client):
    url = reverse("screening:detail", args=[eligible.pk])
    assert 'data-testid="screen-again"' not in clinician_client.get(url).content.decode()
    set_field("glaucoma", "yes")(Patient.objects.get(pk=eligible.patient_id))

    assert 'data-testid="screen-again"' in clinician_client.get(url).content.decode()


def test_the_migrations_frozen_fingerprint_matches_the_live_one(eligible):
    frozen = import_module("screening.migrations.0010_decisions_and_currency").intake_sha256

    assert frozen(eligible.intake) == intake_sha256(eligible.intake) == eligible.intake_sha256


def test_the_process_time_zone_does_not_change_currency(eligible):
    with timezone.override("America/Denver"):
        assert reasons(eligible) == ()
    with timezone.override("Asia/Kolkata"):
        assert reasons(eligible) == ()


def test_the_order_of_medications_does_not_matter(demo, clinician):
    screening = screening_run(patient=Patient.objects.get(mrn="DEMO-002"), requested_by=clinician)
    patient = Patient.objects.get(pk=screening.patient_id)
    first, second = patient.medications.order_by("pk")
    fields = {
        f: getattr(first, f) for f in ("name", "dose_mg", "times_per_day", "as_needed", "max_doses_per_day")
    }
    first.delete()
    MedicationEntry.objects.create(patient=patient, **fields)  # the same medication, now after the other

    assert [m.name for m in patient.medications.order_by("pk")] == [second.name, first.name]
    assert reasons(screening) == ()
