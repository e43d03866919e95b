"""A refused override, suggestion or sign-off goes back to the report (its own address: a refresh posts
nothing again) with the refusal and everything that was typed in the refused form, nothing lost, shown once
(the API refuses the same, by the same service: tests/api/test_review.py)."""

import json
from datetime import date

import pytest
from django.urls import reverse
from django.utils.html import escape

from core.models import AuditEvent
from patients.services import intake_import
from screening.models import FindingOverride, OverrideSuggestion, SignOff
from screening.review import OVERRIDE_REASON_MAX
from screening.services import screening_run
from tests.conftest import EXAMPLES
from tests.defaults_snapshot import load_defaults_for_test

pytestmark = pytest.mark.django_db

TYPED = "Recheck the ECG <b>first</b> & call"


def screened(example: str, clinician):
    load_defaults_for_test()
    patient, _ = intake_import(doc=json.loads((EXAMPLES / example).read_text()))
    return screening_run(patient=patient, requested_by=clinician, as_of=date(2026, 11, 20))


def section(page: str, action: str) -> str:
    """The form posting to `action`, as shown."""
    return page.split(f'action="{action}"', 1)[1].split("</form>", 1)[0]


def refused(client, action: str, data: dict) -> str:
    """Post, be sent back to the report, and return the report as shown then."""
    response = client.post(action, data, follow=True)
    assert response.redirect_chain and response.redirect_chain[-1][0].endswith(action.rsplit("/", 2)[0] + "/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_refused_sign_off_keeps_the_note_the_ticks_and_the_decision(clinician, physician, client):
    screening = screened("eligible.json", clinician)
    client.force_login(physician)
    action = reverse("screening:sign", args=[screening.pk])
    views = AuditEvent.objects.filter(action="view", object_id=str(screening.pk)).count()
    # no decision chosen (a hand-made request: the browser asks for one first)
    page = refused(client, action, {"note": TYPED, "checklist": ["0", "2"]})
    assert not SignOff.objects.exists()
    assert "Choose a decision: cleared or not_cleared." in page
    form = section(page, action)
    assert f">{escape(TYPED)}</textarea>" in form
    assert 'id="checklist-0" checked' in form and 'id="checklist-2" checked' in form
    assert 'id="checklist-1">' in form
    assert AuditEvent.objects.filter(action="view", object_id=str(screening.pk)).count() == views + 1
    # shown once: the report shown again afterwards has an empty form
    again = section(client.get(reverse("screening:detail", args=[screening.pk])).content.decode(), action)
    assert "></textarea>" in again and " checked" not in again
    # a tick that names no item: refused, the chosen decision kept too
    page = refused(client, action, {"decision": "not_cleared", "note": TYPED, "checklist": ["0", "99"]})
    assert not SignOff.objects.exists()
    form = section(page, action)
    assert 'value="not_cleared" required checked>' in form and f">{escape(TYPED)}</textarea>" in form
    assert 'value="cleared" required>' in form
    # accepted: the page moves on as before
    response = client.post(action, {"decision": "not_cleared", "note": TYPED})
    assert response.status_code == 302 and SignOff.objects.get().note == TYPED


def test_a_refused_override_keeps_the_finding_and_the_reason(clinician, physician, client):
    screening = screened("contraindicated-avm.json", clinician)
    client.force_login(physician)
    action = reverse("screening:override", args=[screening.pk])
    page = refused(client, action, {"rule": "CV-AVM", "reason": TYPED, "reason_code": "NOT-OFFERED"})
    assert not FindingOverride.objects.exists()
    assert "&#x27;NOT-OFFERED&#x27; is not a reason CV-AVM offers" in page
    form = section(page, action)
    assert '<option value="CV-AVM" selected>' in form
    assert f'value="{escape(TYPED)}">' in form


def test_a_refused_suggestion_keeps_the_finding_and_the_note(clinician, client):
    screening = screened("contraindicated-avm.json", clinician)
    client.force_login(clinician)
    action = reverse("screening:suggest", args=[screening.pk])
    too_long = "x" * (OVERRIDE_REASON_MAX + 1)  # past the field's maxlength: only a hand-made request
    page = refused(client, action, {"rule": "CV-AVM", "note": too_long})
    assert not OverrideSuggestion.objects.exists()
    form = section(page, action)
    assert '<option value="CV-AVM" selected>' in form and f'value="{too_long}">' in form
