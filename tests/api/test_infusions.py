"""The infusion operations of /api/v1/ (issue 18): a patient's series, and an infusion's day step by step
(start, check, day-of measures, authorization, monitoring, discharge, signature) through the services the
pages call. A body's shape is refused by path with nothing written (400); the record's state in the
services' words (409); only clinicians and physicians record, only a physician authorizes (403)."""

import json
from datetime import datetime

import pytest
from django.utils import timezone

from api.auth import FORBIDDEN
from core.models import AuditEvent
from core.roles import AUDITOR
from infusions.models import Infusion
from infusions.services import infusion_start
from patients.services import intake_import
from screening.services import screening_run
from tests.infusions.conftest import CSSRS_INTENT, PHQ9, cleared_patient

from .conftest import API, example

pytestmark = pytest.mark.django_db

CHECK = {
    "weight_kg": 74,
    "pre_systolic": 128,
    "pre_diastolic": 82,
    "pre_heart_rate": 72,
    "checklist_fasting": "yes",
    "checklist_escort_present": "yes",
    "checklist_consent_current": "yes",
    "checklist_pregnancy_test_negative": "yes",
}
ASKED = ["fasting", "escort_present", "consent_current", "pregnancy_test_negative"]


def at(hour: int, minute: int = 0) -> str:
    """A time on the infusion day (2026-11-20), with its UTC offset."""
    return timezone.make_aware(datetime(2026, 11, 20, hour, minute)).isoformat()


MONITOR = {
    "dose_given_mg": 50,
    "started_at": at(9),
    "at40_systolic": 138,
    "at40_diastolic": 88,
    "rass": -1,
    "dissociation_scale": "rating",
    "dissociation": 4,
    "adverse_events": "Mild nausea",
}
DISCHARGE = {
    "discharge_systolic": 124,
    "discharge_diastolic": 80,
    "discharged_at": at(10, 30),
    "escort_name": "J. Silva",
}
PHQ9_BODY = {"instrument": "phq9", "administered_on": "2026-11-20", "answers": PHQ9}


@pytest.fixture
def cleared(clinician, physician, on_assessment_day):
    return cleared_patient(clinician, physician)


@pytest.fixture
def started(cleared, clinician):
    return infusion_start(patient=cleared, user=clinician)


def path(infusion, step: str = "") -> str:
    return f"/infusions/{infusion.pk}" + (f"/{step}" if step else "")


def snapshot(infusion) -> tuple:
    """What a refused call must leave alone: the record's history and the number of records."""
    return Infusion.objects.count(), Infusion.history.filter(id=infusion.pk).count()


# ---------------------------------------------------------------------------------------------- the day


def test_the_whole_day_over_the_api(clinician_api, physician_api, cleared, clinician):
    response = clinician_api.post(f"/patients/{cleared.pk}/infusions")
    assert response.status_code == 201, response.content
    record = response.json()
    infusion = Infusion.objects.get()
    assert (record["id"], record["patient_id"], record["infusion_on"], record["stage"]) == (
        infusion.pk,
        cleared.pk,
        "2026-11-20",
        "check",
    )
    assert record["screening_id"] == infusion.screening_id
    assert record["created_by"] == "clin"
    assert [(i["key"], i["answer"]) for i in record["checklist"]] == [(key, None) for key in ASKED]
    assert record["decision"]["status"] == "incomplete"
    assert "today's weight" in record["decision"]["missing"]

    record = clinician_api.post(path(infusion, "measures"), PHQ9_BODY).json()
    assert [(m["instrument"], m["score"]["total"], m["score"]["band"]) for m in record["measures"]] == [
        ("phq9", 16, "moderately severe")
    ]

    response = clinician_api.post(path(infusion, "check"), CHECK)
    assert response.status_code == 200, response.content
    record = response.json()
    assert (record["weight_kg"], record["pre_systolic"], record["pre2_systolic"]) == (74.0, 128, None)
    assert [i["answer"] for i in record["checklist"]] == ["yes"] * 4
    assert record["checked_by"] == "clin"
    assert record["decision"] == {
        "status": "go",
        "text": "Go: the checks before dosing are met",
        "holds": [],
        "missing": [],
        "needs_physician": [],
        "dose_range_mg": [37.0, 74.0],
        "mean_bp": "128/82",
    }

    response = physician_api.post(path(infusion, "authorize"), {"dose_mg": 50})
    assert response.status_code == 200, response.content
    record = response.json()
    assert (record["stage"], record["authorized_by"], record["authorized_dose_mg"]) == (
        "authorized",
        "doc1",
        50,
    )
    assert record["recorded_decision"]["status"] == "go"

    record = clinician_api.post(path(infusion, "monitor"), MONITOR).json()
    assert (record["stage"], record["dose_given_mg"], record["rass"], record["dissociation_scale"]) == (
        "given",
        50.0,
        -1,
        "rating",
    )
    assert datetime.fromisoformat(record["started_at"]) == datetime.fromisoformat(at(9))

    record = clinician_api.post(path(infusion, "discharge"), DISCHARGE).json()
    assert (record["stage"], record["escort_name"], record["discharge_systolic"]) == (
        "discharged",
        "J. Silva",
        124,
    )

    response = clinician_api.post(path(infusion, "sign"))
    assert response.status_code == 200, response.content
    signed = response.json()
    assert (signed["stage"], signed["outcome"], signed["signed_by"], signed["signer_name"]) == (
        "signed",
        "given",
        "clin",
        clinician.get_full_name() or "clin",
    )
    assert [(step["stage"], step["by"]) for step in signed["history"]] == [
        ("check", "clin"),
        ("check", "clin"),
        ("check", "clin"),
        ("authorized", "doc1"),
        ("given", "clin"),
        ("discharged", "clin"),
        ("signed", "clin"),
    ]
    assert clinician_api.get(path(infusion)).json() == signed


