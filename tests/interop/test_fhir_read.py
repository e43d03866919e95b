"""FHIR R4 onto the intake (interop/fhir/read.py), as docs/fhir.md maps it: what is read, what is listed
as not mapped, and what refuses the input whole. No database: the mapping is a function of the input."""

from __future__ import annotations

import copy
from datetime import date

import pytest
from django.utils import timezone

from interop.fhir import codes
from interop.fhir.read import FhirInvalid, intake_from_bundle, intake_from_resources
from screening.intake import validate_intake

from .fhir_builders import (
    EHR_MRN_SYSTEM,
    allergy,
    blood_pressure,
    bundle,
    condition,
    ehr_bundle,
    ehr_resources,
    loinc,
    measured,
    medication,
    patient,
    quantity,
)


@pytest.fixture(autouse=True)
def ehr_mrn_system(settings, on_assessment_day):
    """The EHR's MRN system is configured (FHIR_MRN_SYSTEMS); today is 2026-11-20 (the examples' day)."""
    settings.FHIR_MRN_SYSTEMS = [EHR_MRN_SYSTEM]


def problems(exc_info) -> list[tuple[str, str]]:
    return [(p["path"], p["message"]) for p in exc_info.value.problems]


def read(*resources, **kw):
    """The resources after a Patient that has nothing left unmapped (no administrative gender)."""
    plain = patient()
    del plain["gender"]
    return intake_from_resources([plain, *resources], **kw)


def unmapped_paths(mapped) -> list[str]:
    return [item["path"] for item in mapped.unmapped]


# --- an EHR-like Bundle ---------------------------------------------------------------------------


def test_an_ehr_bundle_maps_onto_an_intake_with_every_answer_unknown_and_the_list_not_reconciled():
    mapped = intake_from_bundle(ehr_bundle())
    assert mapped.intake == {
        "format": "ketamine-intake/1",
        "assessed_on": timezone.localdate().isoformat(),
        "patient": {
            "mrn": "EHR-1001",
            "given_name": "Beatriz",
            "family_name": "Costa",
            "date_of_birth": "1979-05-14",
            "sex_at_birth": "female",
            "weight_kg": 68.5,
            "height_cm": 165,
        },
        "diagnoses": [{"icd10": "F33.1", "status": "active", "severity": "moderate"}],
        "medications": {
            "reconciled": False,
            "items": [
                {"name": "Sertraline", "dose_mg": 50, "times_per_day": 1},
                {"name": "Lorazepam", "dose_mg": 0.5, "as_needed": True, "max_doses_per_day": 2},
            ],
        },
        "blood_pressure": [
            {"taken_at": "2026-11-18T09:00:00-07:00", "systolic": 128, "diastolic": 82, "heart_rate": 72}
        ],
    }
    valid = validate_intake(mapped.intake)
    assert set(valid["psychiatric"].values()) == {"unknown"}
    assert set(valid["cardiovascular"].values()) == {"unknown"}
    assert valid["medications"]["reconciled"] is False


def test_what_an_ehr_bundle_holds_beyond_the_intake_is_listed_in_order_never_dropped():
    mapped = intake_from_bundle(ehr_bundle())
    assert mapped.unmapped == [
        {
            "path": "entry[0].resource.gender",
            "message": "Patient.gender: not read (administrative gender is not sex at birth)",
        },
        {
            "path": "entry[2].resource",
            "message": "Condition: no ICD-10-CM code (SNOMED CT 38341003); not mapped",
        },
        {
            "path": "entry[8].resource",
            "message": "AllergyIntolerance: not mapped (the intake has no place for it)",
        },
    ]


def test_each_intake_value_names_the_fhir_path_it_came_from():
    origins = intake_from_bundle(ehr_bundle()).origins
    assert origins["patient.mrn"] == "entry[0].resource.identifier[1].value"
    assert origins["patient.given_name"] == "entry[0].resource.name[1].given[0]"
    assert origins["patient.weight_kg"] == "entry[6].resource.valueQuantity"
    assert origins["diagnoses[0].icd10"] == "entry[1].resource.code.coding[0].code"
    assert origins["medications.items[1].max_doses_per_day"] == (
        "entry[4].resource.dosage[0].maxDosePerPeriod.numerator"
    )
    assert origins["blood_pressure[0].systolic"] == "entry[5].resource.component[0].valueQuantity"


@pytest.mark.parametrize("kind", ["collection", "document", "searchset", "transaction", "batch"])
def test_every_bundle_type_that_carries_resources_is_read(kind):
    assert intake_from_bundle(ehr_bundle(kind)).intake["patient"]["mrn"] == "EHR-1001"


