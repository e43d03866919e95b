"""A listed medication's dose and frequency are changed in place (issue 17): the patient page's row becomes a
form with htmx, or a page of its own without JavaScript; the same rules as adding apply (the dose checked
against the formulary included), a change clears the reconciliation attestation, saving the same values
keeps it, and a row someone else changed after it was opened is not overwritten."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from patients.models import MedicationEntry
from patients.selectors import medication_fingerprint
from patients.services import StaleEdit, medication_update

from .factories import MedicationEntryFactory
from .pages import input_value, shows

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def edit_url(medication, patient=None) -> str:
    return reverse("patients:medication_edit", args=[(patient or medication.patient).pk, medication.pk])


@pytest.fixture
def medication(patient):
    return MedicationEntryFactory(patient=patient, name="sertraline", dose_mg=Decimal("100"), times_per_day=1)


def opened(client, medication) -> dict[str, str]:
    """The edit form's values as the page shows them, `seen` included."""
    response = client.get(edit_url(medication))
    assert response.status_code == 200
    names = ("dose_mg", "times_per_day", "max_doses_per_day", "seen")
    return {name: input_value(response, name) for name in names}


def save(client, medication, headers=None, **values):
    data = {**opened(client, medication), **values}
    return client.post(
        edit_url(medication), {k: v for k, v in data.items() if v is not None}, **(headers or {})
    )


@pytest.fixture
def reconciled(patient, clinician):
    patient.medications_reconciled = True
    patient.medications_reconciled_by = clinician
    patient.medications_reconciled_at = timezone.now()
    patient.save()
    return patient


# -- the page without JavaScript ------------------------------------------------------------------------


def test_the_edit_page_shows_the_saved_values_with_labels(clinician_client, medication):
    response = clinician_client.get(edit_url(medication))
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" in page
    assert input_value(response, "dose_mg") == "100"  # not 100.000 as stored
    assert input_value(response, "times_per_day") == "1"
    assert input_value(response, "seen") == medication_fingerprint(MedicationEntry.objects.get())
    for label in ("Dose (mg)", "Times per day", "As needed", "Max doses/day (as needed)"):
        assert label in page
    assert 'name="name"' not in page  # the drug itself is not editable
    assert 'id="id_edit_dose_mg"' in page and "autofocus" in page.split('id="id_edit_dose_mg"')[0][-400:]


def test_saving_a_new_dose_redirects_to_the_medications_card(clinician_client, medication):
    response = save(clinician_client, medication, dose_mg="150", times_per_day="2")
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:detail", args=[medication.patient_id]) + "#medications"
    medication.refresh_from_db()
    assert (medication.dose_mg, medication.times_per_day, medication.name) == (
        Decimal("150"),
        2,
        "sertraline",
    )
    page = clinician_client.get(response["Location"]).content.decode()
    assert "sertraline: dose and frequency saved." in page
    assert "150 mg" in page


def test_the_name_and_its_resolution_are_kept(clinician_client, patient, defaults):
    clinician_client.post(
        reverse("patients:medication_add", args=[patient.pk]),
        {"name": "Klonopin", "dose_mg": "0.5", "times_per_day": "2"},
    )
    medication = MedicationEntry.objects.get()
    save(clinician_client, medication, dose_mg="1", name="Zzyzxol")  # a posted name is ignored
    medication.refresh_from_db()
    assert (medication.name, medication.formulary_entry.generic, medication.dose_mg) == (
        "Klonopin",
        "clonazepam",
        Decimal("1"),
    )


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"dose_mg": "0"}, "dose_mg", "The dose must be greater than 0 mg (leave empty if unknown)."),
        ({"dose_mg": "-5"}, "dose_mg", "The dose must be greater than 0 mg (leave empty if unknown)."),
        (
            {"as_needed": "on", "times_per_day": "3", "max_doses_per_day": ""},
            "max_doses_per_day",
            "For as-needed use, record the most doses taken in a day.",
        ),
        ({"times_per_day": "13"}, "times_per_day", "Ensure this value is less than or equal to 12."),
    ],
)
def test_invalid_values_are_refused_with_a_message_per_field(
    clinician_client, medication, values, field, message
):
    response = save(clinician_client, medication, **values)
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert shows(response, message)
    page = response.content.decode()
    assert f'aria-describedby="id_edit_{field}_error"' in page
    assert 'aria-invalid="true"' in page
    assert 'data-testid="error-summary"' in page
    medication.refresh_from_db()
    assert (medication.dose_mg, medication.times_per_day) == (Decimal("100"), 1)


