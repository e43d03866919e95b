"""Diagnoses, medications (htmx rows), blood pressure readings, reconciliation and formulary autocomplete."""

from copy import copy

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from core.audit import audit_record
from formulary.selectors import current_formulary

from .forms import BloodPressureForm, DiagnosisForm, MedicationEditForm, MedicationForm
from .models import BloodPressureReading, Diagnosis, MedicationEntry, Patient
from .selectors import diagnosis_fingerprint, medication_fingerprint, patient_record
from .services import (
    StaleEdit,
    medication_add,
    medication_remove,
    medication_update,
    medications_reconcile,
)
from .views import ClinicianView, patient_page_context

DIAGNOSES = "patients/includes/diagnoses.html"
READINGS = "patients/includes/blood_pressure.html"


def _record_or_404(pk):
    try:
        return patient_record(pk)
    except Patient.DoesNotExist as exc:
        raise Http404("No such patient") from exc


def _back_to(pk, anchor):
    return redirect(reverse("patients:detail", kwargs={"pk": pk}) + f"#{anchor}")


def _block(request, pk, template, done="", added=None, **forms):
    """htmx: one block of the patient page (diagnoses, blood pressure), re-read, with what was done (or
    the refused form with every value and each error), and the readiness panel it changes, out of band.
    The page stays where it is, at its own URL: a refresh never posts again."""
    patient = _record_or_404(pk)
    context = patient_page_context(patient, **forms) | {"done": done, "added": added}
    return render(request, "patients/includes/block.html", context | {"block": template})


def _page_with_errors(request, pk, **forms):
    return render(
        request, "patients/patient_detail.html", patient_page_context(_record_or_404(pk), **forms), status=400
    )


class DiagnosisAddView(ClinicianView):
    def post(self, request, pk):
        patient = get_object_or_404(Patient, pk=pk)
        form = DiagnosisForm(request.POST, patient=patient)
        if not form.is_valid():
            if request.htmx:
                return _block(request, pk, DIAGNOSES, diagnosis_form=form)
            return _page_with_errors(request, pk, diagnosis_form=form)
        form.save()
        done = f"Diagnosis {form.instance.icd10} added."
        if request.htmx:
            return _block(request, pk, DIAGNOSES, done=done, added=form.instance.pk)
        messages.success(request, done)
        return _back_to(pk, "diagnoses")


class DiagnosisEditView(ClinicianView):
    template_name = "patients/diagnosis_form.html"

    def _get(self, pk, dx_id):
        return get_object_or_404(Diagnosis.objects.select_related("patient"), pk=dx_id, patient_id=pk)

    def get(self, request, pk, dx_id):
        dx = self._get(pk, dx_id)
        audit_record(action="view", request=request, obj=dx, detail="edit diagnosis")
        form = DiagnosisForm(instance=dx, patient=dx.patient, initial={"seen": diagnosis_fingerprint(dx)})
        return render(request, self.template_name, {"form": form, "patient": dx.patient, "diagnosis": dx})

    def post(self, request, pk, dx_id):
        dx = self._get(pk, dx_id)
        form = DiagnosisForm(request.POST, instance=dx, patient=dx.patient)
        if not form.is_valid():
            return render(
                request,
                self.template_name,
                {"form": form, "patient": dx.patient, "diagnosis": dx},
                status=400,
            )
        # the comparison and the save under the row's lock: of two clinicians saving at once, the second
        # sees the first's change (before, both compared against the same row and both saved)
        with transaction.atomic():
            current = diagnosis_fingerprint(Diagnosis.objects.select_for_update().get(pk=dx.pk))
            saved = form.cleaned_data["seen"] == current
            if saved:
                form.save()
        if not saved:
            data = request.POST.copy()
            data["seen"] = current
            form = DiagnosisForm(data, instance=self._get(pk, dx_id), patient=dx.patient)
            form.is_valid()
            form.add_error(
                None,
                "Another user changed this diagnosis after you opened it, so your changes were "
                "NOT saved. Your entries are shown below; save again to replace theirs.",
            )
            return render(
                request,
                self.template_name,
                {"form": form, "patient": dx.patient, "diagnosis": dx},
                status=409,
            )
        messages.success(request, f"Diagnosis {dx.icd10} saved.")
        return _back_to(pk, "diagnoses")


