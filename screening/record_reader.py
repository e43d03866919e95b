"""What turns a patient's rows into the screened intake, as one fingerprint (issue 16).

A screening stores the record version it read (patients.models.Patient.record_version) and this
fingerprint. An equal version says the rows did not change; this fingerprint says they are still read,
validated and hashed the same way. A deploy that changes any of it (how the rows are read, the intake
document built from the record, the validation and its field table, the canonical form that is hashed,
the record's columns, the clinic's time zone, which the readings' times are written in) gives a new
fingerprint, and an unchanged version then no longer vouches for the record: it is read and its sha256
compared, as before versions.
A column added with a default by a migration raises no trigger; its new field still changes this."""

from __future__ import annotations

import hashlib
import inspect
from functools import lru_cache

from django.conf import settings

from core import nested_read
from patients import selectors as record_selectors
from patients.models import BloodPressureReading, Diagnosis, Measure, MedicationEntry, Patient

from .engine import measures, vocabulary
from .intake import checker, snapshot, validate

RECORD_MODELS = (Patient, Diagnosis, MedicationEntry, BloodPressureReading, Measure)


@lru_cache(maxsize=1)
def record_reader() -> str:
    """16 hex digits; "" when the source cannot be read (then no version vouches for a record)."""
    try:
        parts = [inspect.getsource(record_selectors.intake_document)]
        # how the rows are read and their values turned into Python's (one query, core.nested_read)
        parts += [inspect.getsource(record_selectors._record_read), inspect.getsource(nested_read)]
        parts += [inspect.getsource(module) for module in (validate, checker, snapshot, vocabulary, measures)]
    except (OSError, TypeError):
        return ""
    parts += [",".join(f.column for f in model._meta.concrete_fields) for model in RECORD_MODELS]
    parts.append(str(settings.TIME_ZONE))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
