"""Who changed what on a patient's record, when, with values before and after."""

from dataclasses import dataclass
from datetime import datetime

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


def _records(history_qs, label) -> list[Change]:
    changes = []
    records = list(history_qs.select_related("history_user").order_by("history_date", "history_id"))
    previous_by_object: dict[int, object] = {}
    for record in records:
        previous = previous_by_object.get(record.id)
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous)
            fields = tuple(
                (c.field, _fmt(c.old), _fmt(c.new)) for c in delta.changes if c.field not in HIDDEN_FIELDS
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


def _fmt(value) -> str:
    return "—" if value in (None, "") else str(value)


def patient_changes(patient: Patient) -> list[Change]:
    changes = _records(Patient.history.filter(id=patient.pk), lambda r: "patient record")
    changes += _records(
        Diagnosis.history.filter(patient_id=patient.pk),
        lambda r: f"diagnosis {r.icd10} ({r.status}, {r.severity})",
    )
    changes += _records(
        MedicationEntry.history.filter(patient_id=patient.pk),
        lambda r: f"medication {r.name} {r.dose_mg or '?'} mg × {r.times_per_day or '?'}",
    )
    changes += _records(
        BloodPressureReading.history.filter(patient_id=patient.pk),
        lambda r: f"BP {r.systolic}/{r.diastolic} at {r.taken_at:%Y-%m-%d %H:%M}",
    )
    return sorted(changes, key=lambda c: c.when, reverse=True)
