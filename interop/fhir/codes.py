"""The code systems, canonical URLs and codes the FHIR mapping uses (docs/fhir.md has the tables).

The product's own CodeSystems and Questionnaire live under CANONICAL (a reserved .example domain: a
canonical URL names a definition, it is not fetched); their content is served by the API
(/api/v1/fhir/CodeSystem/{name}, /api/v1/fhir/Questionnaire/{name}).
"""

from __future__ import annotations

CANONICAL = "https://ketamine-screening.example/fhir"

# The product's own definitions
RULE_CODES = f"{CANONICAL}/CodeSystem/rule-code"  # DetectedIssue.code: the rule code (BP-STAGE2, ...)
VERDICTS = f"{CANONICAL}/CodeSystem/verdict"  # RiskAssessment.prediction.outcome: eligible, deferred, ...
ANSWERS = f"{CANONICAL}/CodeSystem/answer"  # a categorical intake answer's value (yes, no, passive, ...)
OVERRIDE_REASONS = f"{CANONICAL}/CodeSystem/override-reason"  # CDS cards: a rule's override reasons
INTAKE_QUESTIONNAIRE = f"{CANONICAL}/Questionnaire/ketamine-intake-1"  # every answer not carried elsewhere
MEASURE_QUESTIONNAIRE = f"{CANONICAL}/Questionnaire/measure-"  # + phq9 | gad7 | cssrs_screener
MRN_SYSTEM = f"{CANONICAL}/NamingSystem/mrn"  # Patient.identifier.system of the clinic's record number
EXT_SEX_AT_BIRTH = f"{CANONICAL}/StructureDefinition/sex-at-birth"  # Patient: the product's exact value
# RiskAssessment.prediction: the engine's own verdict, when overrides in force changed it (valueCoding)
EXT_ENGINE_VERDICT = f"{CANONICAL}/StructureDefinition/engine-verdict"

# External code systems
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ATC = "http://www.whocc.no/atc"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
US_CORE_BIRTHSEX = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"
PROVENANCE_PARTICIPANT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
DETECTED_ISSUE_MITIGATION = "http://terminology.hl7.org/CodeSystem/v3-ActCode"

# LOINC codes
BP_PANEL = "85354-9"  # Blood pressure panel with all children optional
SYSTOLIC = "8480-6"
DIASTOLIC = "8462-4"
HEART_RATE = "8867-4"
BODY_WEIGHT = "29463-7"
BODY_HEIGHT = "8302-2"
PREGNANCY_STATUS = "82810-3"  # Pregnancy status

# Patient.extension us-core-birthsex valueCode (sex at birth: never Patient.gender)
BIRTHSEX = {"female": "F", "male": "M", "intersex": "UNK", "unknown": "UNK"}

# Condition.clinicalStatus of a diagnosis status
CLINICAL_STATUS = {"active": "active", "in_remission": "remission", "history": "resolved"}

# Condition.severity (SNOMED CT); "unspecified" carries no severity
SEVERITY = {"mild": "255604002", "moderate": "6736007", "severe": "24484000"}

# DetectedIssue.severity of a finding's severity (issue 19)
DETECTED_ISSUE_SEVERITY = {
    "contraindicated": "high",
    "not_candidate": "high",
    "missing": "moderate",
    "defer": "moderate",
    "review": "moderate",
    "precaution": "low",
    "info": "low",
}

# The export's own identifiers (docs/fhir.md, "Export notes")
SCREENING_ID = f"{CANONICAL}/NamingSystem/screening"  # Bundle.identifier: the screening's id
SOURCES = f"{CANONICAL}/CodeSystem/source"  # DetectedIssue.evidence.code: a finding's source ids (S1, A1...)
RULESET_SHA256 = f"{CANONICAL}/NamingSystem/rule-set"  # Provenance.entity: a rule set by its sha256
FORMULARY_SHA256 = f"{CANONICAL}/NamingSystem/formulary"  # Provenance.entity: a formulary by its sha256
ENGINE_VERSION = f"{CANONICAL}/NamingSystem/engine"  # Provenance.agent: the engine by its version
EXT_VERSION = f"{CANONICAL}/StructureDefinition/version"  # Provenance.entity: the version label
MITIGATION_OVERRIDE = ("1", "Therapy Appropriate")  # v3-ActCode: a physician set the finding aside
