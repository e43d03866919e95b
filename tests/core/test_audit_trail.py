"""Every read and change of PHI is in the audit trail, whatever the entry point; the auditor searches it on
a page, as CSV and over the API; a physician sees who accessed a patient."""

import csv
import io
import json
from datetime import date

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from api.urls import api
from core.models import AuditEvent
from infusions.models import Infusion
from patients.models import Diagnosis
from patients.services import intake_import
from screening.services import pdf_render, pdf_request, screening_run
from tests.api.conftest import ApiClient, bearer
from tests.conftest import EXAMPLES
from tests.defaults_snapshot import load_defaults_for_test

pytestmark = pytest.mark.django_db
DOC = json.loads((EXAMPLES / "deferred-bp-and-benzodiazepine.json").read_text())


@pytest.fixture
def record(clinician):
    load_defaults_for_test()
    patient, _ = intake_import(doc=DOC)
    Diagnosis.objects.create(patient=patient, icd10="F33.1", status="active", severity="moderate")
    screening = screening_run(patient=patient, requested_by=clinician, as_of=date(2026, 11, 20))
    pdf = pdf_request(screening=screening, user=clinician)
    pdf_render(pdf_id=pdf.pk)
    return patient, screening


@pytest.fixture
def auditor(make_user):
    return make_user("aud1", "Auditor")


def latest():
    return AuditEvent.objects.order_by("-seq").first()


# Every GET route of the patient and screening pages, with what reading it records. A new route under these
# namespaces without an entry here fails the walk below, so nothing that shows PHI is left unaudited.
PAGE_READS = {
    "patients:list": ("view", "patient_list"),
    "patients:detail": ("view", "patient"),
    "patients:edit": ("view", "patient"),
    "patients:section": ("view", "patient"),
    "patients:export": ("export", "patient"),
    "patients:history": ("view", "patient"),
    "patients:diagnosis_edit": ("view", "diagnosis"),
    "patients:medication_edit": ("view", "medicationentry"),
    "patients:measure_add": ("view", "patient"),
    "screening:report_list": ("view", "report_list"),
    "screening:detail": ("view", "screening"),
    "screening:pdf_download": ("download", "screening"),
    "interop:screening_fhir": ("export", "screening"),  # the report page's FHIR download
    "screening:impact": ("view", "impactpreview"),
    "screening:patient_screenings": ("view", "patient"),
    "screening:worklists": ("view", "worklist"),  # the home page's worklists name patients
    "infusions:start": ("view", "patient"),
    "infusions:detail": ("view", "patient"),
    "infusions:measure_add": ("view", "patient"),
}
# GET routes that send a file once it is ready (a redirect before): their reads are checked with the file.
FILE_READS = {
    "infusions:sheet_download": "the day-of sheet PDF, audited as ('download', 'infusion') by infusions/sheet_views.py",
}
# GET routes that show no patient data (or only answer POSTs): not audited as reads.
NOT_PHI = {
    "patients:create",  # an empty form
    "patients:formulary_suggest",  # formulary names only
    "screening:pdf_status",  # a status badge, polled every 2 s
    "screening:impact_start",
    "infusions:sheet_status",  # the day-of sheet's status badge, polled
}


def routes(namespace):
    def walk(patterns, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, f"{p.namespace}:" if p.namespace else prefix)
            elif isinstance(p, URLPattern) and p.name and prefix == f"{namespace}:":
                yield prefix + p.name

    return set(walk(get_resolver().url_patterns, ""))


# The API's GET operations, the same way: each either audited (checked below) or showing no patient data.
API_READS = {
    "api-v1:screening_read": "/screenings/{s}",
    "api-v1:intake_read": "/patients/{p}/intake",
    "api-v1:measure_list": "/patients/{p}/measures",
    "api-v1:infusion_list": "/patients/{p}/infusions",
    "api-v1:infusion_read": "/infusions/{i}",
    "api-v1:pdf_download": "/screenings/{s}/pdf/download",
    "api-v1:screening_export": "/screenings/{s}/fhir",
    "api-v1:impact_read": "/rulesets/{r}/impact",
    "api-v1:audit_list": "/audit-events",
}
API_NOT_PHI = {
    "api-v1:openapi-json",
    "api-v1:openapi-view",
    "api-v1:api-root",
    "api-v1:pdf_read",  # the PDF's status, no content
    "api-v1:cds_discovery",  # CDS Hooks discovery: the services, no patient data
    "api-v1:codesystem_read",  # the product's FHIR CodeSystems: rule codes, verdicts, answers
    "api-v1:questionnaire_read",  # the product's FHIR Questionnaires
}


