"""Changes to the clinical record in the audit trail (imported by PatientsConfig.ready())."""

from core.audit_changes import track

from .models import BloodPressureReading, Diagnosis, Measure, MedicationEntry, Patient

for model in (Patient, Diagnosis, MedicationEntry, BloodPressureReading, Measure):
    track(model)
