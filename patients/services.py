"""Writes to the clinical record that need more than a ModelForm: concurrency, reconciliation, import."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from formulary.models import FormularyEntry
from formulary.selectors import current_formulary, formulary_entry_for
from screening.engine.measures import CSSRS_QUESTIONS, MeasureInvalid, validate_answers
from screening.engine.vocabulary import PATIENT_FIELDS
from screening.intake import IntakeInvalid, Problem, validate_intake

from .icd10 import icd10_description, icd10_known
from .models import ANSWER_SECTIONS, BloodPressureReading, Diagnosis, Measure, MedicationEntry, Patient
from .selectors import intake_document, medication_fingerprint, medication_list_fingerprint
from .validators import record_date_validator


class StaleEdit(Exception):
    """Someone else saved this section after the form was opened."""


def _bump(patient: Patient, section: str) -> None:
    versions = dict(patient.row_versions or {})
    versions[section] = int(versions.get(section, 0)) + 1
    patient.row_versions = versions


@transaction.atomic
def patient_section_update(
    *, patient_id: int, section: str, values: dict[str, Any], expected_version: int, user=None
) -> Patient:
    """Save one section if nobody saved it since `expected_version`; otherwise raise StaleEdit."""
    patient = Patient.objects.select_for_update().get(pk=patient_id)
    if patient.section_version(section) != expected_version:
        raise StaleEdit(section)
    for name, value in values.items():
        setattr(patient, name, value)
    _bump(patient, section)
    if user is not None:
        patient._history_user = user
    patient.save()
    return patient


def _medication_list_changed(patient: Patient) -> None:
    # A changed list is no longer the list somebody attested as complete. Saved through the model (not a
    # queryset update) so the history credits the clearing to whoever changed the list, not to the next editor.
    if patient.medications_reconciled:
        patient.medications_reconciled = False
        patient.save(update_fields=["medications_reconciled"])


@transaction.atomic
def medication_add(
    *,
    patient: Patient,
    name: str,
    dose_mg: Decimal | None,
    times_per_day: int | None,
    as_needed: bool,
    max_doses_per_day: int | None,
) -> MedicationEntry:
    # the patient's row is locked first: an attestation in progress sees the list with or without this
    # entry, never a list that changes between its check and its save
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    entry = MedicationEntry.objects.create(
        patient=patient,
        name=name.strip(),
        formulary_entry=formulary_entry_for(name),
        dose_mg=dose_mg,
        times_per_day=times_per_day,
        as_needed=as_needed,
        max_doses_per_day=max_doses_per_day,
    )
    _medication_list_changed(patient)
    return entry


@transaction.atomic
def medication_remove(*, medication: MedicationEntry) -> None:
    patient = Patient.objects.select_for_update().get(pk=medication.patient_id)
    medication.delete()
    _medication_list_changed(patient)


@transaction.atomic
def medication_update(
    *,
    medication: MedicationEntry,
    dose_mg: Decimal | None,
    times_per_day: int | None,
    as_needed: bool,
    max_doses_per_day: int | None,
    user=None,
    seen: str | None = None,
) -> MedicationEntry:
    """Change a listed medication's dose and frequency (issue 17). The name, and the formulary entry it
    resolves to, stay: another drug is a removal and an addition. The stored row is compared and saved
    under the patient's lock (taken first, as adding and removing do), never the caller's copy, which a
    bound form may have changed. With `seen` (medication_fingerprint of the row the user opened), refused
    (StaleEdit) when the row changed since. An actual change clears the list's attestation, as adding or
    removing does; saving the same values changes nothing and keeps it.

    Raises MedicationEntry.DoesNotExist when the row was removed meanwhile."""
    patient = Patient.objects.select_for_update().get(pk=medication.patient_id)
    entry = MedicationEntry.objects.select_for_update().get(pk=medication.pk, patient=patient)
    if seen is not None and seen != medication_fingerprint(entry):
        raise StaleEdit("medication")
    values = {
        "dose_mg": dose_mg,
        "times_per_day": times_per_day,
        "as_needed": as_needed,
        "max_doses_per_day": max_doses_per_day,
    }
    changed = [name for name, value in values.items() if getattr(entry, name) != value]
    if not changed:
        return entry
    for name in changed:
        setattr(entry, name, values[name])
    if user is not None:
        entry._history_user = user
        patient._history_user = user
    entry.save(update_fields=changed)
    _medication_list_changed(patient)
    return entry


@transaction.atomic
def medications_reconcile(*, patient: Patient, user, seen: str | None = None) -> Patient:
    """Attest the medication list as complete. With `seen` (the fingerprint of the list the user looked
    at), refused (StaleEdit) when the list changed since: the check and the save under the row's lock."""
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if seen is not None and seen != medication_list_fingerprint(patient.medications.all()):
        raise StaleEdit("medications")
    patient.medications_reconciled = True
    patient.medications_reconciled_by = user
    patient.medications_reconciled_at = timezone.now()
    patient._history_user = user
    patient.save(
        update_fields=["medications_reconciled", "medications_reconciled_by", "medications_reconciled_at"]
    )
    return patient


