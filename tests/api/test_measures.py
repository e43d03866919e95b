"""GET, POST /api/v1/patients/{id}/measures and DELETE /api/v1/patients/{id}/measures/{measure_id} (issue 18):
PHQ-9, GAD-7 and C-SSRS screener administrations, each read back with the score computed from its answers;
bad input is rejected whole, every problem by its path; the intake documents carry the same measures."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from api.auth import FORBIDDEN
from core.models import AuditEvent
from patients.models import Measure
from patients.services import measure_record
from screening.intake import validate_intake

from .conftest import API, AS_OF, example

pytestmark = pytest.mark.django_db

PHQ9_14 = [1, 2, 1, 2, 2, 1, 2, 2, 1]  # 14: moderate; item 9 is 1
GAD7_15 = [3, 3, 3, 3, 3, 0, 0]  # 15: severe
CSSRS_HIGH = {  # thoughts with intent; no behaviour, so its follow-up is not asked
    "wish_to_be_dead": True,
    "suicidal_thoughts": True,
    "thoughts_with_method": False,
    "intent": True,
    "intent_with_plan": False,
    "behavior_ever": False,
}
CSSRS_NONE = {"wish_to_be_dead": False, "suicidal_thoughts": False, "behavior_ever": False}


def body(instrument="phq9", administered_on="2026-11-20", answers=None, **extra) -> dict:
    return {
        "instrument": instrument,
        "administered_on": administered_on,
        "answers": PHQ9_14 if answers is None else answers,
        **extra,
    }


@pytest.fixture
def patient(import_example):
    return import_example("eligible")


@pytest.fixture
def other_patient(import_example):
    return import_example("contraindicated-avm")


@pytest.fixture
def recorded(patient, clinician):
    """recorded(instrument, answers, day): a measure of `patient` entered by the clinician."""

    def record(instrument="phq9", answers=None, day=AS_OF):
        return measure_record(
            patient=patient,
            instrument=instrument,
            administered_on=day,
            answers=PHQ9_14 if answers is None else answers,
            user=clinician,
        )

    return record


def measures_path(patient) -> str:
    return f"/patients/{patient.pk}/measures"


# ---------------------------------------------------------------------------------------------- recording


def test_a_phq9_is_recorded_and_returned_with_its_computed_score(clinician_api, clinician, patient):
    response = clinician_api.post(measures_path(patient), body())
    assert response.status_code == 201, response.content
    measure = Measure.objects.get()
    out = response.json()
    # written to the millisecond
    assert abs(datetime.fromisoformat(out.pop("created_at")) - measure.created_at) < timedelta(milliseconds=1)
    assert out == {
        "id": measure.pk,
        "instrument": "phq9",
        "instrument_name": "PHQ-9",
        "administered_on": "2026-11-20",
        "answers": PHQ9_14,
        "entered_by": "clin",
        "score": {
            "total": 14,
            "band": "moderate",
            "item9": 1,
            "imminent": None,
            "summary": "PHQ-9 14 (moderate); item 9: 1",
        },
    }
    assert (measure.patient, measure.entered_by, measure.answers) == (patient, clinician, PHQ9_14)


def test_a_gad7_is_scored_without_an_item_9(clinician_api, patient):
    out = clinician_api.post(measures_path(patient), body("gad7", answers=GAD7_15)).json()
    assert (out["instrument_name"], out["score"]) == (
        "GAD-7",
        {"total": 15, "band": "severe", "item9": None, "imminent": None, "summary": "GAD-7 15 (severe)"},
    )


def test_a_cssrs_screener_gives_a_risk_level_and_every_question_back(clinician_api, patient):
    response = clinician_api.post(measures_path(patient), body("cssrs_screener", answers=CSSRS_HIGH))
    assert response.status_code == 201, response.content
    out = response.json()
    assert out["answers"] == {**CSSRS_HIGH, "behavior_past_3_months": None}  # not asked: null
    assert out["score"] == {
        "total": None,
        "band": "high",
        "item9": None,
        "imminent": True,
        "summary": "C-SSRS screener: high risk (intent)",
    }


def test_a_cssrs_screener_answered_no_throughout_is_no_risk(clinician_api, patient):
    out = clinician_api.post(measures_path(patient), body("cssrs_screener", answers=CSSRS_NONE)).json()
    assert (out["score"]["band"], out["score"]["imminent"]) == ("none", False)


def test_a_measure_of_today_is_accepted(clinician_api, patient):
    today = timezone.localdate().isoformat()
    assert clinician_api.post(measures_path(patient), body(administered_on=today)).status_code == 201


def test_a_physician_records_as_themself(physician_api, patient):
    assert physician_api.post(measures_path(patient), body()).json()["entered_by"] == "doc1"


# ---------------------------------------------------------------------------------------------- reading


def test_the_list_gives_each_measure_with_its_score_most_recent_first(clinician_api, patient, recorded):
    phq9 = recorded("phq9", PHQ9_14, AS_OF - timedelta(days=7))
    cssrs = recorded("cssrs_screener", CSSRS_NONE, AS_OF)
    response = clinician_api.get(measures_path(patient))
    assert response.status_code == 200
    page = response.json()
    assert (page["count"], page["limit"], page["offset"]) == (2, 100, 0)
    assert [m["id"] for m in page["measures"]] == [cssrs.pk, phq9.pk]
    newest, oldest = page["measures"]
    assert (newest["instrument"], newest["administered_on"], newest["score"]["summary"]) == (
        "cssrs_screener",
        "2026-11-20",
        "C-SSRS screener: no risk",
    )
    assert (oldest["answers"], oldest["entered_by"], oldest["score"]["band"], oldest["score"]["item9"]) == (
        PHQ9_14,
        "clin",
        "moderate",
        1,
    )


def test_the_list_is_paginated(clinician_api, patient, recorded):
    made = [recorded("phq9", [n % 4] * 9, AS_OF - timedelta(days=n)) for n in range(3)]
    page = clinician_api.get(measures_path(patient), {"limit": 1, "offset": 1}).json()
    assert (page["count"], page["limit"], page["offset"]) == (3, 1, 1)
    assert [m["id"] for m in page["measures"]] == [made[1].pk]


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 501}, {"offset": -1}])
def test_a_page_out_of_range_is_400(clinician_api, patient, query):
    response = clinician_api.get(measures_path(patient), query)
    assert response.status_code == 400
    assert [e["path"] for e in response.json()["errors"]] == list(query)


def test_a_patient_without_measures_has_an_empty_list(clinician_api, patient):
    assert clinician_api.get(measures_path(patient)).json() == {
        "count": 0,
        "limit": 100,
        "offset": 0,
        "measures": [],
    }


def test_only_the_patients_own_measures_are_listed(clinician_api, patient, other_patient, recorded):
    recorded()
    assert clinician_api.get(measures_path(other_patient)).json()["count"] == 0


def test_a_measure_with_no_author_reads_entered_by_null(clinician_api, patient):
    # as one recorded by a script without a user (users named in the history are never deleted: they are
    # deactivated, and PostgreSQL refuses the deletion)
    measure_record(patient=patient, instrument="phq9", administered_on=AS_OF, answers=PHQ9_14, user=None)
    assert clinician_api.get(measures_path(patient)).json()["measures"][0]["entered_by"] is None


# ---------------------------------------------------------------------------------------------- removing


def test_a_measure_is_removed_and_its_history_kept(clinician_api, patient, recorded):
    measure = recorded()
    response = clinician_api.delete(f"{measures_path(patient)}/{measure.pk}")
    assert response.status_code == 204
    assert response.content == b""
    assert not Measure.objects.exists()
    assert clinician_api.get(measures_path(patient)).json()["count"] == 0
    assert [h.history_type for h in Measure.history.filter(id=measure.pk).order_by("history_id")] == [
        "+",
        "-",
    ]


def test_a_measure_of_another_patient_is_not_found_and_kept(clinician_api, patient, other_patient, recorded):
    measure = recorded()
    response = clinician_api.delete(f"{measures_path(other_patient)}/{measure.pk}")
    assert response.status_code == 404
    assert set(response.json()) == {"error"}
    assert Measure.objects.filter(pk=measure.pk).exists()


def test_an_unknown_measure_is_404(clinician_api, patient):
    assert clinician_api.delete(f"{measures_path(patient)}/999999").status_code == 404


# ---------------------------------------------------------------------------------------------- 404, 400 ids


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/patients/999999/measures"),
        ("post", "/patients/999999/measures"),
        ("delete", "/patients/999999/measures/1"),
    ],
)
def test_an_unknown_patient_is_404(clinician_api, defaults, method, path):
    api_call = {"get": clinician_api.get, "delete": clinician_api.delete}.get(method)
    response = api_call(path) if api_call else clinician_api.post(path, body())
    assert response.status_code == 404
    assert response.json() == {"error": "Not found."}
    assert not Measure.objects.exists()


@pytest.mark.parametrize(
    ("path", "where"),
    [
        ("/patients/0/measures", "patient_id"),
        (f"/patients/{2**63}/measures", "patient_id"),
        ("/patients/1/measures/0", "measure_id"),
        ("/patients/1/measures/abc", "measure_id"),
    ],
)
def test_an_id_outside_the_database_range_is_400(clinician_api, defaults, path, where):
    response = clinician_api.get(path) if path.endswith("measures") else clinician_api.delete(path)
    assert response.status_code == 400
    assert [e["path"] for e in response.json()["errors"]] == [where]


# ---------------------------------------------------------------------------------------------- refused input

TOMORROW = "tomorrow"  # replaced by the day after today when the test runs


REFUSED = {
    "eight answers to a PHQ-9": (body(answers=PHQ9_14[:8]), [("answers", "expected 9 answers, got 8")]),
    "an item out of range": (
        body(answers=[1, 2, 1, 4, 2, 1, 2, 2, 1]),
        [("answers[3]", "expected 0 to 3, got 4")],
    ),
    "an item that is not a whole number": (
        body("gad7", answers=[0, "1", 0, 0, 0, 0, True]),
        [
            ("answers[1]", "expected a whole number 0 to 3, got '1'"),
            ("answers[6]", "expected a whole number 0 to 3, got true"),
        ],
    ),
    "a list of answers to the C-SSRS": (
        body("cssrs_screener", answers=[0, 0, 0]),
        [("answers", "expected an object of yes/no answers, got list")],
    ),
    "an object of answers to the PHQ-9": (
        body(answers={"a": 1}),
        [("answers", "expected a list of 9 answers, got dict")],
    ),
    "a C-SSRS follow-up answered after a no": (
        body("cssrs_screener", answers={**CSSRS_NONE, "intent": True}),
        [("answers.intent", "not asked when Q2 is no: leave it unanswered")],
    ),
    "a C-SSRS follow-up missing after a yes": (
        body("cssrs_screener", answers={**CSSRS_NONE, "behavior_ever": True}),
        [("answers.behavior_past_3_months", "required when Q6 is yes")],
    ),
    "a C-SSRS question always asked, missing": (
        body("cssrs_screener", answers={"suicidal_thoughts": False, "behavior_ever": False}),
        [("answers.wish_to_be_dead", "required: this question is always asked")],
    ),
    "an unknown C-SSRS question": (
        body("cssrs_screener", answers={**CSSRS_NONE, "plan": False}),
        [("answers.plan", "unknown question")],
    ),
    "a C-SSRS question named like a field of the body": (
        body("cssrs_screener", answers={**CSSRS_NONE, "administered_on": False}),
        [("answers.administered_on", "unknown question")],
    ),
    "a date in the future": (
        body(administered_on=TOMORROW),
        [("administered_on", "cannot be in the future")],
    ),
    "a date in the future and a wrong answer": (
        body(administered_on=TOMORROW, answers=[9] + PHQ9_14[1:]),
        [("administered_on", "cannot be in the future"), ("answers[0]", "expected 0 to 3, got 9")],
    ),
    "a date that is not one": (
        body(administered_on="20/11/2026"),
        [("administered_on", "'20/11/2026' is not a date (YYYY-MM-DD)")],
    ),
    "a date before 1900": (
        body(administered_on="1899-12-31"),
        [("administered_on", "1899-12-31 is outside 1900-01-01 to 2100-12-31")],
    ),
    "an unknown instrument": (
        body("phq10"),
        [("instrument", "'phq10' is not one of phq9, gad7, cssrs_screener")],
    ),
    "an instrument that is not text": (
        body(9),
        [("instrument", "9 is not one of phq9, gad7, cssrs_screener")],
    ),
    "a score sent with the answers": (body(score=14), [("score", "unknown field")]),
    "nothing": ({}, [("instrument", "required"), ("administered_on", "required"), ("answers", "required")]),
    "null answers": ({**body(), "answers": None}, [("answers", "required")]),
    "a bad date and bad answers at once": (
        body(administered_on="2026-02-30", answers=[0] * 8),
        [
            ("administered_on", "'2026-02-30' is not a date (YYYY-MM-DD)"),
            ("answers", "expected 9 answers, got 8"),
        ],
    ),
    "a list": ([body()], [("document", "must be a JSON object")]),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_bad_input_is_400_with_every_problem_by_path_and_nothing_stored(clinician_api, patient, case):
    doc, problems = REFUSED[case]
    if isinstance(doc, dict) and doc.get("administered_on") == TOMORROW:
        doc = {**doc, "administered_on": (timezone.localdate() + timedelta(days=1)).isoformat()}
    response = clinician_api.post(measures_path(patient), doc)
    assert response.status_code == 400, response.content
    assert response.json() == {"errors": [{"path": path, "message": message} for path, message in problems]}
    assert not Measure.objects.exists()


@pytest.mark.parametrize(
    ("raw", "message"),
    [("{", "not valid JSON"), ('{"answers": [1], "answers": [2]}', "appears more than once")],
)
def test_an_unreadable_body_is_400_at_its_path(clinician_api, patient, raw, message):
    response = clinician_api.post(measures_path(patient), body=raw)
    assert response.status_code == 400
    [problem] = response.json()["errors"]
    assert message in problem["message"]


# ---------------------------------------------------------------------------------------------- roles


@pytest.fixture
def operations(patient, recorded):
    measure = recorded()
    return {
        "list": ("get", measures_path(patient)),
        "record": ("post", measures_path(patient)),
        "remove": ("delete", f"{measures_path(patient)}/{measure.pk}"),
    }


def send(api, method, path):
    if method == "post":
        return api.post(path, body("gad7", answers=GAD7_15))
    return getattr(api, method)(path)


@pytest.mark.parametrize("caller", ["admin_api", "staff_api"])
@pytest.mark.parametrize("operation", ["list", "record", "remove"])
def test_a_rules_admin_or_report_staff_is_403_and_changes_nothing(request, operations, caller, operation):
    api = request.getfixturevalue(caller)
    before = list(Measure.objects.values_list("pk", flat=True))
    response = send(api, *operations[operation])
    assert response.status_code == 403
    assert response.json() == {"error": FORBIDDEN}
    assert list(Measure.objects.values_list("pk", flat=True)) == before


@pytest.mark.parametrize("operation", ["list", "record", "remove"])
def test_without_a_token_it_is_401_and_changes_nothing(client, operations, operation):
    method, path = operations[operation]
    before = Measure.objects.count()
    response = getattr(client, method)(API + path)
    assert response.status_code == 401
    assert set(response.json()) == {"error"}
    assert Measure.objects.count() == before


@pytest.mark.parametrize("operation", ["list", "record", "remove"])
def test_a_wrong_role_is_403_before_the_body_or_the_ids_are_looked_at(admin_api, defaults, operation):
    method, path = {"list": "get", "record": "post", "remove": "delete"}[operation], "/patients/999/measures"
    path += "/999" if operation == "remove" else ""
    response = (
        admin_api.post(path, ["not a measure"]) if method == "post" else getattr(admin_api, method)(path)
    )
    assert response.status_code == 403


# ---------------------------------------------------------------------------------------------- audit


def latest_event() -> AuditEvent:
    return AuditEvent.objects.order_by("-seq").first()


def test_reading_the_measures_is_audited_as_a_phi_read(clinician_api, clinician, patient, recorded):
    recorded()
    clinician_api.get(measures_path(patient))
    event = latest_event()
    assert (event.action, event.object_type, event.object_id, event.patient_id, event.user_id) == (
        "view",
        "patient",
        str(patient.pk),
        patient.pk,
        clinician.pk,
    )
    assert event.detail == "API measures"


def test_a_refused_read_is_not_audited_as_a_read(admin_api, patient):
    before = AuditEvent.objects.filter(action="view").count()
    admin_api.get(measures_path(patient))
    assert AuditEvent.objects.filter(action="view").count() == before


def test_recording_a_measure_is_audited_as_a_change(clinician_api, clinician, patient):
    measure_id = clinician_api.post(measures_path(patient), body()).json()["id"]
    assert AuditEvent.objects.filter(
        action="create",
        object_type="measure",
        object_id=str(measure_id),
        patient_id=patient.pk,
        user_id=clinician.pk,
    ).exists()


def test_removing_a_measure_is_audited_as_a_change(clinician_api, clinician, patient, recorded):
    measure = recorded()
    clinician_api.delete(f"{measures_path(patient)}/{measure.pk}")
    assert AuditEvent.objects.filter(
        action="delete",
        object_type="measure",
        object_id=str(measure.pk),
        patient_id=patient.pk,
        user_id=clinician.pk,
    ).exists()


# ---------------------------------------------------------------------------------------------- intake documents


def with_measures(measures) -> dict:
    return {**example("eligible"), "measures": measures}


DOCUMENT_MEASURES = [
    {"instrument": "phq9", "administered_on": "2026-11-13", "answers": PHQ9_14},
    {"instrument": "gad7", "administered_on": "2026-11-20", "answers": GAD7_15},
    {"instrument": "cssrs_screener", "administered_on": "2026-11-20", "answers": CSSRS_NONE},
]


def exported(api, patient_id) -> dict:
    return api.get(f"/patients/{patient_id}/intake", {"assessed_on": "2026-11-20"}).json()


def test_a_document_with_measures_is_exported_with_the_same_measures(clinician_api, defaults):
    stored = clinician_api.post("/intakes", with_measures(DOCUMENT_MEASURES))
    assert stored.status_code == 201, stored.content
    doc = exported(clinician_api, stored.json()["patient_id"])
    # as validated: the C-SSRS screener's unasked questions written out as null
    assert doc["measures"] == validate_intake(with_measures(DOCUMENT_MEASURES))["measures"]
    assert doc["measures"][2]["answers"] == {
        **CSSRS_NONE,
        "thoughts_with_method": None,
        "intent": None,
        "intent_with_plan": None,
        "behavior_past_3_months": None,
    }


def test_the_exported_document_imports_back_to_the_same_measures(clinician_api, defaults):
    patient_id = clinician_api.post("/intakes", with_measures(DOCUMENT_MEASURES)).json()["patient_id"]
    first = exported(clinician_api, patient_id)
    assert clinician_api.post("/intakes", first).json() == {
        "patient_id": patient_id,
        "mrn": "KT-0001",
        "created": False,
    }
    assert exported(clinician_api, patient_id)["measures"] == first["measures"]


def test_imported_measures_are_listed_with_their_scores(clinician_api, defaults):
    patient_id = clinician_api.post("/intakes", with_measures(DOCUMENT_MEASURES)).json()["patient_id"]
    page = clinician_api.get(f"/patients/{patient_id}/measures").json()
    assert page["count"] == 3
    assert {m["instrument"]: m["score"]["band"] for m in page["measures"]} == {
        "phq9": "moderate",
        "gad7": "severe",
        "cssrs_screener": "none",
    }
    assert {m["entered_by"] for m in page["measures"]} == {"clin"}


def test_a_document_without_measures_leaves_the_patients_measures_in_place(clinician_api, defaults):
    patient_id = clinician_api.post("/intakes", with_measures(DOCUMENT_MEASURES)).json()["patient_id"]
    kept = set(Measure.objects.values_list("pk", flat=True))
    assert clinician_api.post("/intakes", example("eligible")).status_code == 201
    assert set(Measure.objects.filter(patient_id=patient_id).values_list("pk", flat=True)) == kept
    assert len(exported(clinician_api, patient_id)["measures"]) == 3


def test_a_document_with_no_measures_removes_them(clinician_api, defaults):
    patient_id = clinician_api.post("/intakes", with_measures(DOCUMENT_MEASURES)).json()["patient_id"]
    assert clinician_api.post("/intakes", with_measures([])).status_code == 201
    assert not Measure.objects.filter(patient_id=patient_id).exists()
    assert "measures" not in exported(clinician_api, patient_id)  # exported as before measures existed


def test_a_document_replaces_the_measures_recorded_through_the_api(clinician_api, defaults):
    patient_id = clinician_api.post("/intakes", example("eligible")).json()["patient_id"]
    clinician_api.post(f"/patients/{patient_id}/measures", body("gad7", answers=GAD7_15))
    clinician_api.post("/intakes", with_measures(DOCUMENT_MEASURES[:1]))
    assert exported(clinician_api, patient_id)["measures"] == DOCUMENT_MEASURES[:1]


def test_a_record_without_measures_exports_without_the_key(clinician_api, defaults):
    patient_id = clinician_api.post("/intakes", example("eligible")).json()["patient_id"]
    assert "measures" not in exported(clinician_api, patient_id)


def test_a_document_with_bad_measures_is_rejected_whole_by_path(clinician_api, defaults):
    doc = with_measures(
        [
            {"instrument": "phq9", "administered_on": "2026-11-20", "answers": [1, 2, 1, 4, 2, 1, 2, 2, 1]},
            {
                "instrument": "cssrs_screener",
                "administered_on": "2026-11-20",
                "answers": {**CSSRS_NONE, "intent": True},
            },
            {"instrument": "gad7", "administered_on": "2026-11-21", "answers": GAD7_15},
        ]
    )
    response = clinician_api.post("/intakes", doc)
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {"path": "measures[0].answers[3]", "message": "expected 0 to 3, got 4"},
            {"path": "measures[1].answers.intent", "message": "not asked when Q2 is no: leave it unanswered"},
            {"path": "measures[2].administered_on", "message": "2026-11-21 is after assessed_on"},
        ]
    }
    assert not Measure.objects.exists()


def test_the_schema_describes_the_measure_body_and_the_intakes_measures(clinician_api):
    schema = clinician_api.get("/openapi.json").json()
    post = schema["paths"]["/api/v1/patients/{patient_id}/measures"]["post"]
    measure = post["requestBody"]["content"]["application/json"]["schema"]
    assert measure["title"] == "measure"
    assert measure["properties"]["instrument"]["enum"] == ["phq9", "gad7", "cssrs_screener"]
    intake = schema["paths"]["/api/v1/intakes"]["post"]["requestBody"]["content"]["application/json"][
        "schema"
    ]
    assert intake["properties"]["measures"]["items"] == measure
    assert set(post["responses"]) == {"201", "400", "401", "403", "404", "413"}
