"""The intake snapshot's record as FHIR: the Patient, its Observations (weight, height, pregnancy, blood
pressure), Conditions and MedicationStatements (docs/fhir.md, the mapping and "Export notes").

Every value of the intake's `patient`, `diagnoses`, `medications.items` and `blood_pressure` is written
so that the import reads back the same intake; nothing here reads the database.
"""

from __future__ import annotations

from typing import Any

from . import codes
from .export_base import Resource, answer_coding, coding, concept, date_time, quantity, words

# LOINC displays
LOINC_NAMES = {
    codes.BODY_WEIGHT: "Body weight",
    codes.BODY_HEIGHT: "Body height",
    codes.PREGNANCY_STATUS: "Pregnancy status",
    codes.BP_PANEL: "Blood pressure panel with all children optional",
    codes.SYSTOLIC: "Systolic blood pressure",
    codes.DIASTOLIC: "Diastolic blood pressure",
    codes.HEART_RATE: "Heart rate",
}
# The LOINC answer (LL4129-4) beside the product's pregnancy value, where one exists
PREGNANCY_LOINC = {
    "pregnant": ("LA15173-0", "Pregnant"),
    "not_pregnant": ("LA26683-5", "Not pregnant"),
    "unknown": ("LA4489-6", "Unknown"),
}
SEVERITY_NAMES = {"mild": "Mild", "moderate": "Moderate", "severe": "Severe"}
CLINICAL_NAMES = {"active": "Active", "remission": "Remission", "resolved": "Resolved"}
VITAL_SIGNS = concept(codes.OBSERVATION_CATEGORY, "vital-signs", "Vital Signs")
SOCIAL_HISTORY = concept(codes.OBSERVATION_CATEGORY, "social-history", "Social History")


def patient_resource(patient: dict[str, Any]) -> Resource:
    """Patient: the MRN, the name, the date of birth and sex at birth (two extensions; never `gender`)."""
    sex = patient.get("sex_at_birth") or "unknown"
    return {
        "resourceType": "Patient",
        "extension": [
            {"url": codes.EXT_SEX_AT_BIRTH, "valueCode": sex},
            {"url": codes.US_CORE_BIRTHSEX, "valueCode": codes.BIRTHSEX[sex]},
        ],
        "identifier": [
            {
                "use": "usual",
                "type": concept(codes.IDENTIFIER_TYPE, "MR", "Medical record number"),
                "system": codes.MRN_SYSTEM,
                "value": patient["mrn"],
            }
        ],
        "name": [{"use": "official", "family": patient["family_name"], "given": [patient["given_name"]]}],
        "birthDate": patient["date_of_birth"],
    }


def _observation(loinc: str, category: dict, subject: dict, effective: str) -> Resource:
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": [category],
        "code": concept(codes.LOINC, loinc, LOINC_NAMES[loinc]),
        "subject": subject,
        "effectiveDateTime": effective,
    }


def observations(intake: dict[str, Any], subject: dict) -> list[tuple[str, Resource]]:
    """Weight and height when measured, pregnancy always (unknown included), then each blood-pressure
    reading in the intake's order. The intake gives weight, height and pregnancy no time: they are
    dated `assessed_on`, the day the intake describes."""
    patient, day = intake["patient"], intake["assessed_on"]
    found: list[tuple[str, Resource]] = []
    for key, loinc, unit in (("weight_kg", codes.BODY_WEIGHT, "kg"), ("height_cm", codes.BODY_HEIGHT, "cm")):
        if patient.get(key) is not None:
            resource = _observation(loinc, VITAL_SIGNS, subject, day)
            resource["valueQuantity"] = quantity(patient[key], unit, unit)
            found.append((f"Observation/{key}", resource))
    pregnancy = patient.get("pregnancy") or "unknown"
    value: dict[str, Any] = {"coding": [answer_coding(pregnancy)], "text": words(pregnancy)}
    if pregnancy in PREGNANCY_LOINC:
        value["coding"].append(coding(codes.LOINC, *PREGNANCY_LOINC[pregnancy]))
    resource = _observation(codes.PREGNANCY_STATUS, SOCIAL_HISTORY, subject, day)
    resource["valueCodeableConcept"] = value
    found.append(("Observation/pregnancy", resource))
    for i, reading in enumerate(intake.get("blood_pressure") or []):
        found.append((f"Observation/bp/{i}", blood_pressure(reading, subject)))
    return found


