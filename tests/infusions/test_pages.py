"""The day-of-infusion pages (issue 18): a clinician starts the day-of check from the patient page, records
the checks before dosing and sees go or hold with every reason in words; only a physician authorizes a dose
within today's range; the infusion, the discharge and the signature follow on the same page; every refusal
comes back on its field with the values as typed; a signed record is read-only and refuses every step;
report staff never reach these pages; every page read is in the audit trail."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from infusions.forms import RASS_LABELS
from infusions.models import RASS_MAX, RASS_MIN, Infusion
from infusions.services import infusion_check, infusion_sign, infusion_start
from tests.infusions.conftest import CHECK, DAY, PHQ9, cleared_patient

pytestmark = pytest.mark.django_db

MONITOR = {
    "dose_given_mg": "50",
    "started_at": "09:00",
    "at40_systolic": "138",
    "at40_diastolic": "88",
    "at40_heart_rate": "80",
    "rass": "-1",
    "dissociation_scale": "rating",
    "dissociation": "4",
    "adverse_events": "Mild nausea",
}
DISCHARGE = {
    "discharge_systolic": "124",
    "discharge_diastolic": "80",
    "discharged_at": "10:30",
    "escort_name": "J. Silva",
}


def url(name, infusion, *rest):
    return reverse(f"infusions:{name}", args=[infusion.pk, *rest])


def page(client, infusion) -> str:
    response = client.get(url("detail", infusion))
    assert response.status_code == 200
    return response.content.decode()


def text(html: str) -> str:
    """The page's words, tags dropped and spaces collapsed (entities as Django escapes them)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#x27;", "'").replace("&amp;", "&")


def field_value(html: str, name: str) -> str:
    return re.search(rf'name="{name}"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="{name}"', html).group(1)


@pytest.fixture
def opened(cleared, clinician):
    return infusion_start(patient=cleared, user=clinician)


@pytest.fixture
def checked(opened, clinician):
    return infusion_check(infusion=opened, user=clinician, values=CHECK)


def as_user(client, user):
    client.force_login(user)
    return client


# ------------------------------------------------------------------------------------------------ start


def test_the_start_page_proposes_today_and_opens_the_record(client, clinician, cleared):
    as_user(client, clinician)
    html = client.get(reverse("infusions:start", args=[cleared.pk])).content.decode()
    assert field_value(html, "infusion_on") == "2026-11-20"
    assert "Ana Silva" in html and "KT-0001" in html
    response = client.post(reverse("infusions:start", args=[cleared.pk]), {"infusion_on": "2026-11-20"})
    infusion = Infusion.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("detail", infusion)
    assert (infusion.infusion_on, infusion.created_by) == (DAY, clinician)