def test_the_series_lists_each_infusion_and_the_response(clinician_api, started, clinician):
    clinician_api.post(path(started, "check"), {**CHECK, "pre_systolic": 170, "pre_diastolic": 95})
    clinician_api.post(path(started, "sign"))
    response = clinician_api.get(f"/patients/{started.patient_id}/infusions")
    assert response.status_code == 200
    page = response.json()
    assert page["count"] == 1
    [item] = page["infusions"]
    assert (item["id"], item["stage"], item["outcome"], item["decision_status"], item["dose_given_mg"]) == (
        started.pk,
        "signed",
        "held",
        "hold",
        None,
    )
    assert page["series"] == {
        "given": 0,
        "baseline": None,
        "latest": None,
        "responded": None,
        "reassess": False,
        "text": "0 infusions given; response cannot be judged (no baseline PHQ-9).",
    }


def test_an_open_infusion_is_listed_with_its_decision_now(clinician_api, started):
    [item] = clinician_api.get(f"/patients/{started.patient_id}/infusions").json()["infusions"]
    assert (item["stage"], item["decision_status"], item["signed_at"]) == ("check", "incomplete", None)


def test_a_held_infusion_is_signed_with_the_decisions_reasons(clinician_api, started):
    clinician_api.post(path(started, "check"), {**CHECK, "checklist_fasting": "no"})
    signed = clinician_api.post(path(started, "sign"), {"hold_reason": None}).json()
    assert (signed["outcome"], signed["hold_reason"]) == (
        "held",
        "Not confirmed: Fasting as the clinic's protocol requires.",
    )
    assert signed["decision"] == signed["recorded_decision"]
    assert signed["decision"]["status"] == "hold"


def test_a_day_of_measure_that_needs_the_physician_takes_a_reason(clinician_api, physician_api, started):
    clinician_api.post(path(started, "measures"), {**PHQ9_BODY, "answers": [*PHQ9[:8], 1]})
    record = clinician_api.post(path(started, "check"), CHECK).json()
    assert record["decision"]["status"] == "physician"
    refused = physician_api.post(path(started, "authorize"), {"dose_mg": 50})
    assert refused.status_code == 400
    assert [e["path"] for e in refused.json()["errors"]] == ["reason"]
    given = physician_api.post(path(started, "authorize"), {"dose_mg": 50, "reason": "Passive thought; plan"})
    assert (given.status_code, given.json()["go_reason"]) == (200, "Passive thought; plan")


