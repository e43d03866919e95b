"""Every operation needs the role its web page needs (core.roles): EDIT_RECORDS (clinicians and physicians)
for intake, measures, screening, suggesting an override and recording infusions; DECIDE (physicians only) for overrides,
co-signatures, sign-off and authorizing an infusion's dose; READ_REPORTS (clinicians, physicians and report staff) to read a screening and
export its PDF. A wrong role is 403 {"error"}, whatever ids it names."""

from datetime import date

import pytest

from api.auth import FORBIDDEN
from infusions.models import Infusion
from infusions.services import infusion_start
from patients.models import Measure, Patient
from patients.services import intake_import, measure_record
from screening.models import FindingOverride, OverrideSuggestion, ReportPdf, Screening, SignOff
from screening.review import screening_sign
from screening.services import screening_run
from tests.interop.fhir_builders import ehr_bundle_with_the_products_mrn

from .conftest import AS_OF, example

pytestmark = pytest.mark.django_db

OPERATIONS = {
    "store an intake": ("post", "/intakes", lambda: example("eligible"), 201),
    "import a FHIR Bundle": ("post", "/fhir/Bundle", ehr_bundle_with_the_products_mrn, 201),
    "read a patient's intake": ("get", "/patients/{patient}/intake", None, 200),
    "read a patient's measures": ("get", "/patients/{patient}/measures", None, 200),
    "record a measure": (
        "post",
        "/patients/{patient}/measures",
        lambda: {"instrument": "gad7", "administered_on": "2026-11-20", "answers": [1, 1, 0, 0, 2, 1, 0]},
        201,
    ),
    "remove a measure": ("delete", "/patients/{measured}/measures/{measure}", None, 204),
    "screen a document": ("post", "/screen", lambda: example("eligible"), 200),
    "create a screening": ("post", "/patients/{patient}/screenings", None, 201),
    "read a screening": ("get", "/screenings/{screening}", None, 200),
    "suggest an override": (
        "post",
        "/screenings/{screening}/suggestions",
        lambda: {"rule": "BP-STAGE2", "note": "Repeat BP 132/84 after rest?"},
        201,
    ),
    "override a finding": (
        "post",
        "/screenings/{screening}/overrides",
        lambda: {"rule": "BP-STAGE2", "reason": "Repeat BP 132/84 after rest"},
        201,
    ),
    "co-sign an override": ("post", "/screenings/{avm_screening}/overrides/{override}/cosign", None, 201),
    "sign a screening": ("post", "/screenings/{screening}/signoff", lambda: {"decision": "not_cleared"}, 201),
    "request the PDF": ("post", "/screenings/{screening}/pdf", None, 202),
    "poll the PDF": ("get", "/screenings/{screening}/pdf", None, 200),
    "download the PDF": ("get", "/screenings/{screening}/pdf/download", None, 409),  # not requested yet
    "export the screening as FHIR": ("get", "/screenings/{screening}/fhir", None, 200),
    "read a FHIR CodeSystem": ("get", "/fhir/CodeSystem/rule-code", None, 200),
    "read a FHIR Questionnaire": ("get", "/fhir/Questionnaire/ketamine-intake-1", None, 200),
    "read a patient's infusions": ("get", "/patients/{infused}/infusions", None, 200),
    "start an infusion": ("post", "/patients/{infused}/infusions", None, 409),  # one is open already
    "read an infusion": ("get", "/infusions/{infusion}", None, 200),
    "check an infusion": ("post", "/infusions/{infusion}/check", lambda: {"weight_kg": 74}, 200),
    "add a day-of measure": (
        "post",
        "/infusions/{infusion}/measures",
        lambda: {"instrument": "phq9", "administered_on": "2026-11-20", "answers": [0] * 9},
        200,
    ),
    "authorize a dose": (
        "post",
        "/infusions/{infusion}/authorize",
        lambda: {"dose_mg": 50},
        409,
    ),  # unchecked
    "record the monitoring": ("post", "/infusions/{infusion}/monitor", None, 409),  # not authorized
    "record the discharge": ("post", "/infusions/{infusion}/discharge", None, 409),  # not given
    "sign an infusion": ("post", "/infusions/{infusion}/sign", lambda: {"hold_reason": "Not today"}, 200),
}
INFUSION_OPERATIONS = list(OPERATIONS)[list(OPERATIONS).index("read a patient's infusions") :]
PHYSICIAN_ONLY = ["override a finding", "co-sign an override", "sign a screening", "authorize a dose"]
CLINICAL_STAFF_ONLY = [
    "store an intake",
    "import a FHIR Bundle",
    "read a patient's intake",
    "read a patient's measures",
    "record a measure",
    "remove a measure",
    "screen a document",
    "create a screening",
    "suggest an override",
    *[o for o in INFUSION_OPERATIONS if o not in PHYSICIAN_ONLY],
    *PHYSICIAN_ONLY,
]
REPORT_READERS = [
    "read a screening",
    "request the PDF",
    "poll the PDF",
    "download the PDF",
    "export the screening as FHIR",
    "read a FHIR CodeSystem",
    "read a FHIR Questionnaire",
]


