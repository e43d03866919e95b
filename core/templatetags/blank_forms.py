"""crispy's markup for a blank add form, rendered once per process and reused (issue 16).

A blank (unbound) add form renders the same markup on every page that shows it: the patient page's
diagnosis, medication and blood pressure forms cost about 10 ms each through crispy's templates, per
request. `{% blank_crispy form %}` and `{{ form.field|blank_crispy_field }}` keep crispy's output byte for
byte (a test compares them), made once per form class, field and initial values. A bound form (a failed
submit, with its values and errors) is rendered by crispy every time, never cached. DEBUG turns the cache
off, so an edited template shows at once.

Only blank forms with no patient data go through here: their initial values (a reading's "now", say) are
part of the key, and the cache holds at most MAX_ENTRIES renderings per process."""

from __future__ import annotations

from threading import Lock

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from crispy_forms.utils import render_crispy_form
from django import template
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

MAX_ENTRIES = 64
_rendered: dict[tuple, SafeString] = {}
_lock = Lock()


def _key(form, field: str | None) -> tuple:
    initial = tuple(sorted((name, str(value)) for name, value in form.initial.items()))
    return (type(form).__module__, type(form).__qualname__, form.prefix, field, initial)


def _cached(form, field: str | None, render) -> SafeString:
    if form.is_bound or settings.DEBUG:
        return render()
    key = _key(form, field)
    html = _rendered.get(key)
    if html is None:
        html = mark_safe(str(render()))  # noqa: S308 - crispy's own escaped output, kept as it is
        with _lock:
            if len(_rendered) >= MAX_ENTRIES:
                _rendered.clear()
            _rendered[key] = html
    return html


@register.simple_tag
def blank_crispy(form) -> SafeString:
    """`{% crispy form %}` for a form whose helper has no form tag and no CSRF input."""
    return _cached(form, None, lambda: render_crispy_form(form, helper=form.helper))


@register.filter
def blank_crispy_field(field) -> SafeString:
    """`{{ field|as_crispy_field }}`."""
    return _cached(field.form, field.name, lambda: as_crispy_field(field))


def clear() -> None:
    """Forget every rendering (tests)."""
    with _lock:
        _rendered.clear()
