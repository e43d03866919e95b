"""Panels the screening app contributes to other apps' pages, so that those apps never import it (the
patient page shows the patient's screenings with `{% load screening_panels %}{% patient_screenings patient %}`)."""

from django import template

from ..readiness import screening_readiness
from ..selectors import HISTORY_ON_PATIENT_PAGE, screening_count, screening_history

register = template.Library()


@register.inclusion_tag("screening/includes/patient_screenings.html", takes_context=True)
def patient_screenings(context, patient):
    """`patient`: the full record the patient page holds (patients.selectors.patient_record)."""
    rows = screening_history(patient, full_record=True)
    return {
        "patient": patient,
        "screenings": rows,
        # counted only when there may be more: a patient with few screenings costs no extra query
        "total": screening_count(patient) if len(rows) == HISTORY_ON_PATIENT_PAGE else len(rows),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("screening/includes/readiness.html")
def readiness_panel(patient):
    """What the record still needs before a screening can conclude, with links to fix each."""
    readiness = screening_readiness(patient)
    return {"readiness": readiness, "unknown_total": readiness.unknown_answers}