def test_every_api_read_is_classified():
    """Every GET operation of the schema (a new one included) is audited or listed as showing no PHI."""
    operations = [
        ops["get"]["operationId"] for ops in api.get_openapi_schema()["paths"].values() if "get" in ops
    ]
    names = {
        "api-v1:" + operation.rsplit("_", 2)[-2] + "_" + operation.rsplit("_", 1)[-1]
        for operation in operations
    }
    assert len(names) == len(operations) >= 6
    assert names - set(API_READS) - API_NOT_PHI == set()


def test_every_patient_and_screening_route_is_classified():
    named = routes("patients") | routes("screening") | routes("infusions") | routes("interop")
    post_only = {
        n
        for n in named
        if any(
            w in n for w in ("_add", "_delete", "_remove", "reconcile", "screen_now", "override", "cosign")
        )
        or n in {"screening:suggest", "screening:sign", "screening:pdf_request"}
        or n
        in {
            *(f"infusions:{step}" for step in ("check", "authorize", "monitor", "discharge", "sign")),
            "infusions:sheet_request",
        }
    }
    assert named - post_only - set(PAGE_READS) - NOT_PHI - set(FILE_READS) == set()


def infusion_of(patient, screening) -> Infusion:
    """An infusion record to read (made directly: the screening of `record` is not signed cleared)."""
    return Infusion.objects.get_or_create(
        patient=patient,
        screening=screening,
        defaults={"infusion_on": date(2026, 11, 20), "created_by": screening.requested_by},
    )[0]


def args_for(name, patient, screening):
    dx = patient.diagnoses.first()
    if name.startswith("infusions:"):
        infusion = infusion_of(patient, screening)
        return {
            "infusions:start": [patient.pk],
            "infusions:detail": [infusion.pk],
            "infusions:measure_add": [infusion.pk, "phq9"],
        }[name]
    return {
        "patients:list": [],
        "patients:detail": [patient.pk],
        "patients:edit": [patient.pk],
        "patients:section": [patient.pk, "psychiatric"],
        "patients:export": [patient.pk],
        "patients:history": [patient.pk],
        "patients:diagnosis_edit": [patient.pk, dx.pk],
        "patients:medication_edit": [patient.pk, patient.medications.first().pk],
        "patients:measure_add": [patient.pk, "phq9"],
        "screening:report_list": [],
        "screening:detail": [screening.pk],
        "screening:pdf_download": [screening.pk],
        "interop:screening_fhir": [screening.pk],
        "screening:impact": [screening.ruleset_id],
        "screening:patient_screenings": [patient.pk],
        "screening:worklists": [],
    }[name]


@pytest.mark.parametrize("name", sorted(PAGE_READS))
def test_each_phi_page_read_is_recorded_with_who_and_which_patient(
    name, record, physician, rules_admin, client
):
    patient, screening = record
    user = rules_admin if name == "screening:impact" else physician
    client.force_login(user)
    response = client.get(
        reverse(name, args=args_for(name, patient, screening)), HTTP_USER_AGENT="pytest-agent"
    )
    assert response.status_code == 200, (name, response.status_code)
    event = latest()
    action, object_type = PAGE_READS[name]
    assert (event.action, event.object_type, event.user_id) == (action, object_type, user.pk)
    assert event.user_agent == "pytest-agent" and event.ip == "127.0.0.1"
    if object_type in ("patient", "screening", "diagnosis", "medicationentry"):
        assert event.patient_id == patient.pk


API_EXPECTED = {
    "api-v1:screening_read": ("view", "physician", True),
    "api-v1:intake_read": ("export", "physician", True),
    "api-v1:measure_list": ("view", "physician", True),
    "api-v1:infusion_list": ("view", "physician", True),
    "api-v1:infusion_read": ("view", "physician", True),
    "api-v1:pdf_download": ("download", "physician", True),
    "api-v1:screening_export": ("export", "physician", True),
    "api-v1:impact_read": ("view", "rules_admin", False),
    "api-v1:audit_list": ("view", "auditor", False),
}


@pytest.mark.parametrize("name", sorted(API_READS))
def test_each_api_read_is_recorded(name, record, physician, rules_admin, auditor, client):
    patient, screening = record
    infusion = Infusion.objects.create(
        patient=patient, screening=screening, infusion_on=screening.assessed_on, created_by=physician
    )
    action, role, names_patient = API_EXPECTED[name]
    user = {"physician": physician, "rules_admin": rules_admin, "auditor": auditor}[role]
    api = ApiClient(client, bearer(user))
    response = api.get(
        API_READS[name].format(s=screening.pk, p=patient.pk, r=screening.ruleset_id, i=infusion.pk)
    )
    assert response.status_code == 200
    event = latest()
    assert (event.action, event.user_id) == (action, user.pk)
    assert event.patient_id == (patient.pk if names_patient else None)