def test_a_hold_is_409_to_the_physician_with_its_reasons(clinician_api, physician_api, started):
    clinician_api.post(
        path(started, "measures"), {**PHQ9_BODY, "instrument": "cssrs_screener", "answers": CSSRS_INTENT}
    )
    clinician_api.post(path(started, "check"), CHECK)
    before = snapshot(started)
    response = physician_api.post(path(started, "authorize"), {"dose_mg": 50})
    assert response.status_code == 409
    assert response.json()["error"].startswith("Hold: no infusion today. ")
    assert "MEAS-CSSRS-RISK" in response.json()["error"]
    assert snapshot(started) == before


# ---------------------------------------------------------------------------------------------- start refused


def test_no_infusion_without_a_current_screening_signed_cleared(clinician_api, cleared, clinician):
    screening_run(patient=cleared, requested_by=clinician)  # newer, not signed
    response = clinician_api.post(f"/patients/{cleared.pk}/infusions", {"infusion_on": "2026-11-20"})
    assert response.status_code == 409
    assert "is not signed: a physician signs it cleared before any infusion" in response.json()["error"]
    assert not Infusion.objects.exists()


def test_no_infusion_without_any_screening(clinician_api, defaults, on_assessment_day):
    patient, _ = intake_import(doc=example("eligible"))
    response = clinician_api.post(f"/patients/{patient.pk}/infusions")
    assert (response.status_code, response.json()["error"]) == (
        409,
        "The patient has no screening: screen the patient and have a physician sign it cleared.",
    )


def test_no_second_infusion_while_one_is_open(clinician_api, started):
    response = clinician_api.post(f"/patients/{started.patient_id}/infusions")
    assert response.status_code == 409
    assert "is not signed yet" in response.json()["error"]
    assert Infusion.objects.count() == 1


@pytest.mark.parametrize(
    ("infusion_on", "message"),
    [
        ("2026-11-19", "Choose today or a day up to 60 days ahead."),
        ("2027-01-20", "Choose today or a day up to 60 days ahead."),
        ("20/11/2026", "'20/11/2026' is not a date (YYYY-MM-DD)"),
        (20261120, "20261120 is not a date (YYYY-MM-DD)"),
    ],
)
def test_a_start_day_out_of_range_is_400_at_infusion_on(clinician_api, cleared, infusion_on, message):
    response = clinician_api.post(f"/patients/{cleared.pk}/infusions", {"infusion_on": infusion_on})
    assert response.status_code == 400
    assert response.json() == {"errors": [{"path": "infusion_on", "message": message}]}
    assert not Infusion.objects.exists()


def test_a_planned_day_is_kept(clinician_api, cleared):
    record = clinician_api.post(f"/patients/{cleared.pk}/infusions", {"infusion_on": "2026-11-27"}).json()
    assert record["infusion_on"] == "2026-11-27"
    assert any("This check is for 2026-11-27" in hold for hold in record["decision"]["holds"])


# ---------------------------------------------------------------------------------------------- steps out of turn


@pytest.mark.parametrize(
    ("step", "doc"),
    [("monitor", MONITOR), ("discharge", DISCHARGE)],
)
def test_a_step_out_of_turn_is_409(clinician_api, started, step, doc):
    before = snapshot(started)
    response = clinician_api.post(path(started, step), doc)
    assert (response.status_code, response.json()["error"]) == (
        409,
        "This step does not apply now: the infusion is at 'check'.",
    )
    assert snapshot(started) == before


def test_an_incomplete_check_is_not_authorized(physician_api, started):
    response = physician_api.post(path(started, "authorize"), {"dose_mg": 50})
    assert response.status_code == 409
    assert response.json()["error"].startswith("Not decided: the checks before dosing are incomplete.")


@pytest.fixture
def signed(clinician_api, started):
    clinician_api.post(path(started, "check"), {**CHECK, "checklist_fasting": "no"})
    assert clinician_api.post(path(started, "sign")).status_code == 200
    return Infusion.objects.get()


@pytest.mark.parametrize(
    ("step", "doc", "caller"),
    [
        ("check", CHECK, "clinician_api"),
        ("measures", PHQ9_BODY, "clinician_api"),
        ("authorize", {"dose_mg": 50}, "physician_api"),
        ("monitor", MONITOR, "clinician_api"),
        ("discharge", DISCHARGE, "clinician_api"),
        ("sign", {"hold_reason": "Again"}, "physician_api"),
    ],
)
def test_a_signed_record_refuses_every_step(request, signed, step, doc, caller):
    before = snapshot(signed)
    response = request.getfixturevalue(caller).post(path(signed, step), doc)
    assert (response.status_code, response.json()["error"]) == (
        409,
        "This infusion record is signed: nothing on it changes.",
    )
    assert snapshot(signed) == before