def blood_pressure(reading: dict[str, Any], subject: dict) -> Resource:
    """One reading: the panel with systolic and diastolic (and heart rate, when recorded) components."""
    resource = _observation(codes.BP_PANEL, VITAL_SIGNS, subject, date_time(reading["taken_at"]))
    parts = [
        (codes.SYSTOLIC, reading["systolic"], "mmHg", "mm[Hg]"),
        (codes.DIASTOLIC, reading["diastolic"], "mmHg", "mm[Hg]"),
    ]
    if reading.get("heart_rate") is not None:
        parts.append((codes.HEART_RATE, reading["heart_rate"], "beats/minute", "/min"))
    resource["component"] = [
        {
            "code": concept(codes.LOINC, loinc, LOINC_NAMES[loinc]),
            "valueQuantity": quantity(value, unit, ucum),
        }
        for loinc, value, unit, ucum in parts
    ]
    return resource


def condition(diagnosis: dict[str, Any], subject: dict) -> Resource:
    """One diagnosis: ICD-10-CM, its status, its severity (none when unspecified) and its note."""
    status = codes.CLINICAL_STATUS[diagnosis.get("status") or "active"]
    resource: Resource = {
        "resourceType": "Condition",
        "clinicalStatus": concept(codes.CONDITION_CLINICAL, status, CLINICAL_NAMES[status]),
        "verificationStatus": concept(codes.CONDITION_VERIFICATION, "confirmed", "Confirmed"),
        "category": [concept(codes.CONDITION_CATEGORY, "problem-list-item", "Problem List Item")],
        "code": concept(codes.ICD10CM, diagnosis["icd10"]),
        "subject": subject,
    }
    severity = diagnosis.get("severity") or "unspecified"
    if severity in codes.SEVERITY:
        resource["severity"] = concept(codes.SNOMED, codes.SEVERITY[severity], SEVERITY_NAMES[severity])
    if diagnosis.get("note"):
        resource["note"] = [{"text": diagnosis["note"]}]
    return resource


def conditions(intake: dict[str, Any], subject: dict) -> list[tuple[str, Resource]]:
    return [(f"Condition/{i}", condition(d, subject)) for i, d in enumerate(intake.get("diagnoses") or [])]


def resolved_rows(intake: dict[str, Any], report: dict[str, Any]) -> list[dict[str, Any] | None]:
    """The report's row of each intake medication (same place, same name), or None: the report lists one
    row per medication in the intake's order; a row that does not match is never used."""
    items = (intake.get("medications") or {}).get("items") or []
    rows = report.get("medications") or []
    return [
        rows[i] if i < len(rows) and rows[i].get("name") == item.get("name") else None
        for i, item in enumerate(items)
    ]


def medication_statement(item: dict[str, Any], row: dict[str, Any] | None, subject: dict) -> Resource:
    """One medication: the name as typed, the ATC code only when the formulary resolved it, and the dose."""
    medication: dict[str, Any] = {"text": item["name"]}
    if row is not None and row.get("atc"):
        medication["coding"] = [coding(codes.ATC, row["atc"], row.get("generic"))]
    dosage: dict[str, Any] = {"asNeededBoolean": bool(item.get("as_needed"))}
    if item.get("times_per_day") is not None:
        dosage["timing"] = {"repeat": {"frequency": item["times_per_day"], "period": 1, "periodUnit": "d"}}
    if item.get("dose_mg") is not None:
        dosage["doseAndRate"] = [{"doseQuantity": quantity(item["dose_mg"], "mg", "mg")}]
    if item.get("max_doses_per_day") is not None:
        dosage["maxDosePerPeriod"] = {
            "numerator": {"value": item["max_doses_per_day"]},
            "denominator": quantity(1, "day", "d"),
        }
    return {
        "resourceType": "MedicationStatement",
        "status": "active",
        "medicationCodeableConcept": medication,
        "subject": subject,
        "dosage": [dosage],
    }


def medication_statements(
    intake: dict[str, Any], report: dict[str, Any], subject: dict
) -> list[tuple[str, Resource]]:
    items = (intake.get("medications") or {}).get("items") or []
    rows = resolved_rows(intake, report)
    return [
        (f"MedicationStatement/{i}", medication_statement(item, rows[i], subject))
        for i, item in enumerate(items)
    ]
