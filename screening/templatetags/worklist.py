"""The home page's worklists and the patient list's latest-screening cells, contributed by the screening
app so that core and patients never import it (`{% load worklist %}`)."""

from django import template

from ..worklist import latest_screenings, worklists_for

register = template.Library()


@register.inclusion_tag("screening/includes/worklists.html", takes_context=True)
def worklists(context):
    return {"worklists": worklists_for(context["request"].user), "user": context["request"].user}


@register.simple_tag
def latest_screening_rows(patients):
    """{% latest_screening_rows patients as latest %}: patient id -> its latest screening's row."""
    return latest_screenings(patients)


@register.filter
def for_patient(rows, patient):
    return rows.get(patient.pk)