def test_the_resources_themselves_map_the_same_as_their_bundle_with_their_own_paths():
    mapped = intake_from_resources(ehr_resources(), assessed_on=date(2026, 11, 20))
    assert mapped.intake["assessed_on"] == "2026-11-20"
    assert mapped.intake["diagnoses"] == intake_from_bundle(ehr_bundle()).intake["diagnoses"]
    assert mapped.origins["patient.mrn"] == "resources[0].identifier[1].value"
    named = intake_from_resources([patient(), allergy()], paths=["prefetch.patient", "prefetch.allergies"])
    assert unmapped_paths(named) == ["prefetch.patient.gender", "prefetch.allergies"]


# --- refusals: the Bundle whole, each problem by path -----------------------------------------------


@pytest.mark.parametrize(
    ("value", "path", "message"),
    [
        ([], "document", "must be a FHIR Bundle (a JSON object)"),
        ("Bundle", "document", "must be a FHIR Bundle (a JSON object)"),
        (patient(), "resourceType", "'Patient' is not Bundle"),
        (
            {"resourceType": "Bundle", "type": "message"},
            "type",
            "'message' is not one of collection, document, searchset, transaction, batch",
        ),
        ({"resourceType": "Bundle", "type": "collection", "entry": {}}, "entry", "must be a list"),
    ],
)
def test_what_is_not_a_bundle_of_an_accepted_type_is_refused(value, path, message):
    with pytest.raises(FhirInvalid) as exc:
        intake_from_bundle(value)
    assert (path, message) in problems(exc)


def test_a_bundle_without_a_patient_is_refused():
    with pytest.raises(FhirInvalid) as exc:
        intake_from_bundle(bundle([condition()]))
    assert problems(exc) == [("entry", "no Patient: the input must describe exactly one patient")]


@pytest.mark.parametrize("value", [bundle([]), {"resourceType": "Bundle", "type": "collection"}])
def test_a_bundle_without_entries_is_refused_at_entry(value):
    with pytest.raises(FhirInvalid) as exc:
        intake_from_bundle(value)
    assert problems(exc) == [("entry", "no Patient: the input must describe exactly one patient")]


def test_a_bundle_of_two_patients_is_refused_at_the_second():
    with pytest.raises(FhirInvalid) as exc:
        intake_from_bundle(bundle([patient(), condition(), patient(id="p2")]))
    assert problems(exc) == [
        ("entry[2].resource", "a second Patient: the input must describe exactly one patient")
    ]


def test_a_patient_without_an_mrn_is_refused_at_its_identifiers():
    with pytest.raises(FhirInvalid) as exc:
        intake_from_bundle(bundle([patient(identifier=[{"system": "https://ehr.example/x", "value": "1"}])]))
    [(path, message)] = problems(exc)
    assert path == "entry[0].resource.identifier"
    assert message.startswith("no MRN: an identifier with system https://ketamine-screening.example/fhir/")


def test_two_different_mrns_in_the_configured_system_are_refused_an_old_one_is_not_counted():
    mr = {"coding": [{"system": codes.IDENTIFIER_TYPE, "code": "MR"}]}
    two = [{"type": mr, "system": EHR_MRN_SYSTEM, "value": "A-1"}, {"system": EHR_MRN_SYSTEM, "value": "A-2"}]
    with pytest.raises(FhirInvalid) as exc:
        intake_from_resources([patient(identifier=two)])
    assert problems(exc)[0][0] == "resources[0].identifier"
    current = intake_from_resources([patient(identifier=[two[0], {**two[1], "use": "old"}])])
    assert current.intake["patient"]["mrn"] == "A-1"


def test_the_products_own_mrn_system_wins_over_an_identifier_typed_mr():
    own = {"system": codes.MRN_SYSTEM, "value": "KT-0042"}
    mapped = intake_from_resources([patient(identifier=[*patient()["identifier"], own])])
    assert mapped.intake["patient"]["mrn"] == "KT-0042"
    assert mapped.origins["patient.mrn"] == "resources[0].identifier[2].value"


MR = {"coding": [{"system": codes.IDENTIFIER_TYPE, "code": "MR"}]}
OTHER_HOSPITAL = "https://other-hospital.example/fhir/sid/mrn"


def test_an_identifier_typed_mr_of_a_system_not_configured_is_not_the_mrn(settings):
    settings.FHIR_MRN_SYSTEMS = []
    with pytest.raises(FhirInvalid) as exc:
        intake_from_resources([patient()])
    [(path, message)] = problems(exc)
    assert path == "resources[0].identifier"
    assert message.startswith("no MRN: an identifier with system https://ketamine-screening.example/fhir/")
    other = {"type": MR, "system": OTHER_HOSPITAL, "value": "X-1"}
    mapped = intake_from_resources(
        [
            patient(
                identifier=[
                    other,
                    {"type": MR, "value": "X-2"},
                    {"system": codes.MRN_SYSTEM, "value": "KT-9"},
                ]
            )
        ]
    )
    assert mapped.intake["patient"]["mrn"] == "KT-9"
    assert mapped.unmapped[:2] == [
        {
            "path": "resources[0].identifier[0]",
            "message": f"an identifier typed MR in {OTHER_HOSPITAL}: not the MRN (not the product's MRN "
            "system nor one of FHIR_MRN_SYSTEMS); not read",
        },
        {
            "path": "resources[0].identifier[1]",
            "message": "an identifier typed MR without a system: not the MRN (not the product's MRN "
            "system nor one of FHIR_MRN_SYSTEMS); not read",
        },
    ]


