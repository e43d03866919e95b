"""The home page's worklists and the patient list's latest-screening cells, contributed by the screening
app so that core and patients never import it (`{% load worklist %}`)."""

from html import escape

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from core.roles import READ_REPORTS, has_any_role
from core.templatetags.row_urls import row

from ..worklist import latest_screenings

register = template.Library()


@register.inclusion_tag("screening/includes/worklists_slot.html", takes_context=True)
def worklists(context):
    """Where the home page's worklists go: fetched once the page shows (screening:worklists), for the roles
    that have worklists; nothing for the others."""
    return {"has_worklists": has_any_role(context["request"].user, READ_REPORTS)}


def _latest_cell(latest, report_url) -> str:
    """The patient list's "Latest screening" cell (templates/patients/patient_list.html)."""
    if not latest:
        return '<span class="small text-body-secondary">not screened</span>'
    screening, state, verdict = latest["screening"], latest["state"], latest["verdict"]
    engine = (
        f' <span class="small text-body-secondary">(engine: {escape(screening.verdict.replace("_", ""))})</span>'
        if state.changed_by_overrides
        else ""
    )
    current = "current" if state.currency.current else "<strong>not current</strong>"
    return (
        f'<a href="{escape(report_url(screening.pk))}" class="badge verdict-badge {escape(verdict["css"])} '
        f'text-decoration-none">{escape(verdict["symbol"])} {escape(verdict["label"])}</a>{engine} '
        f'<span class="small">{timezone.localtime(screening.created_at).strftime("%Y-%m-%d")} · '
        f"{escape(state.decision_text.lower())} · {current}</span>"
    )


def _patient_list_rows_html(patients, latest, detail_url, report_url) -> SafeString:
    """The patient list's rows: `latest` maps a patient id to its latest screening's row
    (screening.worklist.latest_screenings); `detail_url(pk)` and `report_url(pk)` write the links."""
    rows = []
    for p in patients:
        url = escape(detail_url(p.pk))
        born = p.date_of_birth.strftime("%Y-%m-%d") if p.date_of_birth else ""
        rows.append(
            f'<tr><td><a href="{url}">{escape(p.mrn)}</a></td>'
            f'<td><a href="{url}">{escape(p.family_name)}, {escape(p.given_name)}</a></td>'
            f"<td>{born}</td><td>{escape(str(p.get_sex_at_birth_display()))}</td>"
            f"<td>{_latest_cell(latest.get(p.pk), report_url)}</td></tr>"
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - every value is escaped


@register.simple_tag
def patient_list_rows(patients, detail_url: str, report_url: str):
    """The patient list's rows (templates/patients/patient_list.html) with each patient's latest screening:
    its verdict, decision and currency. Written in Python, not a template loop (issue 16)."""
    return _patient_list_rows_html(
        patients, latest_screenings(patients), lambda pk: row(detail_url, pk), lambda pk: row(report_url, pk)
    )
