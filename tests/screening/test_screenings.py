import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.roles import CLINICIAN
from patients.models import Patient
from patients.services import intake_import
from rules.models import RuleSet
from rules.selectors import ruleset_document
from rules.services import ruleset_import
from screening.models import FindingOverride, Screening, SignOff
from screening.review import (
    ScreeningRefused,
    effective_verdict,
    finding_override,
    override_cosign,
    screening_sign,
)
from screening.services import screening_run
from tests.conftest import EXAMPLES
from tests.defaults_snapshot import load_defaults_for_test

pytestmark = pytest.mark.django_db


def example(name):
    return json.loads((EXAMPLES / f"{name}.json").read_text())


@pytest.fixture
def defaults():
    load_defaults_for_test()


@pytest.fixture
def deferred_patient(defaults):
    patient, _ = intake_import(doc=example("deferred-bp-and-benzodiazepine"))
    return patient


@pytest.fixture
def avm_patient(defaults):
    patient, _ = intake_import(doc=example("contraindicated-avm"))
    return patient


@pytest.fixture
def second_clinician(make_user):
    return make_user("clin2", CLINICIAN)


def run(patient, user):
    from datetime import date

    return screening_run(patient=patient, requested_by=user, as_of=date(2026, 11, 20))


def test_screening_stores_a_faithful_snapshot(deferred_patient, clinician):
    screening = run(deferred_patient, clinician)
    active = RuleSet.objects.get(is_active=True)
    assert screening.verdict == "deferred"
    assert screening.report["verdict"] == "deferred"
    assert {"BP-STAGE2", "MEDS-BENZO-HIGH", "MEDS-LAMOTRIGINE", "MEDS-CNS-DEPRESSANT"} <= set(
        screening.rule_codes
    )
    assert screening.intake["patient"]["mrn"] == "KT-0002"
    assert [m["name"] for m in screening.intake["medications"]["items"]] == ["Klonopin", "lamotrigine"]
    assert screening.ruleset == active
    assert screening.ruleset_sha256 == active.sha256 == screening.report["ruleset"]["sha256"]
    assert screening.engine_version == screening.report["engine"]["version"]
    assert screening.requested_by == clinician


def test_rescreening_creates_a_new_record(deferred_patient, clinician):
    first = run(deferred_patient, clinician)
    second = run(deferred_patient, clinician)
    assert first.pk != second.pk
    assert Screening.objects.filter(patient=deferred_patient).count() == 2


def test_a_stored_screening_cannot_be_changed_or_deleted(deferred_patient, clinician):
    screening = run(deferred_patient, clinician)
    screening.verdict = "eligible"
    with pytest.raises(ValidationError):
        screening.save()
    with pytest.raises(ValidationError):
        screening.delete()
    assert Screening.objects.get(pk=screening.pk).verdict == "deferred"


def test_old_report_does_not_change_when_patient_and_rules_change(deferred_patient, clinician, client):
    screening = run(deferred_patient, clinician)
    # the patient's BP is corrected and a new rule set with a different threshold is published
    deferred_patient.bp_readings.update(systolic=120, diastolic=80)
    Patient.objects.filter(pk=deferred_patient.pk).update(family_name="Changed")
    doc = ruleset_document(RuleSet.objects.get(is_active=True))
    doc["version"] = "2026.5-test"
    for rule in doc["rules"]:
        if rule["code"] == "BP-STAGE2":
            rule["title"] = "A new title that the old report must not show"
    ruleset_import(data=doc, shipped=True)
    client.force_login(clinician)
    page = client.get(reverse("screening:detail", args=[screening.pk])).content.decode()
    assert "BP-STAGE2" in page
    assert "Blood pressure at stage 2 level" in page
    assert "A new title" not in page
    assert "Luis Romero" in page
    assert "Changed" not in page
    assert screening.ruleset_sha256 in page


def test_new_screening_uses_the_new_rules_and_data(deferred_patient, clinician):
    deferred_patient.bp_readings.update(systolic=120, diastolic=80)
    second = run(deferred_patient, clinician)
    assert "BP-STAGE2" not in second.rule_codes


def test_override_needs_a_written_reason(deferred_patient, clinician, physician):
    screening = run(deferred_patient, clinician)
    with pytest.raises(ScreeningRefused, match="reason"):
        finding_override(screening=screening, rule="BP-STAGE2", reason="   ", user=physician)
    assert not FindingOverride.objects.exists()


def test_override_of_a_finding_that_is_not_there_is_refused(deferred_patient, clinician, physician):
    screening = run(deferred_patient, clinician)
    with pytest.raises(ScreeningRefused, match="not a finding"):
        finding_override(screening=screening, rule="CV-AVM", reason="x", user=physician)


def test_override_of_a_defer_finding_is_in_force_at_once(
    deferred_patient, clinician, physician, on_assessment_day
):
    screening = run(deferred_patient, clinician)
    override = finding_override(
        screening=screening, rule="BP-STAGE2", reason="Repeat BP 132/84 after rest", user=physician
    )
    assert override.in_force
    assert effective_verdict(screening, [override]) == "eligible_with_precautions"
    screening_sign(screening=screening, user=physician, decision="cleared")
    assert SignOff.objects.get(screening=screening).signer_name == "doc1"