def test_a_refused_edit_keeps_every_typed_value(clinician_client, medication):
    response = save(
        clinician_client, medication, dose_mg="0", times_per_day="3", as_needed="on", max_doses_per_day="4"
    )
    assert {
        name: input_value(response, name) for name in ("dose_mg", "times_per_day", "max_doses_per_day")
    } == {
        "dose_mg": "0",
        "times_per_day": "3",
        "max_doses_per_day": "4",
    }
    assert 'name="as_needed"' in response.content.decode()
    assert "checked" in response.content.decode().split('name="as_needed"')[1].split(">")[0]
    # the page still says what is saved now, not what was typed
    assert "Saved now: 100 mg, 1× per day" in response.content.decode()


# -- htmx: the row of the patient page ------------------------------------------------------------------


def test_htmx_edit_returns_the_block_with_the_row_as_a_form(clinician_client, medication):
    other = MedicationEntryFactory(patient=medication.patient, name="lithium")
    response = clinician_client.get(edit_url(medication), **HTMX)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="medications"' in page and "<html" not in page
    assert 'data-testid="medication-edit-row"' in page
    assert page.count('data-testid="medication-edit-row"') == 1
    assert 'form id="medication-edit"' in page
    assert f'action="{edit_url(medication)}"' in page
    assert (
        'form="medication-edit"'
        in page.split('name="dose_mg"')[0][-300:] + page.split('name="dose_mg"')[1][:300]
    )
    assert input_value(response, "dose_mg") == "100"
    assert 'aria-label="Edit lithium"' in page  # the other rows stay as they are
    assert f'href="{edit_url(other)}"' in page
    assert 'aria-label="Edit sertraline"' not in page


def test_each_row_has_an_edit_link_that_works_without_javascript(clinician_client, medication):
    page = clinician_client.get(reverse("patients:detail", args=[medication.patient_id])).content.decode()
    url = edit_url(medication)
    assert f'<a href="{url}" hx-get="{url}"' in page  # hx-target and hx-swap: the table's form's
    assert '<form method="post" hx-target="#medications" hx-swap="outerHTML">' in page
    assert 'aria-label="Edit sertraline"' in page


def test_htmx_save_returns_the_block_with_the_saved_row_focused(clinician_client, medication):
    response = save(clinician_client, medication, HTMX, dose_mg="50")
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert 'data-testid="medication-edit-row"' not in page
    assert "50 mg" in page
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*50 mg", page, re.S).group(0)
    assert 'tabindex="-1" autofocus' in row.split(">")[0]
    assert page.count("autofocus") == 1
    medication.refresh_from_db()
    assert medication.dose_mg == Decimal("50")


def test_htmx_invalid_save_returns_the_row_with_the_errors_and_status_200(clinician_client, medication):
    response = save(clinician_client, medication, HTMX, dose_mg="0", times_per_day="2")
    page = response.content.decode()
    assert response.status_code == 200  # htmx swaps only a success
    assert 'data-testid="medication-edit-row"' in page
    assert shows(response, "The dose must be greater than 0 mg (leave empty if unknown).")
    assert 'aria-describedby="id_edit_dose_mg_error"' in page
    assert (input_value(response, "dose_mg"), input_value(response, "times_per_day")) == ("0", "2")
    assert 'data-testid="error-summary"' in page  # it takes the focus
    assert "autofocus" not in page.split('name="dose_mg"')[1].split(">")[0]


def test_htmx_cancel_returns_the_block_with_the_edit_button_focused(clinician_client, medication):
    response = clinician_client.get(edit_url(medication) + "?cancel", **HTMX)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="medication-edit-row"' not in page
    assert 'aria-label="Edit sertraline" autofocus' in page


def test_cancel_without_javascript_goes_back_to_the_card(clinician_client, medication):
    response = clinician_client.get(edit_url(medication) + "?cancel")
    assert response["Location"] == reverse("patients:detail", args=[medication.patient_id]) + "#medications"


# -- the formulary's dose check, as on adding -------------------------------------------------------------


