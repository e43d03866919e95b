"""Words for the codes in the report page's action forms, whose data the view adds after
presentation.report_context (which puts the rest of the report in words)."""

from django import template

from ..presentation import SEVERITY_WORDS

register = template.Library()


@register.filter
def severity_word(code: str) -> str:
    """ "review" -> "physician review"."""
    return SEVERITY_WORDS.get(code, str(code).replace("_", " "))


@register.filter
def finding_title(rule: str, report: dict) -> str:
    """The title of the report's finding of this rule ("" when the report has none)."""
    return next((f["title"] for f in report["findings"] if f["rule"] == rule), "")
