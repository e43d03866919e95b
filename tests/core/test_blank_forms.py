"""The blank add forms are crispy's markup, made once per process; a bound form is never cached."""

import pytest
from django.template import Context, Template
from django.test import override_settings

from core.templatetags import blank_forms
from patients.forms import BloodPressureForm, DiagnosisForm, MedicationForm

MEDICATION_FIELDS = ["name", "dose_mg", "times_per_day", "max_doses_per_day", "as_needed"]


def crispy(form) -> str:
    return Template("{% load crispy_forms_tags %}{% crispy form %}").render(Context({"form": form}))


def crispy_field(field) -> str:
    return Template("{% load crispy_forms_tags %}{{ field|as_crispy_field }}").render(
        Context({"field": field})
    )


def blank(form) -> str:
    return Template("{% load blank_forms %}{% blank_crispy form %}").render(Context({"form": form}))


def blank_field(field) -> str:
    return Template("{% load blank_forms %}{{ field|blank_crispy_field }}").render(Context({"field": field}))


@pytest.fixture(autouse=True)
def fresh_cache():
    blank_forms.clear()
    yield
    blank_forms.clear()


@pytest.mark.django_db
@pytest.mark.parametrize("make", [DiagnosisForm, BloodPressureForm], ids=["diagnosis", "reading"])
def test_a_blank_form_is_crispys_markup_made_once(make):
    expected = crispy(make())
    assert 'name="' in expected
    assert blank(make()) == expected  # made
    assert blank(make()) == expected  # reused
    assert len(blank_forms._rendered) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("name", MEDICATION_FIELDS)
def test_a_blank_field_is_crispys_markup(name):
    expected = crispy_field(MedicationForm()[name])
    assert blank_field(MedicationForm()[name]) == expected
    assert blank_field(MedicationForm()[name]) == expected
    assert len(blank_forms._rendered) == 1


@pytest.mark.django_db
def test_each_field_and_form_has_its_own_entry():
    for name in MEDICATION_FIELDS:
        blank_field(MedicationForm()[name])
    blank(DiagnosisForm())
    assert len(blank_forms._rendered) == len(MEDICATION_FIELDS) + 1
    assert blank_field(MedicationForm()["dose_mg"]) != blank_field(MedicationForm()["name"])


@pytest.mark.django_db
def test_initial_values_are_part_of_the_key():
    """A reading's time defaults to now: another minute is another rendering, never the old one."""
    first = BloodPressureForm(initial={"taken_on": "2026-12-02", "taken_time": "10:00"})
    later = BloodPressureForm(initial={"taken_on": "2026-12-02", "taken_time": "10:01"})
    assert 'value="10:00"' in blank(first)
    assert 'value="10:01"' in blank(later)
    assert 'value="10:00"' not in blank(later)


@pytest.mark.django_db
def test_a_bound_form_shows_its_values_and_errors_every_time():
    blank(BloodPressureForm())
    bad = BloodPressureForm(
        data={"taken_on": "2026-12-01", "taken_time": "10:00", "systolic": "90", "diastolic": "150"}
    )
    assert not bad.is_valid()
    html = blank(bad)
    assert html == crispy(bad)
    assert 'value="150"' in html and "must be below systolic" in html
    other = BloodPressureForm(
        data={"taken_on": "2026-12-01", "taken_time": "10:00", "systolic": "140", "diastolic": "300"}
    )
    assert not other.is_valid()
    assert 'value="300"' in blank(other) and 'value="150"' not in blank(other)
    assert len(blank_forms._rendered) == 1  # only the blank one


@pytest.mark.django_db
def test_a_bound_field_is_never_cached():
    form = MedicationForm(data={"name": "Sertraline", "dose_mg": "-5"})
    assert not form.is_valid()
    html = blank_field(form["dose_mg"])
    assert html == crispy_field(form["dose_mg"])
    assert 'value="-5"' in html and "greater than 0" in html
    assert blank_forms._rendered == {}


@pytest.mark.django_db
def test_the_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(blank_forms, "MAX_ENTRIES", 3)
    for minute in range(10):
        blank(BloodPressureForm(initial={"taken_time": f"10:{minute:02d}"}))
        assert len(blank_forms._rendered) <= 3


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_debug_renders_every_time():
    assert blank(DiagnosisForm()) == crispy(DiagnosisForm())
    assert blank_forms._rendered == {}
