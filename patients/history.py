"""Who changed what on a patient's record, when, with values before and after, in words: each field by its
label, each coded value by its display text, a user by name, times in the clinic's time zone."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone

from .models import BloodPressureReading, Diagnosis, MedicationEntry, Patient

HIDDEN_FIELDS = {"row_versions", "updated_at", "created_at", "id", "patient", "formulary_entry"}
KIND = {"+": "created", "~": "changed", "-": "deleted"}


@dataclass(frozen=True)
class Change:
    when: datetime
    who: str
    what: str
    kind: str
    fields: tuple[tuple[str, str, str], ...]  # (field, before, after)


def _who(record) -> str:
    user = record.history_user
    return (user.get_full_name() or user.username) if user else "system"


def _records(model, history_qs, label) -> list[Change]:
    changes = []
    records = list(history_qs.select_related("history_user").order_by("history_date", "history_id"))
    previous_by_object: dict[int, object] = {}
    for record in records:
        previous = previous_by_object.get(record.id)
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous)
            fields = tuple(
                (_label(model, c.field), _fmt(model, c.field, c.old), _fmt(model, c.field, c.new))
                for c in delta.changes
                if c.field not in HIDDEN_FIELDS
            )
            if not fields:
                previous_by_object[record.id] = record
                continue
        else:
            fields = ()
        previous_by_object[record.id] = record
        changes.append(
            Change(record.history_date, _who(record), label(record), KIND[record.history_type], fields)
        )
    return changes


def _label(model, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name).capitalize()
    except FieldDoesNotExist:
        return name.replace("_", " ").capitalize()


def _fmt(model, name: str, value) -> str:
    """A stored value as the pages show it."""
    if value in (None, ""):
        return "—"
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        field = None
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field is not None and field.is_relation and field.related_model is get_user_model():
        user = get_user_model().objects.filter(pk=value).first()
        return (user.get_full_name() or user.username) if user else f"user #{value}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


def _dose(medication) -> str:
    dose = "dose unknown" if medication.dose_mg is None else f"{medication.dose_mg.normalize():f} mg"
    times = f"{medication.times_per_day} times a day" if medication.times_per_day else "frequency unknown"
    return f"{dose}, {times}{', as needed' if medication.as_needed else ''}"


def patient_changes(patient: Patient) -> list[Change]:
    changes = _records(Patient, Patient.history.filter(id=patient.pk), lambda r: "patient record")
    changes += _records(
        Diagnosis,
        Diagnosis.history.filter(patient_id=patient.pk),
        lambda r: (
            f"diagnosis {r.icd10} ({r.get_status_display().lower()}, {r.get_severity_display().lower()})"
        ),
    )
    changes += _records(
        MedicationEntry,
        MedicationEntry.history.filter(patient_id=patient.pk),
        lambda r: f"medication {r.name} {_dose(r)}",
    )
    changes += _records(
        BloodPressureReading,
        BloodPressureReading.history.filter(patient_id=patient.pk),
        lambda r: f"BP {r.systolic}/{r.diastolic} taken {timezone.localtime(r.taken_at):%Y-%m-%d %H:%M}",
    )
    return sorted(changes, key=lambda c: c.when, reverse=True)
