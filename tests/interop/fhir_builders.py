"""Hand-written FHIR R4 resources for the import tests: an EHR-like record of one synthetic patient."""

from __future__ import annotations

import copy
from typing import Any

from interop.fhir import codes

SUBJECT = {"reference": "Patient/p1"}
# The EHR's MRN system: the tests configure it as an MRN system (settings.FHIR_MRN_SYSTEMS), as a clinic would
EHR_MRN_SYSTEM = "https://ehr.example/fhir/sid/mrn"


def quantity(value: Any, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": codes.UCUM, "code": unit}


def loinc(code: str) -> dict[str, Any]:
    return {"coding": [{"system": codes.LOINC, "code": code}]}


def patient(**changes: Any) -> dict[str, Any]:
    """A Patient as an EHR writes it: two identifiers (the MRN typed MR), a usual and an official name,
    an administrative gender and US Core birth sex."""
    resource = {
        "resourceType": "Patient",
        "id": "p1",
        "identifier": [
            {"system": "https://ehr.example/fhir/sid/member", "value": "M-77"},
            {
                "type": {"coding": [{"system": codes.IDENTIFIER_TYPE, "code": "MR"}]},
                "system": EHR_MRN_SYSTEM,
                "value": "EHR-1001",
            },
        ],
        "name": [
            {"use": "usual", "given": ["Bea"], "family": "Costa"},
            {"use": "official", "given": ["Beatriz", "Maria"], "family": "Costa"},
        ],
        "gender": "female",
        "birthDate": "1979-05-14",
        "extension": [{"url": codes.US_CORE_BIRTHSEX, "valueCode": "F"}],
    }
    resource.update(changes)
    return resource


def condition(code: str | None = "F33.1", *, system: str = codes.ICD10CM, **changes: Any) -> dict[str, Any]:
    resource = {
        "resourceType": "Condition",
        "subject": SUBJECT,
        "code": {"coding": [{"system": system, "code": code}]},
        "clinicalStatus": {"coding": [{"system": codes.CONDITION_CLINICAL, "code": "active"}]},
        "verificationStatus": {"coding": [{"system": codes.CONDITION_VERIFICATION, "code": "confirmed"}]},
    }
    resource.update(changes)
    return resource


def medication(name: str = "Sertraline", dose: Any = 50, times: int = 1, **changes: Any) -> dict[str, Any]:
    resource = {
        "resourceType": "MedicationStatement",
        "status": "active",
        "subject": SUBJECT,
        "medicationCodeableConcept": {"text": name, "coding": [{"system": codes.ATC, "code": "N06AB06"}]},
        "dosage": [
            {
                "doseAndRate": [{"doseQuantity": quantity(dose, "mg")}],
                "timing": {"repeat": {"frequency": times, "period": 1, "periodUnit": "d"}},
            }
        ],
    }
    resource.update(changes)
    return resource


def blood_pressure(systolic=128, diastolic=82, heart_rate=72, when="2026-11-18T09:00:00-07:00", **changes):
    parts = [(codes.SYSTOLIC, systolic, "mm[Hg]"), (codes.DIASTOLIC, diastolic, "mm[Hg]")]
    if heart_rate is not None:
        parts.append((codes.HEART_RATE, heart_rate, "/min"))
    resource = {
        "resourceType": "Observation",
        "status": "final",
        "subject": SUBJECT,
        "code": loinc(codes.BP_PANEL),
        "effectiveDateTime": when,
        "component": [
            {"code": loinc(code), "valueQuantity": quantity(value, unit)}
            for code, value, unit in parts
            if value is not None
        ],
    }
    resource.update(changes)
    return resource


def measured(code: str, value: Any, unit: str, when: str = "2026-11-18", **changes: Any) -> dict[str, Any]:
    resource = {
        "resourceType": "Observation",
        "status": "final",
        "subject": SUBJECT,
        "code": loinc(code),
        "effectiveDateTime": when,
        "valueQuantity": quantity(value, unit),
    }
    resource.update(changes)
    return resource


def pregnancy_status(code: str, when: str | None = "2026-11-18", system: str = codes.ANSWERS, **changes):
    """A pregnancy-status Observation (LOINC 82810-3) answered `code` in `system`; `when` None: undated."""
    resource = {
        "resourceType": "Observation",
        "status": "final",
        "subject": SUBJECT,
        "code": loinc(codes.PREGNANCY_STATUS),
        "valueCodeableConcept": {"coding": [{"system": system, "code": code}]},
    }
    if when is not None:
        resource["effectiveDateTime"] = when
    resource.update(changes)
    return resource


def allergy() -> dict[str, Any]:
    return {"resourceType": "AllergyIntolerance", "patient": SUBJECT, "code": {"text": "Penicillin"}}


def ehr_resources() -> list[dict[str, Any]]:
    """An EHR's record of the patient: index 0 Patient, 1 an ICD-10-CM Condition, 2 a SNOMED-only one,
    3 and 4 MedicationStatements, 5 a blood-pressure panel, 6 weight, 7 height, 8 an allergy."""
    return [
        patient(),
        condition("F33.1", severity={"coding": [{"system": codes.SNOMED, "code": "6736007"}]}),
        condition("38341003", system=codes.SNOMED),
        medication("Sertraline", 50, 1),
        medication(
            "Lorazepam",
            0.5,
            1,
            dosage=[
                {
                    "asNeededBoolean": True,
                    "doseAndRate": [{"doseQuantity": quantity(0.5, "mg")}],
                    "maxDosePerPeriod": {"numerator": {"value": 2}, "denominator": quantity(1, "d")},
                }
            ],
        ),
        blood_pressure(),
        measured(codes.BODY_WEIGHT, 68.5, "kg"),
        measured(codes.BODY_HEIGHT, 165, "cm"),
        allergy(),
    ]


def bundle(resources: list[dict[str, Any]], kind: str = "searchset") -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": kind,
        "entry": [
            {"fullUrl": f"https://ehr.example/fhir/{r['resourceType']}/{i}", "resource": copy.deepcopy(r)}
            for i, r in enumerate(resources)
        ],
    }


