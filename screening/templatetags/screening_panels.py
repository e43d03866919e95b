"""Panels the screening app contributes to other apps' pages, so that those apps never import it (the
patient page shows the patient's screenings with `{% load screening_panels %}{% patient_screenings patient %}`)."""

from django import template

from ..selectors import screening_history

register = template.Library()


@register.inclusion_tag("screening/includes/patient_screenings.html", takes_context=True)
def patient_screenings(context, patient):
    return {
        "patient": patient,
        "screenings": screening_history(patient),
        "csrf_token": context.get("csrf_token"),
    }
