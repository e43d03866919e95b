"""Every patients page: anonymous users go to the login page, users without the Clinician role get 403."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from core.roles import REPORT_STAFF, RULES_ADMIN
from infusions.models import Infusion
from infusions.urls import urlpatterns as infusion_patterns
from patients.models import BloodPressureReading, Diagnosis, Measure, MedicationEntry
from patients.urls import urlpatterns
from screening.services import screening_run
from tests.defaults_snapshot import load_defaults_for_test

from .factories import BloodPressureReadingFactory, DiagnosisFactory, MedicationEntryFactory

pytestmark = pytest.mark.django_db

# (url name, method, status a clinician gets with an empty request)
PAGES = [
    ("list", "get", 200),
    ("create", "get", 200),
    ("create", "post", 400),
    ("formulary_suggest", "post", 200),
    ("detail", "get", 200),
    ("edit", "get", 200),
    ("edit", "post", 400),
    ("section", "get", 200),
    ("section", "post", 400),
    ("export", "get", 200),
    ("history", "get", 200),
    ("diagnosis_add", "post", 400),
    ("diagnosis_edit", "get", 200),
    ("diagnosis_edit", "post", 400),
    ("diagnosis_delete", "post", 302),
    ("medication_add", "post", 400),
    ("medication_edit", "get", 200),
    ("medication_edit", "post", 409),  # an empty post names no version of the row: refused as stale
    ("medication_delete", "post", 302),
    ("medications_reconcile", "post", 302),
    ("reading_add", "post", 400),
    ("reading_delete", "post", 302),
    ("measure_add", "get", 200),
    ("measure_add", "post", 400),
    ("measure_delete", "post", 302),
]
PAGE_IDS = [f"{method.upper()} {name}" for name, method, _ in PAGES]
DELETIONS = [
    ("diagnosis_delete", Diagnosis),
    ("medication_delete", MedicationEntry),
    ("reading_delete", BloodPressureReading),
    ("measure_delete", Measure),
]


@pytest.fixture
def url_for(patient):
    dx = DiagnosisFactory(patient=patient)
    med = MedicationEntryFactory(patient=patient)
    reading = BloodPressureReadingFactory(patient=patient)
    measure = Measure.objects.create(
        patient=patient, instrument="gad7", administered_on=date(2026, 11, 1), answers=[0] * 7
    )
    kwargs = {
        "list": {},
        "create": {},
        "formulary_suggest": {},
        "detail": {"pk": patient.pk},
        "edit": {"pk": patient.pk},
        "export": {"pk": patient.pk},
        "history": {"pk": patient.pk},
        "section": {"pk": patient.pk, "section": "psychiatric"},
        "diagnosis_add": {"pk": patient.pk},
        "diagnosis_edit": {"pk": patient.pk, "dx_id": dx.pk},
        "diagnosis_delete": {"pk": patient.pk, "dx_id": dx.pk},
        "medication_add": {"pk": patient.pk},
        "medication_edit": {"pk": patient.pk, "med_id": med.pk},
        "medication_delete": {"pk": patient.pk, "med_id": med.pk},
        "medications_reconcile": {"pk": patient.pk},
        "reading_add": {"pk": patient.pk},
        "reading_delete": {"pk": patient.pk, "reading_id": reading.pk},
        "measure_add": {"pk": patient.pk, "instrument": "phq9"},
        "measure_delete": {"pk": patient.pk, "measure_id": measure.pk},
    }
    return lambda name: reverse(f"patients:{name}", kwargs=kwargs[name])


def test_the_table_covers_every_url_of_the_patients_app():
    assert {name for name, _, _ in PAGES} == {pattern.name for pattern in urlpatterns}


@pytest.mark.parametrize(("name", "method", "_status"), PAGES, ids=PAGE_IDS)
def test_anonymous_user_is_sent_to_login(client, url_for, name, method, _status):
    response = getattr(client, method)(url_for(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.fixture(params=["rules_admin", "report_staff", "no_role"])
def refused_user(request, make_user):
    roles = {"rules_admin": (RULES_ADMIN,), "report_staff": (REPORT_STAFF,), "no_role": ()}
    return make_user(request.param, *roles[request.param])


@pytest.mark.parametrize(("name", "method", "_status"), PAGES, ids=PAGE_IDS)
def test_user_without_the_clinician_role_is_refused(client, refused_user, url_for, name, method, _status):
    client.force_login(refused_user)
    assert getattr(client, method)(url_for(name)).status_code == 403


@pytest.mark.parametrize(("name", "method", "status"), PAGES, ids=PAGE_IDS)
def test_clinician_reaches_every_page(clinician_client, url_for, name, method, status):
    assert getattr(clinician_client, method)(url_for(name)).status_code == status


@pytest.mark.parametrize(("name", "model"), DELETIONS)
def test_a_refused_removal_leaves_the_row_in_place(client, report_staff, url_for, name, model):
    client.force_login(report_staff)
    client.post(url_for(name))
    assert model.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "method", "kwargs"),
    [
        ("detail", "get", {}),
        ("edit", "get", {}),
        ("edit", "post", {}),
        ("export", "get", {}),
        ("history", "get", {}),
        ("section", "get", {"section": "psychiatric"}),
        ("section", "post", {"section": "psychiatric"}),
        ("diagnosis_add", "post", {}),
        ("diagnosis_edit", "get", {"dx_id": 1}),
        ("diagnosis_delete", "post", {"dx_id": 1}),
        ("medication_add", "post", {}),
        ("medication_edit", "get", {"med_id": 1}),
        ("medication_edit", "post", {"med_id": 1}),
        ("medication_delete", "post", {"med_id": 1}),
        ("medications_reconcile", "post", {}),
        ("reading_add", "post", {}),
        ("reading_delete", "post", {"reading_id": 1}),
        ("measure_add", "get", {"instrument": "phq9"}),
        ("measure_add", "post", {"instrument": "phq9"}),
        ("measure_delete", "post", {"measure_id": 1}),
    ],
)
def test_a_missing_patient_is_not_found(clinician_client, name, method, kwargs):
    url = reverse(f"patients:{name}", kwargs={"pk": 999999, **kwargs})
    assert getattr(clinician_client, method)(url).status_code == 404


# The day-of infusion pages a patient's record opens (issue 18; the infusions app's own URLs, listed here with
# the patient pages they belong to): (url name, method, status a clinician gets with an empty request)
INFUSION_PAGES = [
    ("start", "get", 200),
    ("start", "post", 400),
    ("detail", "get", 200),
    ("check", "post", 302),  # nothing typed is a check with nothing in it: incomplete, not refused
    ("authorize", "post", 400),  # a physician's act
    ("monitor", "post", 400),
    ("discharge", "post", 400),
    ("sign", "post", 302),  # an incomplete check is signed held with the decision's reasons
    ("measure_add", "get", 200),
    ("measure_add", "post", 400),
]
INFUSION_IDS = [f"{method.upper()} infusions:{name}" for name, method, _ in INFUSION_PAGES]


@pytest.fixture
def infusion_url(patient, clinician):
    load_defaults_for_test()
    screening = screening_run(patient=patient, requested_by=clinician)
    infusion = Infusion.objects.create(
        patient=patient, screening=screening, infusion_on=timezone.localdate(), created_by=clinician
    )

    def make(name):
        args = {"start": [patient.pk], "measure_add": [infusion.pk, "phq9"]}.get(name, [infusion.pk])
        return reverse(f"infusions:{name}", args=args)

    return make


def test_the_infusion_table_covers_every_day_of_infusion_url():
    sheet = {
        "sheet_request",
        "sheet_status",
        "sheet_download",
    }  # READ_REPORTS: tests/core/test_permission_matrix.py
    assert {name for name, _, _ in INFUSION_PAGES} == {p.name for p in infusion_patterns} - sheet


@pytest.mark.parametrize(("name", "method", "_status"), INFUSION_PAGES, ids=INFUSION_IDS)
def test_anonymous_user_is_sent_to_login_from_infusion_pages(client, infusion_url, name, method, _status):
    response = getattr(client, method)(infusion_url(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(("name", "method", "_status"), INFUSION_PAGES, ids=INFUSION_IDS)
def test_user_without_the_clinician_role_is_refused_infusion_pages(
    client, refused_user, infusion_url, name, method, _status
):
    client.force_login(refused_user)
    assert getattr(client, method)(infusion_url(name)).status_code == 403


@pytest.mark.parametrize(("name", "method", "status"), INFUSION_PAGES, ids=INFUSION_IDS)
def test_clinician_reaches_every_infusion_page(clinician_client, infusion_url, name, method, status):
    assert getattr(clinician_client, method)(infusion_url(name)).status_code == status
