"""URLs of a table's rows, reversed once per table instead of once per row (the patient page has a remove
button per medication, diagnosis and reading):

    {% load row_urls %}
    {% row_url_pattern "patients:medication_delete" patient.pk as delete_url %}
    {% for m in medications %}<form action="{{ delete_url|row:m.pk }}">...{% endfor %}

The pattern is the real URL with a placeholder id, so urls.py stays the only place a path is written."""

from django import template
from django.urls import reverse

register = template.Library()

PLACEHOLDER = 2147483647  # an id no row has, never written by hand in a path


@register.simple_tag
def row_url_pattern(name: str, *args) -> str:
    url = reverse(name, args=[*args, PLACEHOLDER])
    if url.count(str(PLACEHOLDER)) != 1:
        raise template.TemplateSyntaxError(f"{name}: the row id must appear exactly once in its URL")
    return url


@register.filter
def row(pattern: str, pk) -> str:
    return pattern.replace(str(PLACEHOLDER), str(int(pk)))