def infused_patient(clinician, physician):
    """A third patient, screened eligible and signed cleared, with an infusion open (at its check)."""
    doc = example("eligible")
    doc["patient"]["mrn"] = "KT-INF-1"
    patient, _ = intake_import(doc=doc)
    screening = screening_run(patient=patient, requested_by=clinician, as_of=AS_OF)
    screening_sign(screening=screening, user=physician, decision="cleared")
    return patient, infusion_start(patient=patient, user=clinician)


@pytest.fixture
def ids(deferred_screening, avm_override, import_example, clinician, physician, on_assessment_day):
    """A patient and their screening, a contraindication override (by `physician2`) that `physician` may
    co-sign, a measure of another patient (whose screenings it would otherwise make outdated), and a third
    patient's open infusion."""
    measured = import_example("eligible")
    measure = measure_record(
        patient=measured, instrument="phq9", administered_on=date(2026, 11, 20), answers=[0] * 9
    )
    infused, infusion = infused_patient(clinician, physician)
    return {
        "infused": infused.pk,
        "infusion": infusion.pk,
        "patient": deferred_screening.patient_id,
        "screening": deferred_screening.pk,
        "avm_screening": avm_override.screening_id,
        "override": avm_override.pk,
        "measured": measured.pk,
        "measure": measure.pk,
    }


def request(api, operation, ids):
    method, path, body, _ = OPERATIONS[operation]
    if method == "get":
        return api.get(path.format(**ids))
    if method == "delete":
        return api.delete(path.format(**ids))
    return api.post(path.format(**ids), body() if body else None)


@pytest.fixture
def stored():
    """What the database holds: a refused call must not change it."""
    return lambda: [
        model.objects.count()
        for model in (
            Patient,
            Measure,
            Screening,
            FindingOverride,
            OverrideSuggestion,
            SignOff,
            ReportPdf,
            Infusion,
            Infusion.history.model,
        )
    ]


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_a_physician_may_do_everything(physician_api, ids, operation):
    response = request(physician_api, operation, ids)
    assert response.status_code == OPERATIONS[operation][3], response.content


@pytest.mark.parametrize("operation", [o for o in OPERATIONS if o not in PHYSICIAN_ONLY])
def test_a_clinician_may_do_everything_but_decide(clinician_api, ids, operation):
    response = request(clinician_api, operation, ids)
    assert response.status_code == OPERATIONS[operation][3], response.content


@pytest.mark.parametrize("operation", PHYSICIAN_ONLY)
def test_a_clinician_may_not_do_what_only_physicians_do(clinician_api, ids, operation):
    response = request(clinician_api, operation, ids)
    assert response.status_code == 403
    assert response.json() == {"error": FORBIDDEN}


@pytest.mark.parametrize("operation", PHYSICIAN_ONLY)
def test_a_clinicians_refused_calls_change_nothing(clinician_api, ids, stored, operation):
    before = stored()
    request(clinician_api, operation, ids)
    assert stored() == before


@pytest.mark.parametrize("operation", REPORT_READERS)
def test_report_staff_may_read_screenings_and_export_pdfs(staff_api, ids, operation):
    response = request(staff_api, operation, ids)
    assert response.status_code == OPERATIONS[operation][3], response.content


@pytest.mark.parametrize("operation", CLINICAL_STAFF_ONLY)
def test_report_staff_may_not_do_what_only_clinical_staff_do(staff_api, ids, operation):
    response = request(staff_api, operation, ids)
    assert response.status_code == 403
    assert response.json() == {"error": FORBIDDEN}


@pytest.mark.parametrize("operation", CLINICAL_STAFF_ONLY)
def test_report_staff_refused_change_nothing(staff_api, ids, stored, operation):
    before = stored()
    request(staff_api, operation, ids)
    assert stored() == before


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_a_rules_admin_may_do_nothing_here(admin_api, ids, operation):
    response = request(admin_api, operation, ids)
    assert response.status_code == 403
    assert response.json() == {"error": FORBIDDEN}


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_a_user_without_a_role_may_do_nothing(api_as, make_user, ids, operation):
    response = request(api_as(make_user("nobody")), operation, ids)
    assert response.status_code == 403
    assert response.json() == {"error": FORBIDDEN}


@pytest.mark.parametrize(
    "operation",
    [
        "read a patient's intake",
        "read a patient's measures",
        "remove a measure",
        "read a screening",
        "poll the PDF",
        "export the screening as FHIR",
        "read a patient's infusions",
        "read an infusion",
        "sign an infusion",
    ],
)
def test_a_wrong_role_is_403_even_for_an_id_that_does_not_exist(admin_api, operation):
    missing = {
        "patient": 999,
        "screening": 999,
        "avm_screening": 999,
        "override": 999,
        "measured": 999,
        "measure": 999,
        "infused": 999,
        "infusion": 999,
    }
    assert request(admin_api, operation, missing).status_code == 403
