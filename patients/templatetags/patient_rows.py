"""{% load patient_rows %}: the patient page's medication and reading rows, written by patients/html_rows.py
(a template loop cost most of the page's time on a long record; issue 16)."""

from django import template
from django.template.loader import get_template

from core.templatetags.row_urls import row

from ..html_rows import medication_rows_html, reading_rows_html

register = template.Library()


@register.simple_tag(takes_context=True)
def medication_rows(context, medications, edit_url: str, delete_url: str):
    """The Medications table's rows; the row being edited gets the edit form's template as its cells."""

    def edit_cells(m) -> str:
        fields = get_template("patients/includes/medication_edit_fields.html")
        values = {**context.flatten(), "saved": m, "in_row": True, "edit_url": row(edit_url, m.pk)}
        return fields.render(values, context.get("request"))

    return medication_rows_html(
        medications,
        editing=context.get("editing"),
        focus_row=context.get("focus_row"),
        focus_edit=context.get("focus_edit"),
        edit_url=lambda pk: row(edit_url, pk),
        delete_url=lambda pk: row(delete_url, pk),
        edit_cells=edit_cells,
    )


@register.simple_tag(takes_context=True)
def reading_rows(context, readings, delete_url: str):
    return reading_rows_html(readings, context.get("added"), lambda pk: row(delete_url, pk))