# ---------------------------------------------------------------------------------------------- bad bodies

BAD_BODIES = {
    "an unknown field": ("check", {**CHECK, "bmi": 27}, [("bmi", "unknown field")]),
    "a number as text": (
        "check",
        {**CHECK, "weight_kg": "74"},
        [("weight_kg", "must be a number, got '74'")],
    ),
    "a nested object": (
        "check",
        {**CHECK, "pre_systolic": {"value": 128}},
        [("pre_systolic", "must be a number, got {'value': 128}")],
    ),
    "true for a number": ("monitor", {**MONITOR, "rass": True}, [("rass", "must be a number, got True")]),
    "a huge number": (
        "check",
        {**CHECK, "weight_kg": 1e300},
        [("weight_kg", "Weight today: enter a value from 25 to 350.")],
    ),
    "a fraction of a mmHg": (
        "check",
        {**CHECK, "pre_systolic": 128.5},
        [("pre_systolic", "Before dosing systolic: enter a whole number.")],
    ),
    "one number of a reading": (
        "check",
        {**CHECK, "pre2_systolic": 130},
        [("pre2_diastolic", "Second reading: enter both numbers.")],
    ),
    "a checklist answer that is neither": (
        "check",
        {**CHECK, "checklist_fasting": "maybe"},
        [("checklist_fasting", "'maybe' is not one of yes, no")],
    ),
    "a checklist item the infusion does not ask": (
        "check",
        {**CHECK, "checklist_benzodiazepine_held": "yes"},
        [("checklist_benzodiazepine_held", "not asked on this infusion")],
    ),
    "a checklist item no rule set has": (
        "check",
        {**CHECK, "checklist_weather": "yes"},
        [("checklist_weather", "unknown field")],
    ),
    "a list": ("check", [CHECK], [("document", "must be a JSON object")]),
    "text": ("sign", "held", [("document", "must be a JSON object")]),
    "a reason that is not text": (
        "sign",
        {"hold_reason": ["BP"]},
        [("hold_reason", "must be text, got list")],
    ),
    "a measure of another day": (
        "measures",
        {**PHQ9_BODY, "administered_on": "2026-11-19"},
        [("administered_on", "A day-of measure is taken on 2026-11-20.")],
    ),
    "a measure with a bad answer": (
        "measures",
        {**PHQ9_BODY, "answers": [4, *PHQ9[1:]]},
        [("answers[0]", "expected 0 to 3, got 4")],
    ),
    "a measure without answers": ("measures", {**PHQ9_BODY, "answers": None}, [("answers", "required")]),
}


@pytest.mark.parametrize("case", list(BAD_BODIES))
def test_a_bad_body_is_400_by_path_and_nothing_is_written(clinician_api, started, case):
    step, doc, problems = BAD_BODIES[case]
    before = snapshot(started)
    response = clinician_api.post(path(started, step), doc)
    assert response.status_code == 400, response.content
    assert response.json() == {"errors": [{"path": p, "message": m} for p, m in problems]}
    assert snapshot(started) == before


@pytest.fixture
def checked(clinician_api, started):
    assert clinician_api.post(path(started, "check"), CHECK).status_code == 200
    return Infusion.objects.get()


@pytest.fixture
def authorized(physician_api, checked):
    assert physician_api.post(path(checked, "authorize"), {"dose_mg": 50}).status_code == 200
    return Infusion.objects.get()


