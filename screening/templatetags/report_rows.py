"""{% load report_rows %}: the report's medication and reading rows, written in Python rather than in template
loops (issue 16): a 40-medication report spent most of its rendering there, on the page and in the PDF
alike. The markup is the template's own; every value from the snapshot is escaped, and the numbers are
formatted by Django's own floatformat filter, as the template did."""

from html import escape

from django import template
from django.template.defaultfilters import floatformat
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


def _mg(value, absent: str) -> str:
    return absent if value is None else f"{escape(str(floatformat(value, '-4')))} mg"


def _text(value) -> str:
    return escape(str(value))


@register.simple_tag
def report_medication_rows(rows) -> SafeString:
    html = []
    for m in rows:
        generic = _text(m["generic"]) if m.get("generic") else "<strong>not in formulary</strong>"
        atc = _text(m["atc"]) if m.get("atc") else "—"
        if m.get("class_words"):
            atc += '<br><span class="small">' + ", ".join(_text(w) for w in m["class_words"]) + "</span>"
        findings = "; ".join(f"{_text(r['title'])} <code>{_text(r['rule'])}</code>" for r in m["findings"])
        html.append(
            f"<tr><td>{_text(m['name'])}</td><td>{generic}</td><td>{atc}</td>"
            f'<td class="text-nowrap">{_mg(m.get("daily_mg"), "unknown")}</td>'
            f'<td class="text-nowrap">{_mg(m.get("diazepam_eq_mg"), "—")}</td>'
            f"<td>{findings or '—'}</td></tr>"
        )
    return mark_safe("\n".join(html))  # noqa: S308 - every value is escaped above


@register.simple_tag
def report_reading_rows(readings) -> SafeString:
    return mark_safe(  # noqa: S308 - every value is escaped
        "".join(
            f"<tr><td>{_text(r['taken_display'])}</td><td>{_text(r['systolic'])}</td>"
            f"<td>{_text(r['diastolic'])}</td><td>{_text(r.get('heart_rate') or '—')}</td></tr>"
            for r in readings
        )
    )