def test_an_identifier_in_a_configured_mrn_system_is_the_mrn_typed_or_not(settings):
    settings.FHIR_MRN_SYSTEMS = [OTHER_HOSPITAL, EHR_MRN_SYSTEM]
    mapped = intake_from_resources([patient(identifier=[{"system": OTHER_HOSPITAL, "value": "X-1"}])])
    assert mapped.intake["patient"]["mrn"] == "X-1"
    with pytest.raises(FhirInvalid) as exc:
        intake_from_resources(
            [patient(identifier=[{"system": OTHER_HOSPITAL, "value": "X-1"}, *patient()["identifier"]])]
        )
    assert problems(exc)[0][0] == "resources[0].identifier"


def test_a_resource_the_r4b_models_refuse_refuses_the_bundle_by_its_path():
    invalid = ehr_resources()
    invalid[0]["birthDate"] = "1979-13-40"
    invalid[5]["component"][0]["valueQuantity"]["value"] = "high"
    invalid[1]["onsetBanana"] = True
    with pytest.raises(FhirInvalid) as exc:
        intake_from_bundle(bundle(invalid))
    paths = [path for path, _ in problems(exc)]
    assert paths == [
        "entry[0].resource.birthDate",
        "entry[1].resource.onsetBanana",
        "entry[5].resource.component[0].valueQuantity.value",
    ]


@pytest.mark.parametrize(
    ("resource", "path", "message"),
    [
        (
            {"resourceType": "Banana"},
            "entry[1].resource.resourceType",
            "'Banana' is not a FHIR R4 resource type",
        ),
        (
            {"resourceType": "HumanName"},
            "entry[1].resource.resourceType",
            "'HumanName' is not a FHIR R4 resource type",
        ),
        (
            {"resourceType": "DomainResource"},
            "entry[1].resource.resourceType",
            "'DomainResource' is not a FHIR R4 resource type",
        ),
        (
            {"resourceType": "Resource", "id": "r1"},
            "entry[1].resource.resourceType",
            "'Resource' is not a FHIR R4 resource type",
        ),
        ({"status": "final"}, "entry[1].resource.resourceType", "required: the resource's type"),
        ("Patient", "entry[1].resource", "must be a FHIR resource (an object), got str"),
    ],
)
def test_an_entry_that_is_not_a_resource_is_refused(resource, path, message):
    value = bundle([patient()])
    value["entry"].append({"resource": resource})
    with pytest.raises(FhirInvalid) as exc:
        intake_from_bundle(value)
    assert problems(exc) == [(path, message)]


def deep(levels: int):
    value: dict = {"resourceType": "Basic", "code": {"text": "x"}}
    for _ in range(levels):
        value = {"extension": [value]}
    return value


@pytest.mark.parametrize(
    ("hostile", "path", "message"),
    [
        ({"text": "a\x00b"}, "entry[0].resource.name[0].text", "contains a NUL character"),
        (
            {"text": "\ud800"},
            "entry[0].resource.name[0].text",
            "contains an invalid character (a lone UTF-16 surrogate)",
        ),
        ({"text": float("nan")}, "entry[0].resource.name[0].text", "nan is not a finite number"),
        ({"text": object()}, "entry[0].resource.name[0].text", "object is not a JSON value"),
        ({1: "x"}, "entry[0].resource.name[0].1", "a key must be text without NUL"),
    ],
)
def test_hostile_values_are_refused_by_path_never_raised(hostile, path, message):
    value = bundle([patient()])
    value["entry"][0]["resource"]["name"] = [hostile]
    with pytest.raises(FhirInvalid) as exc:
        intake_from_bundle(value)
    assert problems(exc) == [(path, message)]


def test_deep_nesting_and_huge_inputs_are_refused_without_recursing():
    nested: list = []
    for _ in range(100_000):
        nested = [nested]
    with pytest.raises(FhirInvalid) as exc:
        intake_from_bundle({"resourceType": "Bundle", "type": "collection", "entry": nested})
    assert problems(exc)[0][1] == "nested more than 24 levels deep"
    with pytest.raises(FhirInvalid) as exc:
        intake_from_bundle({"resourceType": "Bundle", "type": "collection", "entry": [{}] * 300_000})
    assert problems(exc) == [("document", "holds more than 200000 values")]