LATER_BAD_BODIES = {
    "no dose": ("checked", "authorize", {"dose_mg": None}, [("dose_mg", "Enter the dose to give, in mg.")]),
    "a dose as text": (
        "checked",
        "authorize",
        {"dose_mg": "50"},
        [("dose_mg", "must be a number, got '50'")],
    ),
    "a dose outside today's range": (
        "checked",
        "authorize",
        {"dose_mg": 75},
        [("dose_mg", "Today's range is 37–74 mg (74 kg): enter a dose within it.")],
    ),
    "a reason that is a number": (
        "checked",
        "authorize",
        {"dose_mg": 50, "reason": 1},
        [("reason", "must be text, got int")],
    ),
    "more than was authorized": (
        "authorized",
        "monitor",
        {**MONITOR, "dose_given_mg": 50.1},
        [("dose_given_mg", "Dose given: enter a value from 0.1 to 50.0.")],
    ),
    "a time without its offset": (
        "authorized",
        "monitor",
        {**MONITOR, "started_at": "2026-11-20T09:00:00"},
        [("started_at", "'2026-11-20T09:00:00' needs a UTC offset, e.g. 2026-11-20T09:10:00-07:00")],
    ),
    "a time on another day": (
        "authorized",
        "monitor",
        {**MONITOR, "started_at": "2026-11-19T09:00:00+00:00"},
        [("started_at", "Started: enter a time on 2026-11-20.")],
    ),
    "an unknown scale": (
        "authorized",
        "monitor",
        {**MONITOR, "dissociation_scale": "bprs"},
        [("dissociation_scale", "'bprs' is not one of rating, cadss")],
    ),
    "sedation out of range": (
        "authorized",
        "monitor",
        {**MONITOR, "rass": 5},
        [("rass", "Sedation (RASS): enter a value from -5 to 4.")],
    ),
    "no start and no dose": (
        "authorized",
        "monitor",
        {"dose_given_mg": None},
        [
            ("dose_given_mg", "Enter the dose given (authorized: 50.0 mg)."),
            ("started_at", "Enter when the infusion started."),
        ],
    ),
}


@pytest.mark.parametrize("case", list(LATER_BAD_BODIES))
def test_a_bad_body_later_in_the_day_is_400_by_path(request, physician_api, case):
    stage, step, doc, problems = LATER_BAD_BODIES[case]
    infusion = request.getfixturevalue(stage)
    before = snapshot(infusion)
    response = physician_api.post(path(infusion, step), doc)
    assert response.status_code == 400, response.content
    assert response.json() == {"errors": [{"path": p, "message": m} for p, m in problems]}
    assert snapshot(infusion) == before


def test_a_discharge_without_an_escort_is_400(clinician_api, authorized):
    clinician_api.post(path(authorized, "monitor"), MONITOR)
    before = snapshot(authorized)
    response = clinician_api.post(path(authorized, "discharge"), {**DISCHARGE, "escort_name": None})
    assert response.json() == {
        "errors": [
            {"path": "escort_name", "message": "Enter the escort's name: no discharge without an escort."}
        ]
    }
    assert snapshot(authorized) == before


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{", "not valid JSON"),
        ('{"weight_kg": NaN}', "NaN is not a finite number"),
        ('{"weight_kg": 1e400}', "too large"),
    ],
)
def test_an_unreadable_body_is_400(clinician_api, started, raw, message):
    response = clinician_api.post(path(started, "check"), body=raw)
    assert response.status_code == 400
    [problem] = response.json()["errors"]
    assert message in problem["message"]


def test_a_check_replaces_the_one_before(clinician_api, started):
    clinician_api.post(path(started, "check"), {**CHECK, "pre2_systolic": 130, "pre2_diastolic": 84})
    record = clinician_api.post(path(started, "check"), CHECK).json()
    assert (record["pre2_systolic"], record["pre2_diastolic"]) == (None, None)


# ---------------------------------------------------------------------------------------------- ids


@pytest.mark.parametrize(
    ("method", "where"),
    [
        ("get", "/infusions/999999"),
        ("post", "/infusions/999999/check"),
        ("get", "/patients/999999/infusions"),
        ("post", "/patients/999999/infusions"),
    ],
)
def test_an_unknown_infusion_or_patient_is_404(clinician_api, defaults, method, where):
    response = clinician_api.get(where) if method == "get" else clinician_api.post(where, {})
    assert (response.status_code, response.json()) == (404, {"error": "Not found."})


@pytest.mark.parametrize("where", ["/infusions/0", f"/infusions/{2**63}", "/infusions/abc"])
def test_an_id_outside_the_database_range_is_400(clinician_api, defaults, where):
    response = clinician_api.get(where)
    assert response.status_code == 400
    assert [e["path"] for e in response.json()["errors"]] == ["infusion_id"]


# ---------------------------------------------------------------------------------------------- roles

