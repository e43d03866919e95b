"""Patient pages: list and search, create, the patient record, section edits, export, history."""

import json
import logging

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import ListView

from core.audit import audit_record, patient_accesses
from core.pagination import ScalablePagesMixin
from core.roles import EDIT_RECORDS, RoleRequiredMixin, is_physician
from core.search import SessionSearchMixin
from screening.engine.measures import INSTRUMENTS as MEASURE_INSTRUMENTS

from .forms import (
    NONE_OF_THESE,
    BloodPressureForm,
    DiagnosisForm,
    MedicationForm,
    PatientForm,
    none_of_these_values,
    section_form_class,
)
from .history import patient_changes
from .html_rows import answer_rows_html
from .measure_chart import risk_svg, trend_svg
from .models import ANSWER_SECTIONS, Patient
from .selectors import (
    SECTION_LABELS,
    intake_document,
    medication_list_fingerprint,
    patient_list_first,
    patient_page_record,
    patient_record,
    patient_search,
    section_completeness,
)
from .services import StaleEdit, patient_section_update

log = logging.getLogger(__name__)
DUPLICATE_MRN = (
    "Another patient was given this MRN a moment ago, so nothing was saved. Search for that patient, or "
    "check the MRN and save again."
)


class ClinicianView(RoleRequiredMixin, View):
    required_roles = EDIT_RECORDS


class PatientListView(RoleRequiredMixin, SessionSearchMixin, ScalablePagesMixin, ListView):
    # deep pages and the count stay cheap at 100,000 patients; Next and Previous walk from a row
    required_roles = EDIT_RECORDS
    template_name = "patients/patient_list.html"
    paginate_by = 25
    context_object_name = "patients"
    search_key = "patient_search"

    def get_queryset(self):
        return patient_search(self.query)

    def get_paginator(self, *args, **kwargs):
        paginator = super().get_paginator(*args, **kwargs)
        if not self.query:  # the whole list's first page: its rows and their latest screenings in one query
            paginator.read_first = patient_list_first
        return paginator

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = context["page_obj"]
        audit_record(
            action="view",
            request=self.request,
            object_type="patient_list",
            detail=f"page {page.number}, {len(context['patients'])} rows{', searched' if self.query else ''}",
        )
        return context


class PatientCreateView(ClinicianView):
    template_name = "patients/patient_form.html"

    def get(self, request):
        return render(request, self.template_name, {"form": PatientForm(), "creating": True})

    def post(self, request):
        form = PatientForm(request.POST)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form, "creating": True}, status=400)
        patient = form.save(commit=False)
        patient._history_user = request.user
        try:
            with transaction.atomic():
                patient.save()
        except IntegrityError:
            # another request stored the same MRN between the form's check and this save: say so, keep
            # every value, and log nothing that names the patient (the database's message quotes the MRN)
            log.warning("patient create refused by a unique constraint (concurrent duplicate)")
            form.add_error("mrn", DUPLICATE_MRN)
            return render(request, self.template_name, {"form": form, "creating": True}, status=409)
        messages.success(request, f"Patient {patient.mrn} created. Every answer starts as unknown.")
        return redirect("patients:detail", pk=patient.pk)


class PatientEditView(ClinicianView):
    template_name = "patients/patient_form.html"
    section = "patient"

    def get(self, request, pk):
        patient = get_object_or_404(Patient, pk=pk)
        audit_record(action="view", request=request, obj=patient, detail="edit details")
        form = PatientForm(instance=patient, initial={"version": patient.section_version(self.section)})
        return render(request, self.template_name, {"form": form, "patient": patient})

    def post(self, request, pk):
        patient = get_object_or_404(Patient, pk=pk)
        form = PatientForm(request.POST, instance=patient)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form, "patient": patient}, status=400)
        values = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            patient_section_update(
                patient_id=pk,
                section=self.section,
                values=values,
                expected_version=form.cleaned_data.get("version") or 0,
                user=request.user,
            )
        except IntegrityError:
            log.warning("patient edit refused by a unique constraint (concurrent duplicate)")
            form.add_error("mrn", DUPLICATE_MRN)
            return render(request, self.template_name, {"form": form, "patient": patient}, status=409)
        except StaleEdit:
            return _stale(request, self.template_name, form, pk, self.section, {"patient": patient})
        messages.success(request, "Patient details saved.")
        return redirect("patients:detail", pk=pk)