def test_a_resource_about_another_patient_refuses_the_input():
    with pytest.raises(FhirInvalid) as exc:
        read(
            condition(subject={"reference": "Patient/p2"}),
            condition("F41.1", subject={"reference": "Group/g"}),
        )
    assert problems(exc) == [
        ("resources[1].subject", "is about another patient than this input's Patient"),
        ("resources[2].subject", "is about a Group, not this input's Patient"),
    ]
    absolute = read(condition(subject={"reference": "https://ehr.example/fhir/Patient/p1"}))
    assert absolute.intake["diagnoses"][0]["icd10"] == "F33.1"


def test_a_patient_without_an_id_is_named_by_its_full_url():
    nameless = patient()
    del nameless["id"]  # bundle() gives it the fullUrl https://ehr.example/fhir/Patient/0
    with pytest.raises(FhirInvalid) as exc:
        intake_from_bundle(bundle([nameless, condition(subject={"reference": "Patient/p2"})]))
    assert problems(exc) == [
        ("entry[1].resource.subject", "is about another patient than this input's Patient")
    ]
    same = intake_from_bundle(bundle([nameless, condition(subject={"reference": "Patient/0"})]))
    assert same.intake["diagnoses"][0]["icd10"] == "F33.1"
    by_url = bundle([nameless, condition(subject={"reference": "https://ehr.example/fhir/Patient/0"})])
    assert intake_from_bundle(by_url).intake["diagnoses"][0]["icd10"] == "F33.1"


def test_a_patient_known_only_by_its_urn_is_not_the_subject_of_a_literal_reference():
    value = bundle([patient(), condition(subject={"reference": "Patient/p1"})])
    del value["entry"][0]["resource"]["id"]
    value["entry"][0]["fullUrl"] = "urn:uuid:6f1c0b0e-1f4e-4a39-8b59-0d5f2c2b0001"
    with pytest.raises(FhirInvalid) as exc:
        intake_from_bundle(value)
    assert problems(exc) == [
        ("entry[1].resource.subject", "is about another patient than this input's Patient")
    ]
    value["entry"][1]["resource"]["subject"] = {"reference": "urn:uuid:6f1c0b0e-1f4e-4a39-8b59-0d5f2c2b0001"}
    assert intake_from_bundle(value).intake["diagnoses"][0]["icd10"] == "F33.1"


# --- Patient ------------------------------------------------------------------------------------------


def test_the_products_sex_at_birth_extension_wins_and_us_core_unk_reads_as_unknown():
    own = {"url": codes.EXT_SEX_AT_BIRTH, "valueCode": "intersex"}
    us_core = {"url": codes.US_CORE_BIRTHSEX, "valueCode": "UNK"}
    assert (
        intake_from_resources([patient(extension=[us_core, own])]).intake["patient"]["sex_at_birth"]
        == "intersex"
    )
    assert (
        intake_from_resources([patient(extension=[us_core])]).intake["patient"]["sex_at_birth"] == "unknown"
    )
    without = intake_from_resources([patient(extension=[], gender="male")])
    assert "sex_at_birth" not in without.intake["patient"]


def test_the_products_sex_at_birth_extension_without_a_valid_code_is_listed_and_us_core_read():
    for broken in (
        {"url": codes.EXT_SEX_AT_BIRTH, "valueCode": "banana"},
        {"url": codes.EXT_SEX_AT_BIRTH, "valueString": "male"},
    ):
        mapped = intake_from_resources(
            [patient(extension=[broken, {"url": codes.US_CORE_BIRTHSEX, "valueCode": "F"}])]
        )
        assert mapped.intake["patient"]["sex_at_birth"] == "female"
        assert mapped.origins["patient.sex_at_birth"] == "resources[0].extension[1].valueCode"
        assert mapped.unmapped[0] == {
            "path": "resources[0].extension[0]",
            "message": "sex-at-birth: no valueCode of female, male, intersex, unknown; not read",
        }


@pytest.mark.parametrize(("own", "us_core"), [("male", "F"), ("female", "UNK"), ("intersex", "M")])
def test_the_products_sex_at_birth_and_us_core_that_disagree_leave_it_unknown(own, us_core):
    mapped = intake_from_resources(
        [
            patient(
                extension=[
                    {"url": codes.US_CORE_BIRTHSEX, "valueCode": us_core},
                    {"url": codes.EXT_SEX_AT_BIRTH, "valueCode": own},
                ]
            )
        ]
    )
    assert "sex_at_birth" not in mapped.intake["patient"]
    assert mapped.unmapped[0] == {
        "path": "resources[0].extension",
        "message": f"sex-at-birth {own} and us-core-birthsex {us_core} disagree; sex at birth unknown",
    }


