"""Before 0008 adds the checks that keep every date of the record within 1900-01-01 … 2100-12-31: list the
rows already outside that range, by table and id only (no patient data), and stop with a message telling
the admin to correct them first. Nothing is changed or deleted: which date was meant is a clinical
question. Rows of the change history (append-only) are listed but do not stop the migration: they are
never checked by the constraints.

Comparisons happen in SQL and only ids are read, since such a value (year 0 in UTC) may not be readable.
"""

from datetime import UTC, date, datetime, time

from django.db import migrations
from django.db.models import Q

EARLIEST, LATEST = date(1900, 1, 1), date(2100, 12, 31)
FIRST, LAST = datetime.combine(EARLIEST, time.min, tzinfo=UTC), datetime.combine(LATEST, time.max, tzinfo=UTC)
COLUMNS = {
    "Patient": {
        "date_of_birth": (EARLIEST, LATEST),
        "medications_reconciled_at": (FIRST, LAST),
        "created_at": (FIRST, LAST),
        "updated_at": (FIRST, LAST),
    },
    "Diagnosis": {"created_at": (FIRST, LAST)},
    "MedicationEntry": {"created_at": (FIRST, LAST)},
    "BloodPressureReading": {"taken_at": (FIRST, LAST), "created_at": (FIRST, LAST)},
}


def outside(model, columns: dict) -> list[int]:
    condition = Q()
    present = {field.name for field in model._meta.get_fields()}  # the history leaves updated_at out
    for column, (low, high) in columns.items():
        if column not in present:
            continue
        condition |= Q(**{f"{column}__lt": low}) | Q(**{f"{column}__gt": high})
    return sorted(model.objects.filter(condition).values_list("pk", flat=True))


def report(apps, schema_editor):
    blocking = []
    for name, columns in COLUMNS.items():
        for label in (name, f"Historical{name}"):
            ids = outside(apps.get_model("patients", label), columns)
            if ids:
                print(f"\n  patients.{label}: {len(ids)} row(s) with a date outside 1900-2100, ids {ids}")
                if label == name:
                    blocking.append(f"patients.{label} ids {ids}")
    if blocking:
        raise RuntimeError(
            "Dates outside 1900-01-01 to 2100-12-31 in " + "; ".join(blocking) + ". Correct the date "
            "on each of these rows (no patient data is listed here: look them up by id), then run migrate again."
        )


class Migration(migrations.Migration):
    dependencies = [("patients", "0006_history_append_only")]

    operations = [migrations.RunPython(report, migrations.RunPython.noop)]