def ehr_bundle(kind: str = "searchset") -> dict[str, Any]:
    return bundle(ehr_resources(), kind)


def ehr_bundle_with_the_products_mrn(kind: str = "searchset") -> dict[str, Any]:
    """The EHR Bundle, its MRN in the product's own system: imported without FHIR_MRN_SYSTEMS configured."""
    value = ehr_bundle(kind)
    value["entry"][0]["resource"]["identifier"][1]["system"] = codes.MRN_SYSTEM
    return value


def answered(link_id: str, **value: Any) -> dict[str, Any]:
    return {"linkId": link_id, "answer": [value]}


def questionnaires() -> list[dict[str, Any]]:
    """The product's own QuestionnaireResponses: some intake answers, a PHQ-9 and a C-SSRS screener."""
    coded = {"system": codes.ANSWERS}
    return [
        {
            "resourceType": "QuestionnaireResponse",
            "status": "completed",
            "questionnaire": codes.INTAKE_QUESTIONNAIRE,
            "subject": SUBJECT,
            "authored": "2026-11-20",
            "item": [
                answered("treatment_history.failed_antidepressant_trials", valueInteger=3),
                answered("psychiatric.suicidal_ideation", valueCoding={**coded, "code": "passive"}),
                answered("medications.reconciled", valueBoolean=True),
                answered("support.escort_available", valueCoding={**coded, "code": "yes"}),
            ],
        },
        {
            "resourceType": "QuestionnaireResponse",
            "status": "completed",
            "questionnaire": codes.MEASURE_QUESTIONNAIRE + "phq9",
            "subject": SUBJECT,
            "authored": "2026-11-13",
            "item": [answered(str(n), valueInteger=1) for n in range(1, 10)],
        },
        {
            "resourceType": "QuestionnaireResponse",
            "status": "completed",
            "questionnaire": codes.MEASURE_QUESTIONNAIRE + "cssrs_screener",
            "subject": SUBJECT,
            "authored": "2026-11-20",
            "item": [
                answered("wish_to_be_dead", valueBoolean=True),
                answered("suicidal_thoughts", valueBoolean=False),
                {"linkId": "thoughts_with_method"},
                answered("behavior_ever", valueBoolean=False),
            ],
        },
    ]