def test_the_products_sex_at_birth_and_a_us_core_code_that_agrees_are_read_without_a_note():
    agree = [
        {"url": codes.EXT_SEX_AT_BIRTH, "valueCode": "intersex"},
        {"url": codes.US_CORE_BIRTHSEX, "valueCode": "UNK"},
    ]
    mapped = intake_from_resources([patient(extension=agree)])
    assert mapped.intake["patient"]["sex_at_birth"] == "intersex"
    assert unmapped_paths(mapped) == ["resources[0].gender"]


def test_a_second_sex_at_birth_extension_is_listed_not_read():
    first, second = ({"url": codes.EXT_SEX_AT_BIRTH, "valueCode": code} for code in ("female", "male"))
    mapped = intake_from_resources([patient(extension=[first, second])])
    assert mapped.intake["patient"]["sex_at_birth"] == "female"
    assert mapped.unmapped[0] == {
        "path": "resources[0].extension[1]",
        "message": "sex-at-birth: a second extension; only the first is read",
    }


def test_without_an_official_name_the_first_is_read():
    mapped = intake_from_resources([patient(name=[{"given": ["Bia"], "family": "C"}, {"family": "D"}])])
    assert (mapped.intake["patient"]["given_name"], mapped.intake["patient"]["family_name"]) == ("Bia", "C")


# --- Conditions ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clinical", "status"),
    [
        ("active", "active"),
        ("recurrence", "active"),
        ("relapse", "active"),
        ("remission", "in_remission"),
        ("inactive", "history"),
        ("resolved", "history"),
    ],
)
def test_condition_clinical_status_maps_onto_the_diagnosis_status(clinical, status):
    status_concept = {"coding": [{"system": codes.CONDITION_CLINICAL, "code": clinical}]}
    assert read(condition(clinicalStatus=status_concept)).intake["diagnoses"][0]["status"] == status


@pytest.mark.parametrize("verification", ["refuted", "entered-in-error"])
def test_a_refuted_or_erroneous_condition_is_not_a_diagnosis(verification):
    concept = {"coding": [{"system": codes.CONDITION_VERIFICATION, "code": verification}]}
    mapped = read(condition(verificationStatus=concept))
    assert mapped.intake["diagnoses"] == []
    assert mapped.unmapped == [
        {
            "path": "resources[1]",
            "message": f"Condition: verificationStatus {verification}: not a diagnosis, not mapped",
        }
    ]


def test_condition_severity_and_note_are_read_and_another_severity_code_is_listed():
    mapped = read(
        condition(
            severity={"coding": [{"system": codes.SNOMED, "code": "24484000"}]}, note=[{"text": "recurrent"}]
        ),
        condition("F41.1", severity={"text": "bad"}),
    )
    assert mapped.intake["diagnoses"] == [
        {"icd10": "F33.1", "status": "active", "severity": "severe", "note": "recurrent"},
        {"icd10": "F41.1", "status": "active"},
    ]
    assert unmapped_paths(mapped) == ["resources[2].severity"]


def test_two_icd10cm_codes_in_one_condition_are_not_chosen_between():
    two = condition()
    two["code"]["coding"].append({"system": codes.ICD10CM, "code": "F32.1"})
    mapped = read(two)
    assert mapped.intake["diagnoses"] == []
    assert "more than one ICD-10-CM code" in mapped.unmapped[-1]["message"]


def test_the_same_diagnosis_twice_is_read_once_and_two_that_differ_are_left_to_the_validation():
    same = read(condition("F33.1"), condition("f331"))
    assert len(same.intake["diagnoses"]) == 1
    assert same.unmapped[-1]["path"] == "resources[2]"
    resolved = {"coding": [{"system": codes.CONDITION_CLINICAL, "code": "resolved"}]}
    differ = read(condition("F33.1"), condition("F33.1", clinicalStatus=resolved))
    assert len(differ.intake["diagnoses"]) == 2


# --- MedicationStatements -----------------------------------------------------------------------------


def test_a_medication_is_named_by_its_text_else_its_first_codings_display_never_by_its_code():
    display = {"coding": [{"system": codes.ATC, "code": "N06AB06", "display": "sertraline"}]}
    code_only = {"coding": [{"system": codes.ATC, "code": "N06AB06"}]}
    mapped = read(
        medication(medicationCodeableConcept=display), medication(medicationCodeableConcept=code_only)
    )
    assert [m["name"] for m in mapped.intake["medications"]["items"]] == ["sertraline"]
    assert mapped.unmapped[-1]["path"] == "resources[2]"
    assert "the codes are never used to guess one" in mapped.unmapped[-1]["message"]