@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "plain"])
def test_a_dose_above_the_labelled_maximum_is_warned_about_then_kept_when_confirmed(
    clinician_client, patient, defaults, headers
):
    medication = MedicationEntryFactory(
        patient=patient, name="alprazolam", dose_mg=Decimal("1"), times_per_day=3
    )

    response = save(clinician_client, medication, headers, dose_mg="10")

    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="dose-warning"' in page
    assert "30 mg a day is above the labelled maximum of 10 mg a day for alprazolam" in page
    assert (
        'name="confirm_dose"' in page
        and 'form="medication-edit"' in page.split('name="confirm_dose"')[1][:120]
    )
    assert input_value(response, "dose_mg") == "10"
    medication.refresh_from_db()
    assert medication.dose_mg == Decimal("1")

    save(clinician_client, medication, headers, dose_mg="10", confirm_dose="on")

    medication.refresh_from_db()
    assert medication.dose_mg == Decimal("10")


def test_a_dose_within_the_maximum_is_saved_without_a_warning(clinician_client, patient, defaults):
    medication = MedicationEntryFactory(
        patient=patient, name="alprazolam", dose_mg=Decimal("1"), times_per_day=3
    )
    assert save(clinician_client, medication, dose_mg="2").status_code == 302
    medication.refresh_from_db()
    assert medication.dose_mg == Decimal("2")


# -- reconciliation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "plain"])
def test_a_changed_dose_clears_the_attestation(clinician_client, reconciled, headers):
    medication = MedicationEntryFactory(patient=reconciled)
    response = save(clinician_client, medication, headers, dose_mg="75")
    reconciled.refresh_from_db()
    assert reconciled.medications_reconciled is False
    if headers:
        assert b"Not reconciled" in response.content


@pytest.mark.parametrize(
    "values",
    [{}, {"dose_mg": "100.0"}, {"dose_mg": "100.000"}],
    ids=["as shown", "same dose, written otherwise", "as stored"],
)
def test_saving_the_same_values_keeps_the_attestation(clinician_client, reconciled, values):
    medication = MedicationEntryFactory(patient=reconciled)
    history = medication.history.count()
    assert save(clinician_client, medication, **values).status_code == 302
    reconciled.refresh_from_db()
    assert reconciled.medications_reconciled is True
    assert medication.history.count() == history  # nothing was written


def test_a_refused_edit_keeps_the_attestation(clinician_client, reconciled):
    medication = MedicationEntryFactory(patient=reconciled)
    save(clinician_client, medication, dose_mg="0")
    reconciled.refresh_from_db()
    assert reconciled.medications_reconciled is True


def test_an_attestation_form_opened_before_the_change_is_refused_after_it(clinician_client, patient):
    """The list's fingerprint covers the dose: an attestation of the list as it was is not taken."""
    medication = MedicationEntryFactory(patient=patient)
    page = clinician_client.get(reverse("patients:detail", args=[patient.pk]))
    shown = page.context["medications_seen"]
    save(clinician_client, medication, dose_mg="25")
    clinician_client.post(reverse("patients:medications_reconcile", args=[patient.pk]), {"seen": shown})
    patient.refresh_from_db()
    assert patient.medications_reconciled is False


# -- the service --------------------------------------------------------------------------------------------


def test_the_service_changes_the_row_credits_the_user_and_clears_the_attestation(reconciled, clinician):
    medication = MedicationEntryFactory(patient=reconciled)
    entry = medication_update(
        medication=medication,
        dose_mg=Decimal("50"),
        times_per_day=None,
        as_needed=True,
        max_doses_per_day=2,
        user=clinician,
    )
    entry.refresh_from_db()
    reconciled.refresh_from_db()
    assert (entry.dose_mg, entry.times_per_day, entry.as_needed, entry.max_doses_per_day) == (
        Decimal("50"),
        None,
        True,
        2,
    )
    assert reconciled.medications_reconciled is False
    assert entry.history.first().history_user == clinician
    event = AuditEvent.objects.filter(action="update", object_type="medicationentry").get()
    assert (event.user_id, event.patient_id) == (clinician.pk, reconciled.pk)
    assert sorted(event.fields) == ["as_needed", "dose_mg", "max_doses_per_day", "times_per_day"]


def test_the_service_with_the_same_values_writes_nothing(reconciled):
    medication = MedicationEntryFactory(patient=reconciled)
    before = AuditEvent.objects.count()
    medication_update(
        medication=medication,
        dose_mg=Decimal("100.0"),
        times_per_day=1,
        as_needed=False,
        max_doses_per_day=None,
    )
    reconciled.refresh_from_db()
    assert reconciled.medications_reconciled is True
    assert AuditEvent.objects.count() == before