OPERATIONS = {
    "list": ("get", "/patients/{patient}/infusions", None),
    "start": ("post", "/patients/{patient}/infusions", {}),
    "read": ("get", "/infusions/{infusion}", None),
    "check": ("post", "/infusions/{infusion}/check", CHECK),
    "measures": ("post", "/infusions/{infusion}/measures", PHQ9_BODY),
    "authorize": ("post", "/infusions/{infusion}/authorize", {"dose_mg": 50}),
    "monitor": ("post", "/infusions/{infusion}/monitor", MONITOR),
    "discharge": ("post", "/infusions/{infusion}/discharge", DISCHARGE),
    "sign": ("post", "/infusions/{infusion}/sign", {"hold_reason": "Not today"}),
}


def send(api, operation, patient, infusion):
    method, where, doc = OPERATIONS[operation]
    where = where.format(patient=patient, infusion=infusion)
    return api.get(where) if method == "get" else api.post(where, doc)


@pytest.fixture
def auditor_api(api_as, make_user):
    return api_as(make_user("aud1", AUDITOR))


@pytest.mark.parametrize("caller", ["staff_api", "admin_api", "auditor_api"])
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_only_clinical_staff_may_use_infusions(request, started, caller, operation):
    before = snapshot(started)
    response = send(request.getfixturevalue(caller), operation, started.patient_id, started.pk)
    assert (response.status_code, response.json()) == (403, {"error": FORBIDDEN})
    assert snapshot(started) == before


@pytest.mark.parametrize("caller", ["staff_api", "admin_api", "auditor_api", "clinician_api"])
def test_a_wrong_role_is_403_before_the_ids_or_the_body_are_looked_at(request, defaults, caller):
    operations = ["authorize"] if caller == "clinician_api" else list(OPERATIONS)
    api = request.getfixturevalue(caller)
    for operation in operations:
        method, where, _ = OPERATIONS[operation]
        where = where.format(patient=999999, infusion=999999)
        response = api.get(where) if method == "get" else api.post(where, ["not a body"])
        assert response.status_code == 403, operation


def test_a_clinician_may_not_authorize(clinician_api, started):
    clinician_api.post(path(started, "check"), CHECK)
    before = snapshot(started)
    response = clinician_api.post(path(started, "authorize"), {"dose_mg": 50})
    assert (response.status_code, response.json()) == (403, {"error": FORBIDDEN})
    assert snapshot(started) == before


def test_a_physician_records_every_step_too(physician_api, cleared):
    started = physician_api.post(f"/patients/{cleared.pk}/infusions").json()
    infusion = Infusion.objects.get(pk=started["id"])
    for step, doc in [("check", CHECK), ("authorize", {"dose_mg": 50}), ("monitor", MONITOR)]:
        assert physician_api.post(path(infusion, step), doc).status_code == 200, step
    assert physician_api.post(path(infusion, "discharge"), DISCHARGE).json()["stage"] == "discharged"
    assert physician_api.post(path(infusion, "sign")).json()["signed_by"] == "doc1"


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_without_a_token_it_is_401(client, started, operation):
    method, where, _ = OPERATIONS[operation]
    where = API + where.format(patient=started.patient_id, infusion=started.pk)
    response = client.get(where) if method == "get" else client.post(where, "{}", "application/json")
    assert response.status_code == 401


# ---------------------------------------------------------------------------------------------- audit


def latest_view() -> AuditEvent:
    return AuditEvent.objects.filter(action="view").order_by("-seq").first()


def test_reading_the_series_is_audited_as_a_read_of_the_patient(clinician_api, clinician, started):
    clinician_api.get(f"/patients/{started.patient_id}/infusions")
    event = latest_view()
    assert (event.object_type, event.object_id, event.patient_id, event.user_id, event.detail) == (
        "patient",
        str(started.patient_id),
        started.patient_id,
        clinician.pk,
        "API infusions",
    )


def test_reading_an_infusion_is_audited_as_a_read_of_it(clinician_api, clinician, started):
    clinician_api.get(path(started))
    event = latest_view()
    assert (event.object_type, event.object_id, event.patient_id, event.user_id, event.detail) == (
        "infusion",
        str(started.pk),
        started.patient_id,
        clinician.pk,
        "API infusion",
    )