def test_a_medication_reference_reads_the_named_medication():
    drug = {"resourceType": "Medication", "id": "m1", "code": {"text": "Bupropion XL"}}
    stray = {"resourceType": "Medication", "id": "m2", "code": {"text": "Unused"}}
    statement = medication(medicationReference={"reference": "Medication/m1"})
    del statement["medicationCodeableConcept"]
    mapped = read(drug, statement, stray)
    assert mapped.intake["medications"]["items"][0]["name"] == "Bupropion XL"
    assert mapped.origins["medications.items[0].name"] == "resources[1].code.text"
    assert unmapped_paths(mapped) == ["resources[3]"]


@pytest.mark.parametrize("status", ["completed", "stopped", "not-taken", "entered-in-error"])
def test_a_medication_not_taken_now_is_listed_not_mapped(status):
    mapped = read(medication(status=status))
    assert mapped.intake["medications"]["items"] == []
    assert unmapped_paths(mapped)[-1] == "resources[1]"


def test_a_dose_or_frequency_in_another_unit_stays_unknown_and_is_listed():
    grams = medication(
        dosage=[
            {
                "doseAndRate": [{"doseQuantity": quantity(0.05, "g")}],
                "timing": {"repeat": {"frequency": 1, "period": 12, "periodUnit": "h"}},
            }
        ]
    )
    split = medication(dosage=[{"text": "10 mg morning"}, {"text": "20 mg evening"}])
    mapped = read(grams, split)
    assert mapped.intake["medications"]["items"] == [{"name": "Sertraline"}, {"name": "Sertraline"}]
    assert unmapped_paths(mapped) == [
        "resources[1].dosage[0].doseAndRate",
        "resources[1].dosage[0].timing",
        "resources[2].dosage",
    ]


def test_a_timing_with_more_than_frequency_period_and_unit_leaves_times_a_day_unknown():
    twice = medication(
        dosage=[
            {
                "doseAndRate": [{"doseQuantity": quantity(50, "mg")}],
                "timing": {
                    "repeat": {"frequency": 1, "period": 1, "periodUnit": "d", "when": ["MORN", "EVE"]}
                },
            }
        ]
    )
    coded_too = medication(
        dosage=[
            {
                "timing": {
                    "code": {"text": "BID"},
                    "repeat": {"frequency": 1, "period": 1, "periodUnit": "d"},
                }
            }
        ]
    )
    mapped = read(twice, coded_too)
    assert mapped.intake["medications"]["items"] == [
        {"name": "Sertraline", "dose_mg": 50},
        {"name": "Sertraline"},
    ]
    message = (
        "timing: not exactly repeat.frequency per period 1 periodUnit d (nothing else); times a day unknown"
    )
    assert [(u["path"], u["message"]) for u in mapped.unmapped] == [
        ("resources[1].dosage[0].timing", message),
        ("resources[2].dosage[0].timing", message),
    ]


def test_a_dosage_text_beside_the_structured_dose_is_listed():
    tapering = medication()
    tapering["dosage"][0]["text"] = "50 mg daily, then 25 mg daily from the 1st"
    mapped = read(tapering)
    assert mapped.intake["medications"]["items"] == [
        {"name": "Sertraline", "dose_mg": 50, "times_per_day": 1}
    ]
    assert [(u["path"], u["message"]) for u in mapped.unmapped] == [
        (
            "resources[1].dosage[0].text",
            "Dosage.text: not read; only the structured dose is (the text may say more, e.g. a taper)",
        )
    ]


def reconciled_intake():
    return intake_answers(answer("medications.reconciled", valueBoolean=True))


def unresolved_reference():
    statement = medication(medicationReference={"reference": "Medication/elsewhere"})
    del statement["medicationCodeableConcept"]
    return statement


def active_request():
    return {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "subject": {"reference": "Patient/p1"},
        "medicationCodeableConcept": {"text": "Tranylcypromine 10 mg"},
    }


@pytest.mark.parametrize(
    ("dropped", "message"),
    [
        (unresolved_reference(), "MedicationStatement: its Medication is not in the input; not mapped"),
        (
            medication(
                status="on-hold",
                medicationCodeableConcept={"coding": [{"system": codes.ATC, "code": "N06AF04"}]},
            ),
            "MedicationStatement: no name (text or the first coding's display); the codes are never used to "
            "guess one; not mapped",
        ),
        (
            active_request(),
            "MedicationRequest (status active): not mapped: the product reads MedicationStatement (what the "
            "patient takes); a current medication is missing from the list",
        ),
    ],
)
def test_a_current_medication_not_mapped_makes_the_list_not_reconciled(dropped, message):
    mapped = read(medication(), dropped, reconciled_intake())
    assert mapped.intake["medications"]["reconciled"] is False
    assert [(u["path"], u["message"]) for u in mapped.unmapped] == [
        ("resources[2]", message),
        (
            "resources[3].item[0].answer[0].valueBoolean",
            "medications.reconciled: true not read: a current medication was not mapped (resources[2]); "
            "the medication list is therefore not reconciled",
        ),
    ]