def test_the_service_compares_the_stored_row_not_the_callers_copy(reconciled):
    medication = MedicationEntryFactory(patient=reconciled)
    medication.dose_mg = Decimal("75")  # as a bound form leaves its instance
    medication_update(
        medication=medication, dose_mg=Decimal("75"), times_per_day=1, as_needed=False, max_doses_per_day=None
    )
    medication.refresh_from_db()
    reconciled.refresh_from_db()
    assert medication.dose_mg == Decimal("75")
    assert reconciled.medications_reconciled is False


def test_the_service_takes_the_fingerprint_of_the_row_as_stored(patient):
    medication = MedicationEntry.objects.get(pk=MedicationEntryFactory(patient=patient).pk)
    medication_update(
        medication=medication,
        dose_mg=Decimal("30"),
        times_per_day=1,
        as_needed=False,
        max_doses_per_day=None,
        seen=medication_fingerprint(medication),
    )
    medication.refresh_from_db()
    assert medication.dose_mg == Decimal("30")


def test_the_service_refuses_a_stale_fingerprint(patient):
    medication = MedicationEntry.objects.get(pk=MedicationEntryFactory(patient=patient).pk)  # as stored
    seen = medication_fingerprint(medication)
    MedicationEntry.objects.filter(pk=medication.pk).update(dose_mg=Decimal("20"))
    with pytest.raises(StaleEdit):
        medication_update(
            medication=medication,
            dose_mg=Decimal("30"),
            times_per_day=1,
            as_needed=False,
            max_doses_per_day=None,
            seen=seen,
        )
    medication.refresh_from_db()
    assert medication.dose_mg == Decimal("20")


# -- someone else saved the row meanwhile -----------------------------------------------------------------


@pytest.mark.parametrize(("headers", "status"), [(HTMX, 200), ({}, 409)], ids=["htmx", "plain"])
def test_a_row_changed_by_someone_else_meanwhile_is_not_overwritten(
    clinician_client, medication, headers, status
):
    form = opened(clinician_client, medication)
    MedicationEntry.objects.filter(pk=medication.pk).update(dose_mg=Decimal("200"))  # another user saves

    response = clinician_client.post(
        edit_url(medication), {**form, "dose_mg": "50", "times_per_day": "2"}, **headers
    )

    assert response.status_code == status
    assert shows(response, "Another user changed this medication after you opened it")
    assert (input_value(response, "dose_mg"), input_value(response, "times_per_day")) == ("50", "2")
    assert "Saved now: 200 mg, 1× per day" in response.content.decode()
    medication.refresh_from_db()
    assert medication.dose_mg == Decimal("200")

    # saving again (the form now carries the current row's fingerprint) replaces the other user's values
    again = {**form, "dose_mg": "50", "times_per_day": "2", "seen": input_value(response, "seen")}
    clinician_client.post(edit_url(medication), again, **headers)
    medication.refresh_from_db()
    assert (medication.dose_mg, medication.times_per_day) == (Decimal("50"), 2)


def test_a_post_without_the_rows_fingerprint_is_refused(clinician_client, medication):
    response = clinician_client.post(edit_url(medication), {"dose_mg": "", "times_per_day": ""})
    assert response.status_code == 409
    medication.refresh_from_db()
    assert medication.dose_mg == Decimal("100")


# -- access and the audit trail -----------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_medication_of_another_patient_is_not_found(clinician_client, patient, method):
    elsewhere = MedicationEntryFactory(name="lithium")
    response = getattr(clinician_client, method)(edit_url(elsewhere, patient=patient), **HTMX)
    assert response.status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.dose_mg == Decimal("100")


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_user_without_the_clinician_role_is_refused(client, report_staff, medication, method):
    client.force_login(report_staff)
    data = {"dose_mg": "5", "times_per_day": "1", "seen": medication_fingerprint(medication)}
    response = (
        client.get(edit_url(medication)) if method == "get" else client.post(edit_url(medication), data)
    )
    assert response.status_code == 403
    medication.refresh_from_db()
    assert medication.dose_mg == Decimal("100")


@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "plain"])
def test_opening_the_form_is_an_audited_read(clinician_client, clinician, medication, headers):
    clinician_client.get(edit_url(medication), **headers)
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.object_type, event.object_id, event.patient_id, event.user_id) == (
        "view",
        "medicationentry",
        str(medication.pk),
        medication.patient_id,
        clinician.pk,
    )
