"""Baseline measures on the patient page (issue 18): a page per instrument to enter one, and removal of
one entered in error. Scores are computed from the answers (screening/engine/measures.py)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from core.audit import audit_record
from screening.engine.measures import INSTRUMENTS, MeasureInvalid

from .measure_forms import MeasureForm
from .models import Measure, Patient
from .services import measure_record, measure_remove
from .views import ClinicianView


def _back(pk):
    return redirect(reverse("patients:detail", kwargs={"pk": pk}) + "#measures")


class MeasureAddView(ClinicianView):
    template_name = "patients/measure_form.html"

    def _render(self, request, patient, form, status=200):
        context = {"patient": patient, "form": form, "measure": INSTRUMENTS[form.instrument]}
        return render(request, self.template_name, context, status=status)

    @staticmethod
    def _patient(pk, instrument):  # after the role check (the mixin's dispatch): a 404 tells nothing first
        if instrument not in INSTRUMENTS:
            raise Http404("No such measure")
        return get_object_or_404(Patient, pk=pk)

    def get(self, request, pk, instrument):
        patient = self._patient(pk, instrument)
        audit_record(action="view", request=request, obj=patient, detail=f"add {instrument}")
        return self._render(request, patient, MeasureForm(instrument))

    def post(self, request, pk, instrument):
        patient = self._patient(pk, instrument)
        form = MeasureForm(instrument, request.POST)
        if not form.is_valid():
            return self._render(request, patient, form, status=400)
        try:
            measure = measure_record(
                patient=patient,
                instrument=instrument,
                administered_on=form.cleaned_data["administered_on"],
                answers=form.answers(),
                user=request.user,
            )
        except MeasureInvalid as exc:  # the service's own checks (a date in the future)
            form.add_measure_errors(exc)
            return self._render(request, patient, form, status=400)
        messages.success(request, f"Recorded: {measure.score.summary}, {measure.administered_on:%Y-%m-%d}.")
        return _back(pk)


class MeasureDeleteView(ClinicianView):
    def post(self, request, pk, measure_id):
        measure = get_object_or_404(Measure, pk=measure_id, patient_id=pk)
        measure_remove(measure=measure, user=request.user)
        messages.success(request, f"{measure} removed.")
        return _back(pk)