def _stale_form(form, pk, section):
    """The refused form again, with the current version (a second save replaces the other user's) and why."""
    current = Patient.objects.get(pk=pk)
    data = form.data.copy()
    data["version"] = current.section_version(section)
    form = type(form)(data, instance=current)
    form.is_valid()
    form.add_error(
        None,
        "Another user saved this section after you opened it, so your changes were NOT saved. "
        "Your entries are shown below; the values saved by the other user are listed on the "
        "patient page. Save again to replace them.",
    )
    return form


def _stale(request, template, form, pk, section, context):
    form = _stale_form(form, pk, section)
    return render(request, template, {**context, "form": form, "stale": True}, status=409)


class PatientDetailView(ClinicianView):
    template_name = "patients/patient_detail.html"

    def get(self, request, pk):
        try:
            patient = patient_page_record(pk)
        except Patient.DoesNotExist as exc:
            raise Http404("No such patient") from exc
        audit_record(action="view", request=request, obj=patient, detail="patient page")
        context = patient_page_context(patient)
        if is_physician(request.user):
            context["accesses"] = patient_accesses(patient.pk)
        return render(request, self.template_name, context)


def section_card(patient, key: str, completeness, form=None, saved: bool = False) -> dict:
    """One answer section of the patient page as its card renders it (templates/patients/includes/
    section_card.html): every answer with its choices and current value, or, after a refused save, the
    values as typed with each field's errors (`form`, bound)."""
    fields = []
    for name in ANSWER_SECTIONS[key]:
        model_field = Patient._meta.get_field(name)
        if form is not None:
            value = form.data.get(name, "")
        else:
            value = getattr(patient, name)
            value = "" if value is None else str(value)
        fields.append(
            {
                "name": name,
                "id": f"id_{name}",
                "label": model_field.verbose_name.capitalize(),
                "value": value,
                "choices": [c for c in model_field.choices if c[0] != ""] if model_field.choices else None,
                "help": model_field.help_text,
                "errors": form.errors.get(name, []) if form is not None else [],
            }
        )
    return {
        "key": key,
        "label": SECTION_LABELS[key].capitalize(),
        "completeness": completeness,
        "url": reverse("patients:section", args=[patient.pk, key]),
        "version": form.data.get("version", "") if form is not None else patient.section_version(key),
        "fields": fields,
        "rows": answer_rows_html(fields),
        "form": form,
        "saved": saved,
        "none_of_these": key in NONE_OF_THESE,
    }


def measure_context(patient) -> dict:
    """The Measures card: each administration with its computed score and a flag where a rule will read
    it (C-SSRS intent, plan or recent behaviour; PHQ-9 item 9), a trend per instrument (the C-SSRS by risk
    level: it has no total), the add links."""
    rows = []
    by_instrument: dict[str, list] = {}
    for measure in patient.measures.all():
        score = measure.score
        rows.append({"row": measure, "score": score, "flag": score.flag})
        value = score.total if score.total is not None else score.band
        by_instrument.setdefault(measure.instrument, []).append((measure.administered_on, value))
    return {
        "measures": rows,
        "measure_trends": [
            {
                "name": MEASURE_INSTRUMENTS[key].name,
                "svg": trend_svg(key, points) if MEASURE_INSTRUMENTS[key].summed else risk_svg(points),
            }
            for key, points in by_instrument.items()
        ],
        "measure_kinds": [
            {"name": m.name, "add_url": reverse("patients:measure_add", args=[patient.pk, key])}
            for key, m in MEASURE_INSTRUMENTS.items()
        ],
    }


