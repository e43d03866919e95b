"""The home page's worklists and the patient list's latest-screening cells, contributed by the screening
app so that core and patients never import it (`{% load worklist %}`)."""

from django import template

from core.roles import READ_REPORTS, has_any_role

from ..worklist import latest_screenings

register = template.Library()


@register.inclusion_tag("screening/includes/worklists_slot.html", takes_context=True)
def worklists(context):
    """Where the home page's worklists go: fetched once the page shows (screening:worklists), for the roles
    that have worklists; nothing for the others."""
    return {"has_worklists": has_any_role(context["request"].user, READ_REPORTS)}


@register.simple_tag
def latest_screening_rows(patients):
    """{% latest_screening_rows patients as latest %}: patient id -> its latest screening's row."""
    return latest_screenings(patients)


@register.filter
def for_patient(rows, patient):
    return rows.get(patient.pk)