def test_changes_record_the_field_names_never_the_values(record, physician, client):
    patient, _ = record
    client.force_login(physician)
    before = AuditEvent.objects.count()
    page = client.get(reverse("patients:edit", args=[patient.pk])).content.decode()
    version = page.split('name="version" value="')[1].split('"')[0]
    form = {
        "mrn": patient.mrn,
        "given_name": "Renamed",
        "family_name": patient.family_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "sex_at_birth": patient.sex_at_birth,
        "pregnancy": patient.pregnancy,
        "weight_kg": patient.weight_kg,
        "height_cm": patient.height_cm or "",
        "version": version,
    }
    client.post(reverse("patients:edit", args=[patient.pk]), form)
    update = AuditEvent.objects.filter(seq__gt=before, action="update").get()
    assert (
        update.fields == ["given_name"] and update.patient_id == patient.pk and update.user_id == physician.pk
    )
    assert "Renamed" not in json.dumps([update.detail, update.fields])


def test_screening_and_decisions_are_recorded(record):
    _, screening = record
    actions = set(AuditEvent.objects.filter(patient_id=screening.patient_id).values_list("action", flat=True))
    assert {"create", "screen", "export"} <= actions


def test_the_auditor_filters_pages_and_exports_csv(record, physician, auditor, client):
    patient, _ = record
    client.force_login(physician)
    client.get(reverse("patients:detail", args=[patient.pk]))
    client.force_login(auditor)
    page = client.get(reverse("audit_list"), {"patient_id": patient.pk, "action": "view"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "doc1" in text and patient.mrn not in text and patient.family_name not in text
    response = client.get(reverse("audit_list"), {"patient_id": patient.pk, "format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["seq", "at", "user_id"] and len(rows) > 2
    assert all(row[7] == str(patient.pk) for row in rows[1:])


def test_bad_filters_are_a_400_with_the_message(auditor, client):
    client.force_login(auditor)
    response = client.get(reverse("audit_list"), {"date_from": "2026-12-02", "date_to": "2026-01-01"})
    assert response.status_code == 400 and "end date is before the start date" in response.content.decode()
    assert client.get(reverse("audit_list"), {"patient_id": "x\x00"}).status_code == 400


def test_only_auditors_read_the_trail(physician, clinician_client, client):
    assert clinician_client.get(reverse("audit_list")).status_code == 403
    client.force_login(physician)
    assert client.get(reverse("audit_list")).status_code == 403


def test_the_api_lists_events_for_auditors_only(record, auditor, physician, client):
    patient, _ = record
    ok = ApiClient(client, bearer(auditor)).get("/audit-events", {"patient_id": patient.pk, "limit": 5})
    assert ok.status_code == 200
    body = ok.json()
    assert body["count"] >= 1 and len(body["events"]) <= 5
    assert set(body["events"][0]) == {
        "seq",
        "at",
        "user",
        "user_id",
        "action",
        "object_type",
        "object_id",
        "patient_id",
    }
    assert ApiClient(client, bearer(physician)).get("/audit-events").status_code == 403
    assert ApiClient(client, bearer(auditor)).get("/audit-events", {"action": "peek"}).status_code == 400


def test_a_physician_sees_who_accessed_the_patient_and_a_clinician_does_not(
    record, physician, clinician, client
):
    patient, _ = record
    client.force_login(clinician)
    assert (
        'data-testid="accesses"'
        not in client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    )
    client.force_login(physician)
    page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert 'data-testid="accesses"' in page and "clin" in page


def test_the_home_worklists_name_patients_so_showing_them_is_recorded(record, clinician_client, clinician):
    intake_import(doc=json.loads((EXAMPLES / "eligible.json").read_text()))  # never screened: a row
    clinician_client.get(reverse("screening:worklists"), headers={"HX-Request": "true"})
    event = latest()
    assert (event.action, event.object_type, event.user_id) == ("view", "worklist", clinician.pk)


def test_screening_a_document_through_the_api_is_recorded(record, clinician, client):
    response = ApiClient(client, bearer(clinician)).post("/screen", DOC)
    assert response.status_code == 200
    assert (latest().action, latest().object_type) == ("screen", "intake_document")


def test_the_auditor_s_page_lists_what_it_counts_though_it_records_itself(auditor, client):
    client.force_login(auditor)
    before = set(AuditEvent.objects.values_list("seq", flat=True))
    page = client.get(reverse("audit_list")).context["page_obj"]
    listed = {event.seq for event in page.object_list}
    assert listed == before and page.paginator.count == len(before)


def test_the_auditor_s_home_page_leads_to_the_trail(auditor, client):
    client.force_login(auditor)
    page = client.get(reverse("home")).content.decode()
    assert "Open the audit trail" in page and "no role yet" not in page
