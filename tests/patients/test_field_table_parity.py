"""One field table, three gates: at every bound of engine/vocabulary.NUMBERS the web form, the model (its
validators; the database constraints are tested in test_constraints.py) and the ketamine-intake/1
validator accept the bound itself and refuse the value just past it."""

import copy
import json
from decimal import Decimal

import pytest

from patients.forms import BloodPressureForm, MedicationForm, PatientForm, section_form_class
from patients.models import BloodPressureReading, MedicationEntry, Patient
from screening.engine.vocabulary import NUMBERS
from screening.intake import IntakeInvalid, validate_intake
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.django_db

# Where each number sits: the form that edits it, the model that stores it, its path in the document.
PLACES = {
    "weight_kg": (PatientForm, Patient, "patient.weight_kg"),
    "height_cm": (PatientForm, Patient, "patient.height_cm"),
    "failed_antidepressant_trials": (
        section_form_class("treatment_history"),
        Patient,
        "treatment_history.failed_antidepressant_trials",
    ),
    "dose_mg": (MedicationForm, MedicationEntry, "medications.items[0].dose_mg"),
    "times_per_day": (MedicationForm, MedicationEntry, "medications.items[0].times_per_day"),
    "max_doses_per_day": (MedicationForm, MedicationEntry, "medications.items[0].max_doses_per_day"),
    "systolic": (BloodPressureForm, BloodPressureReading, "blood_pressure[0].systolic"),
    "diastolic": (BloodPressureForm, BloodPressureReading, "blood_pressure[0].diastolic"),
    "heart_rate": (BloodPressureForm, BloodPressureReading, "blood_pressure[0].heart_rate"),
}
FORM_DATA = {
    PatientForm: {
        "mrn": "PAR-1",
        "given_name": "Ada",
        "family_name": "Parity",
        "date_of_birth": "1980-01-01",
        "sex_at_birth": "female",
        "pregnancy": "not_pregnant",
    },
    MedicationForm: {"name": "sertraline", "dose_mg": "50", "times_per_day": "1"},
    BloodPressureForm: {
        "taken_on": "2026-11-20",
        "taken_time": "09:00",
        "systolic": "130",
        "diastolic": "80",
    },
}
# A partner value that keeps the pair valid whatever the bound under test (systolic above diastolic).
PARTNERS = {"systolic": {"diastolic": "30"}, "diastolic": {"systolic": "300"}}


def step(name: str):
    """The smallest step past a bound that each gate can still represent."""
    if NUMBERS[name].integer:
        return 1
    return Decimal("0.001") if name == "dose_mg" else Decimal("0.1")


def cases():
    for name, bound in NUMBERS.items():
        low_ok = bound.low + step(name) if bound.low_exclusive else bound.low
        yield pytest.param(name, low_ok, True, id=f"{name}-low-accepted")
        yield pytest.param(
            name,
            bound.low if bound.low_exclusive else bound.low - step(name),
            False,
            id=f"{name}-low-refused",
        )
        yield pytest.param(name, bound.high, True, id=f"{name}-high-accepted")
        yield pytest.param(name, bound.high + step(name), False, id=f"{name}-high-refused")


def form_accepts(name: str, value) -> bool:
    form_class = PLACES[name][0]
    data = {**FORM_DATA.get(form_class, {"version": "0"}), **PARTNERS.get(name, {}), name: str(value)}
    if form_class not in FORM_DATA:  # a section form: every answer of the section, as the page posts it
        data.update({field: "unknown" for field in form_class.base_fields if field not in (name, "version")})
    return name not in form_class(data=data).errors


def model_accepts(name: str, value) -> bool:
    model = PLACES[name][1]
    instance = model(**{name: value})
    try:
        instance.clean_fields(exclude=[f.name for f in model._meta.fields if f.name != name])
    except Exception as exc:  # noqa: BLE001 - a ValidationError names the field
        return name not in getattr(exc, "message_dict", {})
    return True


def document_accepts(name: str, value) -> bool:
    doc = copy.deepcopy(json.loads((EXAMPLES / "eligible.json").read_text()))
    path = PLACES[name][2]
    if path.startswith("medications"):
        target = doc["medications"]["items"][0]
    elif path.startswith("blood_pressure"):
        target = doc["blood_pressure"][0]
        target.update({k: int(v) for k, v in PARTNERS.get(name, {}).items()})
    else:
        target = doc[path.split(".")[0]]
    target[name] = int(value) if NUMBERS[name].integer else float(value)
    try:
        validate_intake(doc)
    except IntakeInvalid as exc:
        return all(problem.path != path for problem in exc.problems)
    return True


@pytest.mark.parametrize(("name", "value", "accepted"), cases())
def test_form_model_and_document_agree_at_the_bound(name, value, accepted):
    assert (form_accepts(name, value), model_accepts(name, value), document_accepts(name, value)) == (
        accepted,
        accepted,
        accepted,
    )