def test_a_medication_no_longer_taken_leaves_the_reconciliation_as_answered():
    stopped_request = {**active_request(), "status": "stopped"}
    mapped = read(medication(), medication(status="stopped"), stopped_request, reconciled_intake())
    assert mapped.intake["medications"]["reconciled"] is True
    assert [(u["path"], u["message"]) for u in mapped.unmapped] == [
        ("resources[2]", "MedicationStatement: status 'stopped': not a current medication; not mapped"),
        (
            "resources[3]",
            "MedicationRequest (status stopped): not mapped: the product reads MedicationStatement (what the "
            "patient takes)",
        ),
    ]


# --- Observations -------------------------------------------------------------------------------------


def test_weight_in_pounds_is_not_converted_it_is_listed():
    mapped = read(measured(codes.BODY_WEIGHT, 150, "[lb_av]"))
    assert "weight_kg" not in mapped.intake["patient"]
    assert mapped.unmapped[-1] == {
        "path": "resources[1]",
        "message": "Observation (body weight): 150 [lb_av] is not a value in kg (UCUM); not mapped",
    }


def test_the_latest_weight_is_read_and_the_earlier_one_listed():
    mapped = read(
        measured(codes.BODY_WEIGHT, 70, "kg", "2026-11-01"),
        measured(codes.BODY_WEIGHT, 72, "kg", "2026-11-18T08:00:00Z"),
    )
    assert mapped.intake["patient"]["weight_kg"] == 72
    assert mapped.unmapped[-1] == {
        "path": "resources[1]",
        "message": "Observation (body weight): an earlier one; the latest is read",
    }


def test_when_the_latest_weight_cannot_be_told_the_weight_is_unknown():
    earlier = measured(codes.BODY_WEIGHT, 70, "kg", "2026-11-18")
    mapped = read(earlier, measured(codes.BODY_WEIGHT, 72, "kg", "2026-11-18T08:00:00Z"))
    assert "weight_kg" not in mapped.intake["patient"]
    assert unmapped_paths(mapped) == ["resources[1]", "resources[2]"]


def test_pregnancy_status_reads_the_products_code_first_else_the_loinc_answer():
    both = {
        "coding": [
            {"system": codes.LOINC, "code": "LA26683-5"},
            {"system": codes.ANSWERS, "code": "breastfeeding"},
        ]
    }
    loinc_only = {"coding": [{"system": codes.LOINC, "code": "LA15173-0"}]}
    status = {
        "resourceType": "Observation",
        "status": "final",
        "code": loinc(codes.PREGNANCY_STATUS),
        "effectiveDateTime": "2026-11-19",
    }
    assert read({**status, "valueCodeableConcept": both}).intake["patient"]["pregnancy"] == "breastfeeding"
    assert read({**status, "valueCodeableConcept": loinc_only}).intake["patient"]["pregnancy"] == "pregnant"


def test_a_reading_needs_both_pressures_and_its_time_and_other_codes_or_statuses_are_listed():
    mapped = read(
        blood_pressure(diastolic=None),
        blood_pressure(when="2026-11-18"),
        blood_pressure(status="preliminary"),
        measured("8867-4", 70, "/min"),
        blood_pressure(heart_rate=None),
    )
    assert mapped.intake["blood_pressure"] == [
        {"taken_at": "2026-11-18T09:00:00-07:00", "systolic": 128, "diastolic": 82}
    ]
    assert [(u["path"], u["message"]) for u in mapped.unmapped] == [
        ("resources[1]", "Observation (blood pressure): not both pressures in mm[Hg]; reading not mapped"),
        ("resources[2]", "Observation (blood pressure): no date and time (effectiveDateTime); not mapped"),
        ("resources[3]", "Observation: status 'preliminary': not mapped"),
        ("resources[4]", "Observation: LOINC 8867-4: not mapped"),
    ]


# --- the products own resources -----------------------------------------------------------------------


def intake_answers(*items, authored="2026-11-20T09:30:00-07:00", **changes):
    resource = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "questionnaire": codes.INTAKE_QUESTIONNAIRE,
        "authored": authored,
        "item": list(items),
    }
    resource.update(changes)
    return resource


def answer(link_id, **value):
    return {"linkId": link_id, "answer": [value]}


def coded(value):
    return {"system": codes.ANSWERS, "code": value}