def test_a_refused_read_is_not_audited(staff_api, started):
    before = AuditEvent.objects.filter(action="view").count()
    staff_api.get(path(started))
    assert AuditEvent.objects.filter(action="view").count() == before


def test_each_step_is_audited_as_a_change(clinician_api, clinician, started):
    clinician_api.post(path(started, "check"), CHECK)
    event = AuditEvent.objects.filter(action="update", object_type="infusion").order_by("-seq").first()
    assert (event.object_id, event.user_id) == (str(started.pk), clinician.pk)
    assert "weight_kg" in event.fields


# ---------------------------------------------------------------------------------------------- schema

SCHEMA_OPERATIONS = {
    "/api/v1/patients/{patient_id}/infusions": {"get", "post"},
    "/api/v1/infusions/{infusion_id}": {"get"},
    **{
        f"/api/v1/infusions/{{infusion_id}}/{step}": {"post"}
        for step in ("check", "measures", "authorize", "monitor", "discharge", "sign")
    },
}


def test_the_schema_describes_every_infusion_operation(clinician_api):
    schema = clinician_api.get("/openapi.json").json()
    paths = {p: set(ops) for p, ops in schema["paths"].items() if "infusion" in p}
    assert paths == SCHEMA_OPERATIONS
    check = schema["paths"]["/api/v1/infusions/{infusion_id}/check"]["post"]
    body = check["requestBody"]["content"]["application/json"]["schema"]
    assert (body["title"], body["additionalProperties"]) == ("day-of check", False)
    assert body["properties"]["pre_systolic"]["type"] == ["integer", "null"]
    assert set(check["responses"]) == {"200", "400", "401", "403", "404", "409", "413"}
    measures = schema["paths"]["/api/v1/infusions/{infusion_id}/measures"]["post"]
    assert measures["requestBody"]["content"]["application/json"]["schema"]["title"] == "measure"
    start = schema["paths"]["/api/v1/patients/{patient_id}/infusions"]["post"]
    assert set(start["responses"]) == {"201", "400", "401", "403", "404", "409", "413"}


def test_the_record_as_the_schema_names_it(clinician_api, started):
    schema = clinician_api.get("/openapi.json").json()
    record = clinician_api.get(path(started)).json()
    assert set(record) == set(schema["components"]["schemas"]["InfusionOut"]["properties"])


def test_the_body_fields_are_the_record_fields(clinician_api, started):
    record = clinician_api.get(path(started)).json()
    for title, fields in [("check", CHECK), ("monitor", MONITOR), ("discharge", DISCHARGE)]:
        assert {f for f in fields if not f.startswith("checklist_")} <= set(record), title
    assert json.loads(json.dumps(record))  # plain JSON all through


# ---------------------------------------------------------------------------------------------- no 500

ODD_VALUES = [
    None,
    "",
    "abc",
    "NaN",
    "1e999999",
    "2026-11-20T09:00:00+00:00",
    "9999-12-31T23:59:59+14:00",
    "yes",
    -1,
    0,
    0.05,
    2**63,
    1e300,
    -1e300,
    True,
    [],
    {},
    {"a": [1]},
]
STEP_FIELDS = {
    "check": [*CHECK, "pre2_systolic", "pre2_diastolic", "pre2_heart_rate", "checklist_benzodiazepine_held"],
    "authorize": ["dose_mg", "reason"],
    "monitor": [*MONITOR, "at40_heart_rate"],
    "discharge": [*DISCHARGE, "discharge_heart_rate"],
    "sign": ["hold_reason"],
}
STAGE_FOR = {"check": "started", "authorize": "checked", "monitor": "authorized", "discharge": "given"}


@pytest.fixture
def given(clinician_api, authorized):
    assert clinician_api.post(path(authorized, "monitor"), MONITOR).status_code == 200
    return Infusion.objects.get()


@pytest.mark.parametrize("step", list(STEP_FIELDS))
def test_no_value_of_any_field_is_a_server_error(request, physician_api, step):
    infusion = request.getfixturevalue(STAGE_FOR.get(step, "started"))
    answered = {
        (field, repr(value)): physician_api.post(path(infusion, step), {field: value}).status_code
        for field in STEP_FIELDS[step]
        for value in ODD_VALUES
    }
    assert set(answered.values()) <= {200, 400, 409}, {k: v for k, v in answered.items() if v >= 500}
