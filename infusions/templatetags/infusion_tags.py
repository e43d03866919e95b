"""What the infusions app shows on other apps' pages and its own: the patient page's Infusions section
(`{% load infusion_tags %}{% patient_infusions patient %}`, so the patients app never imports this one), and
the words of a reading and of a RASS score."""

from django import template
from django.urls import reverse

from core.roles import EDIT_RECORDS, has_any_role

from ..forms import RASS_LABELS, rass_text
from ..selectors import infusions_read_with, patient_series

register = template.Library()

STAGE_WORDS = {
    "check": "Day-of check open",
    "authorized": "Dose authorized",
    "given": "Dose given, not discharged",
    "discharged": "Discharged, not signed",
}


@register.inclusion_tag("infusions/includes/patient_infusions.html", takes_context=True)
def patient_infusions(context, patient):
    """The patient's infusion series: its status line (with the prompt to reassess), each infusion (day,
    where it stands or how it ended, link) and, for those who record, the button to start the day-of check.
    No query of its own for a patient page's record, which holds the infusions; the series reads the same rows
    as the list."""
    infusions = infusions_read_with(patient)
    request = context.get("request")
    return {
        "patient": patient,
        "series": patient_series(patient, infusions) if infusions else None,
        "rows": [
            {
                "infusion": infusion,
                "url": reverse("infusions:detail", args=[infusion.pk]),
                "where": infusion.get_outcome_display()
                if infusion.signed_at
                else STAGE_WORDS[infusion.stage],
            }
            for infusion in infusions
        ],
        "can_start": request is not None and has_any_role(request.user, EDIT_RECORDS),
    }


@register.filter
def reading(infusion, prefix: str) -> str:
    """A reading of the record in words: "128/82 mmHg, heart rate 72 bpm"; "not recorded" when there is none."""
    systolic, diastolic, heart_rate = infusion.readings(prefix)
    if systolic is None:
        return "not recorded"
    said = f"{systolic}/{diastolic} mmHg"
    return f"{said}, heart rate {heart_rate} bpm" if heart_rate is not None else said


@register.filter
def rass_words(value) -> str:
    return rass_text(value) if value in RASS_LABELS else "not assessed"