class DiagnosisDeleteView(ClinicianView):
    def post(self, request, pk, dx_id):
        dx = get_object_or_404(Diagnosis, pk=dx_id, patient_id=pk)
        dx.delete()
        done = f"Diagnosis {dx.icd10} removed."
        if request.htmx:
            return _block(request, pk, DIAGNOSES, done=done)
        messages.success(request, done)
        return _back_to(pk, "diagnoses")


def _medications_block(request, pk, form=None, status=200, **extra):
    """The patient page's Medications card, for htmx to swap in. `extra`: `editing` (the id of the row shown
    as a form) with `edit_form`; `focus_row` / `focus_edit` (the id of the row, or of the Edit button of the
    row, that takes the focus after the swap)."""
    patient = _record_or_404(pk)
    context = patient_page_context(patient, medication_form=form or MedicationForm(), **extra)
    context["block"] = "patients/includes/medications.html"  # with the readiness panel, out of band
    return render(request, "patients/includes/block.html", context, status=status)


def _dose_warning(name: str, daily) -> str:
    """Why a daily dose looks like an entry error: above the maximum the formulary records (A15)."""
    drug = current_formulary().resolve(name)
    limit = drug.max_daily_mg if drug is not None else None
    if limit is None or daily is None or float(daily) <= limit:
        return ""
    return (
        f"{float(daily):g} mg a day is above the labelled maximum of {limit:g} mg a day for {drug.generic}. "
        "Check the dose and frequency; if they are right, tick the box to keep them."
    )


class MedicationAddView(ClinicianView):
    def post(self, request, pk):
        patient = get_object_or_404(Patient, pk=pk)
        form = MedicationForm(request.POST)
        if not form.is_valid():
            if request.htmx:
                return _medications_block(request, pk, form)
            return _page_with_errors(request, pk, medication_form=form)
        data = form.cleaned_data
        warning = _dose_warning(data["name"], form.daily_mg())
        if warning and not data.get("confirm_dose"):
            # a warning, not a refusal: the form comes back with every value and a box to keep the dose
            form.dose_warning = warning
            if request.htmx:
                return _medications_block(request, pk, form)
            return render(
                request,
                "patients/patient_detail.html",
                patient_page_context(_record_or_404(pk), medication_form=form),
            )
        medication_add(
            patient=patient,
            name=data["name"],
            dose_mg=data["dose_mg"],
            times_per_day=data["times_per_day"],
            as_needed=data["as_needed"],
            max_doses_per_day=data["max_doses_per_day"],
        )
        if request.htmx:
            return _medications_block(request, pk)
        return _back_to(pk, "medications")


class MedicationDeleteView(ClinicianView):
    def post(self, request, pk, med_id):
        medication = get_object_or_404(
            MedicationEntry.objects.select_related("patient"), pk=med_id, patient_id=pk
        )
        medication_remove(medication=medication)
        if request.htmx:
            return _medications_block(request, pk)
        return _back_to(pk, "medications")