def test_a_refused_start_says_why_on_the_field_and_keeps_the_day(client, clinician, cleared):
    as_user(client, clinician)
    response = client.post(reverse("infusions:start", args=[cleared.pk]), {"infusion_on": "2026-11-19"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Choose today or a day up to 60 days ahead." in html
    assert field_value(html, "infusion_on") == "2026-11-19"
    assert not Infusion.objects.exists()


def test_no_start_while_another_infusion_is_open(client, clinician, opened):
    as_user(client, clinician)
    html = client.get(reverse("infusions:start", args=[opened.patient_id])).content.decode()
    assert url("detail", opened) in html  # "continue it"
    response = client.post(
        reverse("infusions:start", args=[opened.patient_id]), {"infusion_on": "2026-11-20"}
    )
    assert response.status_code == 400
    assert "The infusion of 2026-11-20 is not signed yet" in response.content.decode()
    assert Infusion.objects.count() == 1


# ---------------------------------------------------------------------------------------- the page itself


def test_the_page_names_the_patient_and_the_screening_but_its_title_does_not(client, clinician, opened):
    html = page(as_user(client, clinician), opened)
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert title.startswith(f"Infusion #{opened.pk} · 2026-11-20")
    assert "Silva" not in title and "KT-0001" not in title
    words = text(html)
    assert "Ana Silva · MRN KT-0001 · age 42 (born 1984-03-02)" in words
    assert reverse("screening:detail", args=[opened.screening_id]) in html
    assert "Under the screening of 2026-11-20" in words


def test_an_unchecked_record_is_not_decided_and_lists_what_is_missing(client, clinician, opened):
    words = text(page(as_user(client, clinician), opened))
    assert "Not decided: the checks before dosing are incomplete" in words
    assert "Missing: today's weight" in words
    assert "Missing: checklist: Fasting as the clinic's protocol requires." in words
    assert "Waits for the physician's authorization of the dose." in words


def test_the_check_step_through_the_page_gives_go_and_todays_dose_range(client, clinician, opened):
    as_user(client, clinician)
    response = client.post(url("check", opened), CHECK)
    assert response.status_code == 302
    assert response["Location"].endswith("#step-check")
    html = page(client, opened)
    assert 'data-status="go"' in html
    assert "Go: the checks before dosing are met" in html
    assert "37–74 mg (0.5–1.0 mg/kg × 74 kg)" in html
    # the checklist asks what the screening needs, with its sources; the answers are kept on the form
    assert "Pregnancy test done today and negative." in html and "Sources: S4." in html
    assert re.search(r'name="checklist_fasting" value="yes"[^>]*checked', html)


def test_a_refused_check_keeps_every_value_and_says_what_is_wrong_beside_its_field(client, clinician, opened):
    as_user(client, clinician)
    values = {**CHECK, "pre_systolic": "310", "pre2_systolic": "120"}  # and a second reading half typed
    response = client.post(url("check", opened), values)
    html = response.content.decode()
    assert response.status_code == 400
    assert 'data-testid="error-summary"' in html
    assert "Before dosing systolic: enter a value from 60 to 300." in html
    assert "Second reading: enter both numbers." in html
    assert (field_value(html, "pre_systolic"), field_value(html, "weight_kg")) == ("310", "74")
    assert re.search(r'name="checklist_escort_present" value="yes"[^>]*checked', html)
    # the message sits with its field (crispy's invalid-feedback under the input)
    assert re.search(r'id="id_pre_systolic".*?invalid-feedback.*?enter a value from 60 to 300', html, re.S)
    opened.refresh_from_db()
    assert opened.checked_at is None


def test_the_hold_reasons_are_in_words_and_a_physician_cannot_authorize(client, physician, opened, clinician):
    infusion_check(
        infusion=opened,
        user=clinician,
        values={**CHECK, "pre_systolic": "170", "pre_diastolic": "95", "checklist_fasting": "no"},
    )
    html = page(as_user(client, physician), opened)
    words = text(html)
    assert 'data-status="hold"' in html and "Hold: no infusion today" in words
    reasons = re.search(r'data-testid="decision-reasons">(.*?)</ul>', html, re.S).group(1)
    assert reasons.index("BP-STAGE2") < reasons.index("Not confirmed: Fasting")  # holds first, in order
    assert "Blood pressure before dosing 170/95 (1 reading) is at or above 160/100 (BP-STAGE2)" in words
    assert "Not open to authorization. Hold: no infusion today:" in words
    assert re.search(r'<button type="button" class="btn btn-primary" disabled[^>]*>Authorize', html)
    assert url("authorize", opened) not in html


def test_a_clinician_sees_no_authorization_form_and_is_refused_if_posting(client, clinician, checked):
    as_user(client, clinician)
    html = page(client, checked)
    assert url("authorize", checked) not in html
    assert "A physician authorizes the dose once the checks before dosing allow it." in html
    response = client.post(url("authorize", checked), {"dose_mg": "50"})
    assert response.status_code == 400
    assert "Only a physician authorizes a dose." in response.content.decode()
    checked.refresh_from_db()
    assert checked.authorized_at is None


def test_a_dose_out_of_todays_range_is_refused_on_its_field_with_the_value_kept(client, physician, checked):
    as_user(client, physician)
    response = client.post(url("authorize", checked), {"dose_mg": "80", "reason": ""})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Today&#x27;s range is 37–74 mg (74 kg): enter a dose within it." in html
    assert field_value(html, "dose_mg") == "80"
    checked.refresh_from_db()
    assert checked.authorized_at is None


def test_a_decision_for_the_physician_needs_a_reason(client, clinician, physician, opened):
    infusion_check(infusion=opened, user=clinician, values={**CHECK, "pre_systolic": "150"})
    as_user(client, physician)
    html = page(client, opened)
    assert 'data-status="physician"' in html
    assert "Reason for the go (required)" in html and 'data-testid="reason-required"' in html
    response = client.post(url("authorize", opened), {"dose_mg": "50", "reason": ""})
    assert response.status_code == 400
    assert "Give the reason for the go:" in response.content.decode()
    response = client.post(
        url("authorize", opened), {"dose_mg": "50", "reason": "Anxious on arrival; rechecked."}
    )
    assert response.status_code == 302
    opened.refresh_from_db()
    assert (opened.authorized_by, opened.go_reason) == (physician, "Anxious on arrival; rechecked.")
    html = page(client, opened)  # the go given: no longer read as held
    assert "a physician weighed the reasons below and gave the go" in html
    assert "Held until a physician" not in html


def test_the_whole_day_through_the_page(client, clinician, physician, checked):
    as_user(client, physician)
    assert client.post(url("authorize", checked), {"dose_mg": "50"}).status_code == 302
    as_user(client, clinician)
    html = page(client, checked)
    assert "As it stood when the dose was authorized." in html
    assert "Authorized: 50 mg; at most that." in html
    assert client.post(url("monitor", checked), MONITOR).status_code == 302
    assert client.post(url("discharge", checked), DISCHARGE).status_code == 302
    html = page(client, checked)
    assert "Signing closes the record as <strong>given</strong>: 50 mg." in html
    response = client.post(url("sign", checked), {})
    assert response.status_code == 302
    checked.refresh_from_db()
    assert (checked.outcome, checked.signed_by, checked.started_at) == (
        "given",
        clinician,
        timezone.make_aware(timezone.datetime(2026, 11, 20, 9, 0)),
    )
    words = text(page(client, checked))
    assert f"Signed given by clin, {timezone.localtime(checked.signed_at):%Y-%m-%d %H:%M}" in words
    assert "Dose authorized 50 mg" in words and "Authorized by doc1" in words
    assert "50 mg, started 09:00" in words and "138/88 mmHg, heart rate 80 bpm" in words
    assert "Sedation (RASS) −1 · Drowsy" in words and "Dissociation 4 (Clinician rating (0-10))" in words
    assert "Escort J. Silva" in words and "Discharged at 10:30" in words
    assert "<form" not in page(client, checked).split('id="step-check"')[1].split("</main>")[0]


def test_a_refused_monitoring_keeps_the_values_with_each_message(client, clinician, physician, checked):
    as_user(client, physician)
    client.post(url("authorize", checked), {"dose_mg": "50"})
    as_user(client, clinician)
    response = client.post(
        url("monitor", checked), {**MONITOR, "dose_given_mg": "50.5", "dissociation": "11"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Dose given: enter a value from 0.1 to 50.0." in html
    assert "Dissociation: enter a value from 0 to 10." in html
    assert (field_value(html, "dose_given_mg"), field_value(html, "started_at")) == ("50.5", "09:00")
    assert re.search(r'<option value="-1" selected>−1 · Drowsy</option>', html)


def test_a_discharge_without_an_escort_is_refused(client, clinician, physician, checked):
    as_user(client, physician)
    client.post(url("authorize", checked), {"dose_mg": "50"})
    as_user(client, clinician)
    client.post(url("monitor", checked), MONITOR)
    response = client.post(url("discharge", checked), {**DISCHARGE, "escort_name": ""})
    assert response.status_code == 400
    assert "Enter the escort&#x27;s name: no discharge without an escort." in response.content.decode()
    assert field_value(response.content.decode(), "discharged_at") == "10:30"


def test_a_held_record_is_signed_from_the_page_with_its_reasons(client, clinician, opened):
    infusion_check(
        infusion=opened, user=clinician, values={**CHECK, "pre_systolic": "170", "pre_diastolic": "95"}
    )
    as_user(client, clinician)
    assert "Left empty, the decision's reasons above are recorded." in page(client, opened)
    assert client.post(url("sign", opened), {"hold_reason": ""}).status_code == 302
    opened.refresh_from_db()
    assert opened.outcome == "held" and "BP-STAGE2" in opened.hold_reason
    words = text(page(client, opened))
    assert "Signed held by clin" in words and "Why it was held Blood pressure before dosing 170/95" in words
    assert "As it stood when the record was signed." in words


def test_a_go_record_held_needs_the_reason_written(client, clinician, checked):
    as_user(client, clinician)
    response = client.post(url("sign", checked), {"hold_reason": ""})
    assert response.status_code == 400
    assert "Nothing holds this infusion: say why it was not given." in response.content.decode()


STEP_POSTS = {
    "check": CHECK,
    "authorize": {"dose_mg": "50"},
    "monitor": MONITOR,
    "discharge": DISCHARGE,
    "sign": {"hold_reason": "again"},
}


@pytest.mark.parametrize("step", list(STEP_POSTS))
def test_a_signed_record_refuses_every_step(client, clinician, physician, opened, step):
    signed = infusion_sign(infusion=opened, user=clinician, hold_reason="Patient unwell today.")
    versions = signed.history.count()
    as_user(client, physician)
    response = client.post(url(step, signed), STEP_POSTS[step])
    assert response.status_code == 400
    assert "This infusion record is signed: nothing on it changes." in response.content.decode()
    assert signed.history.count() == versions


def test_a_signed_record_shows_no_form_and_no_measure_links(client, clinician, opened):
    signed = infusion_sign(infusion=opened, user=clinician, hold_reason="Patient unwell today.")
    html = page(as_user(client, clinician), signed)
    for step in STEP_POSTS:
        assert url(step, signed) not in html
    assert url("measure_add", signed, "phq9") not in html
    assert "Patient unwell today." in html


# ------------------------------------------------------------------------------------ measures of the day


def test_a_measure_taken_on_the_day_is_added_to_the_record(client, clinician, opened):
    as_user(client, clinician)
    html = client.get(url("measure_add", opened, "phq9")).content.decode()
    assert field_value(html, "administered_on") == "2026-11-20"
    answers = {f"item_{i}": str(a) for i, a in enumerate(PHQ9)}
    response = client.post(url("measure_add", opened, "phq9"), {"administered_on": "2026-11-20", **answers})
    assert response.status_code == 302
    opened.refresh_from_db()
    assert opened.measures[0]["instrument"] == "phq9"
    assert "PHQ-9" in text(page(client, opened)) and "16" in text(page(client, opened))


def test_a_measure_of_another_day_is_refused_on_its_date(client, clinician, opened):
    as_user(client, clinician)
    answers = {f"item_{i}": str(a) for i, a in enumerate(PHQ9)}
    response = client.post(url("measure_add", opened, "phq9"), {"administered_on": "2026-11-19", **answers})
    assert response.status_code == 400
    assert "A day-of measure is taken on 2026-11-20." in response.content.decode()
    opened.refresh_from_db()
    assert opened.measures == []


def test_an_unknown_measure_is_not_found(client, clinician, opened):
    assert as_user(client, clinician).get(url("measure_add", opened, "madrs")).status_code == 404


# ------------------------------------------------------------------------------------------------ roles


def infusion_urls(infusion):
    return [
        ("get", reverse("infusions:start", args=[infusion.patient_id])),
        ("post", reverse("infusions:start", args=[infusion.patient_id])),
        ("get", url("detail", infusion)),
        *(("post", url(step, infusion)) for step in STEP_POSTS),
        ("get", url("measure_add", infusion, "phq9")),
        ("post", url("measure_add", infusion, "phq9")),
    ]


@pytest.mark.parametrize("role", ["Report staff", "Auditor", "Rules admin"])
def test_staff_without_a_clinical_role_are_refused_every_infusion_url(client, make_user, opened, role):
    as_user(client, make_user("other", role))
    refused = {
        (method, path): getattr(client, method)(path).status_code for method, path in infusion_urls(opened)
    }
    assert set(refused.values()) == {403}, refused
    assert Infusion.objects.get().checked_at is None


def test_nobody_signed_out_reaches_them(client, opened):
    for method, path in infusion_urls(opened):
        response = getattr(client, method)(path)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_missing_infusion_is_not_found(client, clinician, db):
    as_user(client, clinician)
    assert client.get(reverse("infusions:detail", args=[999999])).status_code == 404
    assert client.post(reverse("infusions:check", args=[999999])).status_code == 404
    assert client.get(reverse("infusions:start", args=[999999])).status_code == 404


# ----------------------------------------------------------------------------------- audit and the series


@pytest.mark.parametrize("name", ["start", "detail", "measure_add"])
def test_each_page_read_is_in_the_audit_trail(client, physician, opened, name):
    args = {"start": [opened.patient_id], "detail": [opened.pk], "measure_add": [opened.pk, "gad7"]}[name]
    as_user(client, physician)
    assert client.get(reverse(f"infusions:{name}", args=args)).status_code == 200
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.object_type, event.patient_id, event.user_id) == (
        "view",
        "patient",
        opened.patient_id,
        physician.pk,
    )
    assert "infusion" in event.detail
    assert "Silva" not in event.detail


def given(patient, user, day: date, measures=()) -> Infusion:
    """A signed, given infusion of an earlier day, as the services would have left it."""
    at = timezone.make_aware(timezone.datetime(day.year, day.month, day.day, 9))
    return Infusion.objects.create(
        patient=patient,
        screening=patient.screenings.get(),
        infusion_on=day,
        created_by=user,
        weight_kg=Decimal(74),
        authorized_by=user,
        authorized_at=at,
        authorized_dose_mg=Decimal(50),
        dose_given_mg=Decimal(50),
        started_at=at,
        discharged_at=at + timedelta(hours=2),
        escort_name="J. Silva",
        measures=list(measures),
        outcome=Infusion.Outcome.GIVEN,
        signed_by=user,
        signer_name=user.username,
        signed_at=at + timedelta(hours=2),
    )


def test_the_patient_page_shows_the_series_and_the_prompt_after_three_without_response(
    client, clinician, physician, on_assessment_day
):
    baseline = {"instrument": "phq9", "administered_on": "2026-11-18", "answers": PHQ9}  # 16
    patient = cleared_patient(clinician, physician, measures=[baseline])
    as_user(client, clinician)
    html = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert 'id="infusions"' in html and reverse("infusions:start", args=[patient.pk]) in html
    assert "No infusion yet." in html
    later = {"instrument": "phq9", "administered_on": "2026-11-19", "answers": [2] * 6 + [1, 1, 0]}  # 14
    for days in (3, 2, 1):
        given(patient, clinician, DAY - timedelta(days=days), [later] if days == 1 else [])
    html = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    series = re.search(r'data-testid="series">(.*?)</div>', html, re.S).group(1)
    assert "alert-warning" in html.split('data-testid="series"')[0].rsplit("<div", 1)[1]
    assert "3 infusions given; PHQ-9 16 at baseline, 14" in text(series)
    assert "After 3 infusions without a response, reassess the plan (A3)." in text(series)
    assert text(html).count("Given") >= 3
    for infusion in Infusion.objects.all():
        assert reverse("infusions:detail", args=[infusion.pk]) in html


def test_the_infusion_page_carries_the_series_line_too(client, clinician, opened):
    words = text(page(as_user(client, clinician), opened))
    assert "Series: 0 infusions given; response cannot be judged (no baseline PHQ-9)." in words


def test_the_rass_select_offers_the_whole_scale_in_words():
    from infusions.forms import RASS_CHOICES

    assert set(RASS_LABELS) == set(range(RASS_MIN, RASS_MAX + 1))
    assert RASS_CHOICES[1] == ("4", "+4 · Combative") and RASS_CHOICES[-1] == ("-5", "−5 · Unarousable")


def patient_page_queries(client, patient) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("patients:detail", args=[patient.pk])).status_code == 200
    return len(queries)


def test_the_patient_pages_infusions_cost_the_same_however_many(client, clinician, cleared):
    given(cleared, clinician, DAY - timedelta(days=7))
    as_user(client, clinician)
    patient_page_queries(client, cleared)  # the first request fills per-process caches
    one = patient_page_queries(client, cleared)
    for days in (5, 3, 1):
        given(cleared, clinician, DAY - timedelta(days=days))
    assert patient_page_queries(client, cleared) == one


def test_the_patient_page_reads_the_infusions_with_the_record(cleared, clinician, physician):
    """patients.selectors.PAGE_RECORD holds the infusions (InfusionsConfig.ready): the same rows, in the same
    order and with the same values, as the infusions' own read, and no query of their own."""
    from infusions.selectors import infusions_read_with, patient_infusions
    from infusions.services import infusion_check, infusion_start
    from patients.selectors import patient_page_record

    infusion_check(infusion=infusion_start(patient=cleared, user=clinician), user=clinician, values=CHECK)
    record = patient_page_record(cleared.pk)
    with CaptureQueriesContext(connection) as queries:
        read = infusions_read_with(record)
    assert len(queries) == 0
    alone = list(patient_infusions(cleared))
    assert [i.pk for i in read] == [i.pk for i in alone] and len(alone) == 1
    for together, own in zip(read, alone, strict=True):
        assert {f.attname: getattr(together, f.attname) for f in own._meta.concrete_fields} == {
            f.attname: getattr(own, f.attname) for f in own._meta.concrete_fields
        }
