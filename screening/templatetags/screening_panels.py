"""Panels the screening app contributes to other apps' pages, so that those apps never import it (the
patient page shows the patient's screenings with `{% load screening_panels %}{% patient_screenings patient %}`)."""

from html import escape

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from core.templatetags.row_urls import row, row_url_pattern

from ..readiness import screening_readiness
from ..selectors import HISTORY_ON_PATIENT_PAGE, count_text, screening_count, screening_history

register = template.Library()


@register.inclusion_tag("screening/includes/patient_screenings.html", takes_context=True)
def patient_screenings(context, patient):
    """`patient`: the full record the patient page holds (patients.selectors.patient_record)."""
    rows = screening_history(patient, full_record=True)
    total = screening_count(patient) if len(rows) == HISTORY_ON_PATIENT_PAGE else len(rows)
    return {
        "patient": patient,
        "screenings": rows,
        # counted only when there may be more: a patient with few screenings costs no extra query
        "total": total,
        "total_text": count_text(total),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("screening/includes/readiness.html")
def readiness_panel(patient):
    """What the record still needs before a screening can conclude, with links to fix each."""
    readiness = screening_readiness(patient)
    return {"readiness": readiness, "unknown_total": readiness.unknown_answers}


def _current_cell(row, first: bool, screen_again: str) -> str:
    state = row["state"]
    if state.currency.current:
        return "current"
    said = "<strong>superseded, do not use for clearance</strong>" if state.superseded else "not current"
    reasons = "; ".join(escape(str(reason)) for reason in state.currency.reasons)
    return f'{said}<br><span class="small">{reasons}</span>{screen_again if first else ""}'


def _changes_cell(row) -> str:
    if row["first"]:
        return "first screening"
    added = "".join(f'<span class="text-danger">+{escape(c)}</span> ' for c in row["added"])
    removed = "".join(f'<span class="text-success">−{escape(c)}</span> ' for c in row["removed"])
    return added + removed if added or removed else "no change in findings"


@register.simple_tag(takes_context=True)
def screening_history_rows(context, rows, patient, current_actions: bool) -> SafeString:
    """The rows of a patient's screening history (templates/screening/includes/screening_rows.html), written
    in Python rather than a template loop (issue 16). `current_actions`: the newest row, when not current,
    offers to screen again."""
    detail_url = row_url_pattern("screening:detail")
    screen_again = ""
    if current_actions:
        token = context.get("csrf_token")
        hidden = (
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(str(token))}">'
            if token and str(token) != "NOTPROVIDED"
            else ""
        )
        screen_again = (
            f'<form method="post" action="{escape(reverse("screening:screen_now", args=[patient.pk]))}" '
            f'class="mt-1">{hidden}<button type="submit" class="btn btn-sm btn-outline-primary">Screen again'
            "</button></form>"
        )
    html = []
    for i, r in enumerate(rows):
        screening, verdict, original = r["screening"], r["verdict"], r["original"]
        engine = (
            f'<br><span class="small text-body-secondary">engine: {escape(original["label"])}</span>'
            if original
            else ""
        )
        pk = int(screening.pk)
        html.append(
            f'<tr><td><a href="{escape(row(detail_url, pk))}">{pk}</a></td>'
            f"<td>{timezone.localtime(screening.created_at).strftime('%Y-%m-%d %H:%M')}</td>"
            f'<td><span class="badge verdict-badge {escape(verdict["css"])}">{escape(verdict["symbol"])} '
            f"{escape(verdict['label'])}</span>{engine}</td>"
            f'<td data-testid="decision-{pk}">{escape(r["state"].decision_text)}</td>'
            f'<td data-testid="current-{pk}">{_current_cell(r, i == 0, screen_again)}</td>'
            f'<td class="small">{_changes_cell(r)}</td></tr>'
        )
    return mark_safe("\n".join(html))  # noqa: S308 - every value is escaped