def test_the_intake_questionnaire_carries_the_answers_the_reconciliation_and_the_date():
    mapped = read(
        intake_answers(
            answer("psychiatric.suicidal_ideation", valueCoding=coded("passive")),
            {"linkId": "cardio", "item": [answer("cardiovascular.stroke_history", valueCoding=coded("no"))]},
            answer("treatment_history.failed_antidepressant_trials", valueInteger=3),
            answer("medications.reconciled", valueBoolean=True),
            answer("support.escort_available", valueCoding={"system": "http://other", "code": "yes"}),
            answer("psychiatric.telepathy", valueCoding=coded("no")),
        )
    )
    intake = mapped.intake
    assert intake["assessed_on"] == "2026-11-20"
    assert mapped.origins["assessed_on"] == "resources[1].authored"
    assert intake["psychiatric"] == {"suicidal_ideation": "passive"}
    assert intake["cardiovascular"] == {"stroke_history": "no"}
    assert intake["treatment_history"] == {"failed_antidepressant_trials": 3}
    assert intake["medications"]["reconciled"] is True
    assert "support" not in intake
    assert unmapped_paths(mapped) == ["resources[1].item[4]", "resources[1].item[5]"]


def test_the_assessed_on_given_wins_over_the_questionnaires_date():
    mapped = read(intake_answers(), assessed_on=date(2026, 11, 25))
    assert mapped.intake["assessed_on"] == "2026-11-25"


def test_an_answer_given_twice_or_a_second_intake_questionnaire_refuses_the_input():
    twice = answer("support.support_person", valueCoding=coded("yes"))
    with pytest.raises(FhirInvalid) as exc:
        read(intake_answers(twice, copy.deepcopy(twice)), intake_answers())
    assert [path for path, _ in problems(exc)] == ["resources[1].item[1]", "resources[2]"]


def measure(instrument, items, authored="2026-11-13"):
    return {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "questionnaire": codes.MEASURE_QUESTIONNAIRE + instrument,
        "authored": authored,
        "item": items,
    }


def test_measure_questionnaires_become_measures():
    phq9 = measure(
        "phq9", [answer(str(n), valueInteger=v) for n, v in enumerate([1, 2, 1, 2, 2, 1, 2, 2, 1], 1)]
    )
    cssrs = measure(
        "cssrs_screener",
        [
            answer("wish_to_be_dead", valueBoolean=True),
            answer("suicidal_thoughts", valueBoolean=False),
            answer("behavior_ever", valueBoolean=False),
        ],
        "2026-11-20T10:00:00Z",
    )
    mapped = read(phq9, cssrs, intake_answers())
    assert mapped.intake["measures"] == [
        {"instrument": "phq9", "administered_on": "2026-11-13", "answers": [1, 2, 1, 2, 2, 1, 2, 2, 1]},
        {
            "instrument": "cssrs_screener",
            "administered_on": "2026-11-20",
            "answers": {"wish_to_be_dead": True, "suicidal_thoughts": False, "behavior_ever": False},
        },
    ]
    assert mapped.origins["measures[0].answers[3]"] == "resources[1].item[3].answer[0].valueInteger"
    assert validate_intake(mapped.intake)["measures"][1]["answers"]["intent"] is None


def test_a_bundle_without_measure_questionnaires_says_nothing_about_measures():
    assert "measures" not in intake_from_bundle(ehr_bundle()).intake


@pytest.mark.parametrize("kind", ["RiskAssessment", "DetectedIssue", "Provenance"])
def test_the_products_own_findings_are_not_imported(kind):
    resource = {
        "RiskAssessment": {
            "resourceType": "RiskAssessment",
            "status": "final",
            "subject": {"reference": "Patient/p1"},
        },
        "DetectedIssue": {"resourceType": "DetectedIssue", "status": "final"},
        "Provenance": {
            "resourceType": "Provenance",
            "target": [{"reference": "Patient/p1"}],
            "recorded": "2026-11-20T10:00:00Z",
            "agent": [{"who": {"display": "x"}}],
        },
    }[kind]
    mapped = read(resource)
    assert mapped.unmapped[-1] == {
        "path": "resources[1]",
        "message": f"{kind}: not imported: the product computes its own findings",
    }


def test_an_entry_without_a_resource_is_listed_in_its_place():
    value = bundle([patient(), allergy()])
    value["entry"].insert(1, {"fullUrl": "urn:uuid:7", "request": {"method": "DELETE", "url": "Condition/9"}})
    assert unmapped_paths(intake_from_bundle(value)) == [
        "entry[0].resource.gender",
        "entry[1]",
        "entry[2].resource",
    ]


def test_a_number_answered_unknown_stays_unknown_without_being_listed():
    trials = answer("treatment_history.failed_antidepressant_trials", valueCoding=coded("unknown"))
    mapped = read(intake_answers(trials, answer("support.support_person", valueCoding=coded("unknown"))))
    assert mapped.intake["support"] == {"support_person": "unknown"}
    assert "treatment_history" not in mapped.intake
    assert mapped.unmapped == []
