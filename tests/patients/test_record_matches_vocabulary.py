"""The patient record is the field table's: every answer of the intake vocabulary is a field of Patient that
starts unknown and offers exactly the vocabulary's values, with the label the page and the PDF show."""

import pytest
from django.utils.text import capfirst

from patients.models import Diagnosis, Patient
from screening.engine.vocabulary import (
    DIAGNOSIS_SEVERITY,
    DIAGNOSIS_STATUS,
    NUMBERS,
    PATIENT_FIELDS,
    PREGNANCY,
    SECTIONS,
    SEX_AT_BIRTH,
)

ANSWER_FIELDS = {
    **{name: values for fields in SECTIONS.values() for name, values in fields.items()},
    "sex_at_birth": SEX_AT_BIRTH,
    "pregnancy": PREGNANCY,
}


@pytest.mark.parametrize("name", sorted(ANSWER_FIELDS))
def test_each_answer_is_a_field_with_the_vocabulary_values(name):
    field = Patient._meta.get_field(name)

    assert [value for value, _ in field.choices] == list(ANSWER_FIELDS[name])


@pytest.mark.parametrize("name", sorted(ANSWER_FIELDS))
def test_each_answer_starts_unknown(name):
    assert Patient._meta.get_field(name).default == "unknown"


@pytest.mark.parametrize("name", sorted(ANSWER_FIELDS))
def test_each_answer_is_labelled_by_its_name(name):
    assert capfirst(Patient._meta.get_field(name).verbose_name) == capfirst(name.replace("_", " "))


def test_every_patient_field_of_the_document_is_a_field_of_the_record():
    assert [Patient._meta.get_field(name).name for name in PATIENT_FIELDS] == list(PATIENT_FIELDS)


def test_every_bounded_number_is_a_field_of_the_record():
    fields = {f.name for model in (Patient, *Patient._meta.related_objects) for f in _fields(model)}

    assert set(NUMBERS) <= fields


def test_diagnosis_status_and_severity_offer_the_vocabulary_values():
    status = [v for v, _ in Diagnosis._meta.get_field("status").choices]
    severity = [v for v, _ in Diagnosis._meta.get_field("severity").choices]

    assert (status, severity) == (list(DIAGNOSIS_STATUS), list(DIAGNOSIS_SEVERITY))


def _fields(model_or_relation):
    model = getattr(model_or_relation, "related_model", model_or_relation)
    return model._meta.get_fields()