def test_override_of_a_contraindication_needs_a_second_physician(
    avm_patient, clinician, physician, physician2, on_assessment_day
):
    screening = run(avm_patient, clinician)
    override = finding_override(
        screening=screening, rule="CV-AVM", reason="Imaging shows no AVM", user=physician
    )
    assert override.needs_cosign and not override.in_force
    assert effective_verdict(screening, [override]) == "contraindicated"
    with pytest.raises(ScreeningRefused, match="co-signature"):
        screening_sign(screening=screening, user=physician, decision="cleared")
    with pytest.raises(ScreeningRefused, match="second, different physician"):
        override_cosign(override=override, user=physician)
    override_cosign(override=override, user=physician2)
    override.refresh_from_db()
    assert override.in_force
    assert override.cosigned_by == physician2
    assert effective_verdict(screening, [override]) == "eligible"
    screening_sign(screening=screening, user=physician, decision="cleared")


def test_after_signing_nothing_can_be_overridden_or_signed_again(deferred_patient, clinician, physician):
    screening = run(deferred_patient, clinician)
    signoff = screening_sign(screening=screening, user=physician, decision="not_cleared")
    with pytest.raises(ScreeningRefused, match="signed"):
        finding_override(screening=screening, rule="BP-STAGE2", reason="late", user=physician)
    with pytest.raises(ScreeningRefused, match="already signed"):
        screening_sign(screening=screening, user=physician, decision="not_cleared")
    signoff.signer_name = "someone else"
    with pytest.raises(ValidationError):
        signoff.save()


def test_override_and_signoff_are_shown_on_the_report(
    avm_patient, clinician, physician, physician2, client, on_assessment_day
):
    screening = run(avm_patient, clinician)
    override = finding_override(
        screening=screening, rule="CV-AVM", reason="Imaging shows no AVM", user=physician
    )
    override_cosign(override=override, user=physician2)
    screening_sign(screening=screening, user=physician2, decision="cleared")
    client.force_login(clinician)
    page = client.get(reverse("screening:detail", args=[screening.pk])).content.decode()
    assert "Imaging shows no AVM" in page
    assert "co-signed by doc2" in page
    assert 'data-verdict="eligible"' in page  # the banner is the effective verdict
    assert 'data-decision="cleared"' in page
    assert "CLEARED TO PROCEED" in page
    assert "the engine's verdict was <strong>Contraindicated: do not infuse" in page
    assert "doc2, 2026" in page
    assert "Sign this decision" not in page


def test_screen_now_button_stores_a_screening_and_opens_the_report(deferred_patient, clinician_client):
    response = clinician_client.post(reverse("screening:screen_now", args=[deferred_patient.pk]))
    screening = Screening.objects.get(patient=deferred_patient)
    assert response.status_code == 302
    assert response["Location"] == reverse("screening:detail", args=[screening.pk])


def test_patient_page_lists_screenings_with_changes_since_the_previous(
    deferred_patient, clinician, clinician_client
):
    run(deferred_patient, clinician)
    deferred_patient.bp_readings.update(systolic=120, diastolic=80)
    run(deferred_patient, clinician)
    page = clinician_client.get(reverse("patients:detail", args=[deferred_patient.pk])).content.decode()
    assert "−BP-STAGE2" in page
    assert "first screening" in page


def test_report_page_has_every_part_of_the_consult_report(deferred_patient, clinician, clinician_client):
    screening = run(deferred_patient, clinician)
    page = clinician_client.get(reverse("screening:detail", args=[screening.pk])).content.decode()
    for expected in (
        "KT-0002",
        "Luis Romero",
        "VERDICT: DEFERRED",
        'data-verdict="deferred"',
        "Klonopin",
        "clonazepam",
        "60 mg",  # a daily dose without trailing zeros
        "<svg",
        "37.0–74.0 mg",
        "Informed consent",
        "not a substitute for clinical judgment",
        'id="ref-A1"',
        screening.ruleset_sha256,
        "Evidence:",
    ):
        assert expected in page


@pytest.mark.parametrize("role", ["Rules admin", None])
def test_report_page_refuses_other_roles(deferred_patient, clinician, make_user, client, role):
    screening = run(deferred_patient, clinician)
    client.force_login(make_user("other", *([role] if role else [])))
    assert client.get(reverse("screening:detail", args=[screening.pk])).status_code == 403


def test_report_staff_can_read_reports_but_not_screen_or_sign(
    deferred_patient, clinician, report_staff, client
):
    screening = run(deferred_patient, clinician)
    client.force_login(report_staff)
    assert client.get(reverse("screening:detail", args=[screening.pk])).status_code == 200
    assert client.get(reverse("screening:report_list")).status_code == 200
    assert client.post(reverse("screening:sign", args=[screening.pk])).status_code == 403
    assert client.post(reverse("screening:screen_now", args=[deferred_patient.pk])).status_code == 403
    assert not SignOff.objects.exists()


def test_report_pages_require_login(deferred_patient, clinician, client):
    screening = run(deferred_patient, clinician)
    for url in (
        reverse("screening:detail", args=[screening.pk]),
        reverse("screening:report_list"),
        reverse("screening:pdf_status", args=[screening.pk]),
    ):
        assert client.get(url).status_code == 302


def test_report_list_searches_by_mrn_without_putting_it_in_the_url(
    deferred_patient, avm_patient, clinician, client, report_staff
):
    run(deferred_patient, clinician)
    run(avm_patient, clinician)
    client.force_login(report_staff)
    response = client.post(reverse("screening:report_list"), {"q": "KT-0003"})
    assert response["Location"] == reverse("screening:report_list")
    rows = client.get(reverse("screening:report_list")).context["rows"]
    assert [row["screening"].patient.mrn for row in rows] == ["KT-0003"]