@transaction.atomic
def intake_import(*, doc: Any, user=None) -> tuple[Patient, bool]:
    """Create or update a patient from a `ketamine-intake/1` document, all or nothing.

    Raises IntakeInvalid (every problem by path) before anything is written.
    """
    valid = validate_intake(doc)
    unknown_codes = [
        Problem(f"diagnoses[{i}].icd10", f"{d['icd10']} is not in the ICD-10-CM code list")
        for i, d in enumerate(valid["diagnoses"])
        if not icd10_known(d["icd10"])
    ]
    if unknown_codes:
        raise IntakeInvalid(unknown_codes)
    p = valid["patient"]
    patient = Patient.objects.select_for_update().filter(mrn__iexact=p["mrn"]).first()
    created = patient is None
    if created:
        patient = Patient(mrn=p["mrn"])
    for name in (n for n in PATIENT_FIELDS if n != "mrn"):  # the MRN identifies the record: set once
        value = p.get(name)
        setattr(patient, name, date.fromisoformat(value) if name == "date_of_birth" else value)
    patient.failed_antidepressant_trials = valid["treatment_history"].get("failed_antidepressant_trials")
    patient.psychotherapy_current = valid["treatment_history"].get("psychotherapy_current", "unknown")
    for section in ("psychiatric", "cardiovascular", "other_medical", "support"):
        for name in ANSWER_SECTIONS[section]:
            setattr(patient, name, valid[section][name])
    patient.medications_reconciled = valid["medications"]["reconciled"]
    patient.medications_reconciled_by = user if patient.medications_reconciled else None
    patient.medications_reconciled_at = timezone.now() if patient.medications_reconciled else None
    for section in (*ANSWER_SECTIONS, "patient", "medications"):
        _bump(patient, section)
    if user is not None:
        patient._history_user = user
    patient.save()

    patient.diagnoses.all().delete()
    patient.medications.all().delete()
    patient.bp_readings.all().delete()
    bulk_create_with_history(
        [
            Diagnosis(
                patient=patient,
                icd10=d["icd10"],
                status=d["status"],
                severity=d["severity"],
                note=d["note"],
                description=icd10_description(d["icd10"]),
            )
            for d in valid["diagnoses"]
        ],
        Diagnosis,
        default_user=user,
    )
    formulary = current_formulary()
    entries = {e.generic: e for e in FormularyEntry.objects.all()}
    meds = []
    for m in valid["medications"]["items"]:
        hit = formulary.lookup(m["name"])
        meds.append(
            MedicationEntry(
                patient=patient,
                name=m["name"],
                formulary_entry=entries.get(hit.drug.generic) if hit else None,
                dose_mg=m["dose_mg"],
                times_per_day=m["times_per_day"],
                as_needed=m["as_needed"],
                max_doses_per_day=m["max_doses_per_day"],
            )
        )
    bulk_create_with_history(meds, MedicationEntry, default_user=user)
    bulk_create_with_history(
        [
            BloodPressureReading(
                patient=patient,
                taken_at=r["taken_at"],
                systolic=r["systolic"],
                diastolic=r["diastolic"],
                heart_rate=r["heart_rate"],
            )
            for r in valid["blood_pressure"]
        ],
        BloodPressureReading,
        default_user=user,
    )
    if isinstance(doc, dict) and "measures" in doc:  # absent: the document says nothing about them
        patient.measures.all().delete()
        bulk_create_with_history(
            [
                Measure(
                    patient=patient,
                    instrument=m["instrument"],
                    administered_on=date.fromisoformat(m["administered_on"]),
                    answers=m["answers"],
                    entered_by=user,
                )
                for m in valid.get("measures", [])
            ],
            Measure,
            default_user=user,
        )
    return patient, created


def intake_export(*, patient: Patient, assessed_on: date) -> dict[str, Any]:
    return intake_document(patient, assessed_on)


@transaction.atomic
def measure_record(
    *, patient: Patient, instrument: str, administered_on: date, answers: Any, user=None
) -> Measure:
    """Record one administration of a measure (issue 18). The answers are checked by the pure scorer
    (MeasureInvalid, every problem by its path, nothing written); the date may not be in the future.
    Adding a measure changes the record, as any other change does: a screening before it is no longer
    current."""
    problems = []
    try:
        validate_answers(instrument, answers)
    except MeasureInvalid as exc:
        problems = exc.errors
    if administered_on > timezone.localdate():
        problems = [*problems, ("administered_on", "cannot be in the future")]
    else:
        try:
            record_date_validator(administered_on)
        except ValidationError as exc:
            problems = [*problems, ("administered_on", " ".join(exc.messages))]
    if problems:
        raise MeasureInvalid(problems)
    if instrument == "cssrs_screener":
        answers = {key: answers.get(key) for key in CSSRS_QUESTIONS}
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    measure = Measure(
        patient=patient,
        instrument=instrument,
        administered_on=administered_on,
        answers=list(answers) if instrument != "cssrs_screener" else answers,
        entered_by=user,
    )
    if user is not None:
        measure._history_user = user
    measure.save()
    return measure


@transaction.atomic
def measure_remove(*, measure: Measure, user=None) -> None:
    """Remove an administration entered in error (the history keeps it)."""
    Patient.objects.select_for_update().get(pk=measure.patient_id)
    if user is not None:
        measure._history_user = user
    measure.delete()
