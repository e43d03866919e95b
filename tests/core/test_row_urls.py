"""Row URLs reversed once per table: the same URL as `{% url %}` for every row."""

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.urls import reverse


def render(source: str, **context) -> str:
    return Template("{% load row_urls %}" + source).render(Context(context))


def test_a_row_url_is_the_reversed_url_of_that_row():
    html = render(
        '{% row_url_pattern "patients:medication_delete" 7 as u %}{% for pk in pks %}{{ u|row:pk }} {% endfor %}',
        pks=[1, 22, 333],
    )
    assert html.split() == [reverse("patients:medication_delete", args=[7, pk]) for pk in (1, 22, 333)]


def test_a_pattern_whose_id_is_not_once_in_the_path_is_refused():
    with pytest.raises(TemplateSyntaxError):
        render('{% row_url_pattern "patients:medication_delete" 2147483647 as u %}')


def test_a_row_id_that_is_not_a_number_is_refused():
    with pytest.raises(ValueError):
        render('{% row_url_pattern "screening:detail" as u %}{{ u|row:"../x" }}')