class MedicationEditView(ClinicianView):
    """A listed medication's dose and frequency, changed in place (issue 17). With htmx, the patient page's
    row becomes a form inside the Medications card (and Cancel, `?cancel`, turns it back); without
    JavaScript, a page of its own. The dose is checked against the formulary as on adding, and a row
    someone else changed after it was opened is not overwritten."""

    template_name = "patients/medication_form.html"

    def _get(self, pk, med_id):
        return get_object_or_404(MedicationEntry.objects.select_related("patient"), pk=med_id, patient_id=pk)

    def _show(self, request, medication, form, status=200):
        if request.htmx:  # 200 whatever the outcome: htmx swaps only a success
            return _medications_block(request, medication.patient_id, editing=medication.pk, edit_form=form)
        context = {"form": form, "patient": medication.patient, "medication": medication}
        return render(request, self.template_name, context, status=status)

    def get(self, request, pk, med_id):
        medication = self._get(pk, med_id)
        if "cancel" in request.GET:  # htmx: the card as it is, the focus back on the row's Edit button
            audit_record(action="view", request=request, obj=medication, detail="medications")
            if request.htmx:
                return _medications_block(request, pk, focus_edit=medication.pk)
            return _back_to(pk, "medications")
        audit_record(action="view", request=request, obj=medication, detail="edit medication")
        return self._show(request, medication, MedicationEditForm(instance=medication))

    def post(self, request, pk, med_id):
        medication = self._get(pk, med_id)
        # a bound form sets the typed values on its instance: a copy, so `medication` stays the saved row
        form = MedicationEditForm(request.POST, instance=copy(medication))
        if not form.is_valid():
            return self._show(request, medication, form, status=400)
        data = form.cleaned_data
        warning = _dose_warning(medication.name, form.daily_mg())
        if warning and not data.get("confirm_dose"):
            form.dose_warning = warning  # as on adding: every value back, with a box to keep the dose
            return self._show(request, medication, form)
        try:
            medication_update(
                medication=medication,
                dose_mg=data["dose_mg"],
                times_per_day=data["times_per_day"],
                as_needed=data["as_needed"],
                max_doses_per_day=data["max_doses_per_day"],
                user=request.user,
                seen=data["seen"],
            )
        except MedicationEntry.DoesNotExist as exc:  # removed by someone else meanwhile
            raise Http404("No such medication") from exc
        except StaleEdit:
            return self._stale(request, pk, med_id)
        if request.htmx:
            return _medications_block(request, pk, focus_row=medication.pk)
        messages.success(request, f"{medication.name}: dose and frequency saved.")
        return _back_to(pk, "medications")

    def _stale(self, request, pk, med_id):
        current = self._get(pk, med_id)
        data = request.POST.copy()
        data["seen"] = medication_fingerprint(current)  # saving again replaces what is saved now
        form = MedicationEditForm(data, instance=copy(current))
        form.is_valid()
        form.add_error(
            None,
            "Another user changed this medication after you opened it, so your changes were NOT saved. "
            "Your entries are shown below, with the values now saved; save again to replace them.",
        )
        return self._show(request, current, form, status=409)


class MedicationsReconcileView(ClinicianView):
    def post(self, request, pk):
        patient = get_object_or_404(Patient, pk=pk)
        try:
            medications_reconcile(patient=patient, user=request.user, seen=request.POST.get("seen", ""))
        except StaleEdit:
            refused = (
                "The medication list changed after you opened it, so it was NOT attested. "
                "Review the list below and attest again."
            )
            if request.htmx:
                return _medications_block(request, pk, refused=refused)
            messages.error(request, refused)
            return _back_to(pk, "medications")
        done = (
            "Medication list attested as complete."
            if patient.medications.exists()
            else "Attested: no current medications."
        )
        if request.htmx:
            return _medications_block(request, pk, done=done)
        messages.success(request, done)
        return _back_to(pk, "medications")


class ReadingAddView(ClinicianView):
    def post(self, request, pk):
        patient = get_object_or_404(Patient, pk=pk)
        form = BloodPressureForm(request.POST)
        if not form.is_valid():
            if request.htmx:
                return _block(request, pk, READINGS, bp_form=form)
            return _page_with_errors(request, pk, bp_form=form)
        reading = form.save(commit=False)
        reading.patient = patient
        try:
            with transaction.atomic():
                reading.save()
        except IntegrityError:  # the database constraint is the guarantee behind the form
            form.add_error(None, "This reading breaks a blood pressure range rule and was not saved.")
            if request.htmx:
                return _block(request, pk, READINGS, bp_form=form)
            return _page_with_errors(request, pk, bp_form=form)
        done = f"Blood pressure {reading.systolic}/{reading.diastolic} recorded."
        if request.htmx:
            return _block(request, pk, READINGS, done=done, added=reading.pk)
        messages.success(request, done)
        return _back_to(pk, "blood-pressure")


class ReadingDeleteView(ClinicianView):
    def post(self, request, pk, reading_id):
        reading = get_object_or_404(BloodPressureReading, pk=reading_id, patient_id=pk)
        reading.delete()
        if request.htmx:
            return _block(request, pk, READINGS, done="Reading removed.")
        messages.success(request, "Reading removed.")
        return _back_to(pk, "blood-pressure")


class FormularySuggestView(ClinicianView):
    """htmx: what the typed name resolves to, plus suggestions for the datalist."""

    def post(self, request):  # POST: what the clinician types stays out of URLs and access logs
        name = request.POST.get("name", "").strip()
        formulary = current_formulary()
        return render(
            request,
            "patients/includes/formulary_suggest.html",
            {
                "name": name,
                "hit": formulary.lookup(name) if name else None,
                "ambiguous": formulary.is_ambiguous(name),
                "suggestions": formulary.suggest(name) if len(name) >= 2 else [],
            },
        )