def patient_page_context(patient, **overrides):
    completeness = section_completeness(patient)
    context = {
        "patient": patient,
        "sections": [section_card(patient, key, completeness[key]) for key in ANSWER_SECTIONS],
        "diagnoses": list(patient.diagnoses.all()),
        "medications": list(patient.medications.all()),
        "medications_seen": medication_list_fingerprint(patient.medications.all()),
        "readings": list(patient.bp_readings.all()),
        "diagnosis_form": DiagnosisForm(patient=patient),
        "medication_form": MedicationForm(),
        "bp_form": BloodPressureForm(),
        **measure_context(patient),
    }
    context.update(overrides)
    return context


class SectionEditView(ClinicianView):
    template_name = "patients/section_form.html"

    def dispatch(self, request, *args, **kwargs):
        if kwargs["section"] not in ANSWER_SECTIONS:
            raise Http404("No such section")
        return super().dispatch(request, *args, **kwargs)

    def _context(self, patient, section, form, **extra):
        return {
            "patient": patient,
            "section": section,
            "section_label": SECTION_LABELS[section],
            "form": form,
            "none_of_these": section in NONE_OF_THESE,
            **extra,
        }

    def get(self, request, pk, section):
        patient = get_object_or_404(Patient, pk=pk)
        audit_record(action="view", request=request, obj=patient, detail=f"edit {section}")
        form = section_form_class(section)(
            instance=patient, initial={"version": patient.section_version(section)}
        )
        return render(request, self.template_name, self._context(patient, section, form))

    def post(self, request, pk, section):
        patient = get_object_or_404(Patient, pk=pk)
        form_class = section_form_class(section)
        data = request.POST.copy()
        if "none_of_these" in data and section in NONE_OF_THESE:
            data.update(none_of_these_values(section))
        form = form_class(data, instance=patient)
        if not form.is_valid():
            if request.htmx:
                return _section_block(request, pk, section, form=form)
            return render(request, self.template_name, self._context(patient, section, form), status=400)
        values = {name: form.cleaned_data[name] for name in ANSWER_SECTIONS[section]}
        try:
            patient_section_update(
                patient_id=pk,
                section=section,
                values=values,
                expected_version=form.cleaned_data["version"],
                user=request.user,
            )
        except StaleEdit:
            if request.htmx:
                return _section_block(request, pk, section, form=_stale_form(form, pk, section))
            return _stale(
                request, self.template_name, form, pk, section, self._context(patient, section, form)
            )
        if request.htmx:
            return _section_block(request, pk, section, saved=True)
        messages.success(request, f"{SECTION_LABELS[section].capitalize()} answers saved.")
        return redirect(reverse("patients:detail", kwargs={"pk": pk}) + f"#section-{section}")


def _section_block(request, pk, section, form=None, saved=False):
    """htmx: the section's card (saved, or refused with the values as typed and each error) and, out of
    band, the readiness panel it changes."""
    patient = patient_record(pk)
    card = section_card(patient, section, section_completeness(patient)[section], form=form, saved=saved)
    return render(request, "patients/includes/section_block.html", {"s": card, "patient": patient})


class PatientExportView(ClinicianView):
    def get(self, request, pk):
        try:
            patient = patient_record(pk)
        except Patient.DoesNotExist as exc:
            raise Http404("No such patient") from exc
        doc = intake_document(patient, timezone.localdate())
        audit_record(action="export", request=request, obj=patient, detail="intake document")
        response = HttpResponse(
            json.dumps(doc, indent=2, ensure_ascii=False), content_type="application/json"
        )
        # the file name carries the record id only, never a name
        response["Content-Disposition"] = f'attachment; filename="intake-{patient.pk}.json"'
        return response


class PatientHistoryView(ClinicianView):
    template_name = "patients/patient_history.html"

    def get(self, request, pk):
        patient = get_object_or_404(Patient, pk=pk)
        with transaction.atomic():
            changes = patient_changes(patient)
        audit_record(action="view", request=request, obj=patient, detail="change history")
        return render(request, self.template_name, {"patient": patient, "changes": changes})
