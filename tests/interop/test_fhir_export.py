"""A stored screening as a FHIR R4 Bundle (interop/fhir/export.py, docs/fhir.md): every export is read by
fhir.resources' R4B models unchanged, maps the intake as the table says, carries the verdict in force, the
findings with their overrides and the provenance, and is the same every time. The API's operations and
the report page's download: who may, what is audited."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.codesystem import CodeSystem
from fhir.resources.R4B.questionnaire import Questionnaire

from core.models import AuditEvent
from interop.fhir import codes
from interop.fhir.export import screening_bundle
from interop.fhir.export_answers import INTAKE_ITEMS
from patients.models import Patient
from patients.services import intake_import, measure_record
from screening.models import Screening
from screening.review import finding_override, override_cosign, screening_sign
from screening.services import screening_run
from tests.api.conftest import AS_OF, ApiClient, bearer, changed, example
from tests.conftest import EXAMPLES
from tests.defaults_snapshot import load_defaults_for_test

pytestmark = pytest.mark.django_db

EXPECTED = json.loads((EXAMPLES / "expected.json").read_text())
VALID_EXAMPLES = sorted(name for name, outcome in EXPECTED.items() if "verdict" in outcome)


@pytest.fixture
def defaults(db):
    load_defaults_for_test()


@pytest.fixture
def screen(defaults, clinician):
    """screen(doc): the document imported as a patient record and screened on the examples' day."""

    def run(doc: dict) -> Screening:
        patient, _ = intake_import(doc=doc)
        return screening_run(patient=patient, requested_by=clinician, as_of=AS_OF)

    return run


def valid(bundle: dict) -> dict:
    """The Bundle, once fhir.resources has read it and written it back exactly as it was."""
    model = Bundle.model_validate(bundle)
    assert json.loads(model.model_dump_json(exclude_none=True)) == bundle
    return bundle


def of_type(bundle: dict, resource_type: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type]


def one(bundle: dict, resource_type: str) -> dict:
    (resource,) = of_type(bundle, resource_type)
    return resource


def coded(concept: dict, system: str) -> list[str]:
    return [c["code"] for c in concept.get("coding", []) if c["system"] == system]


def issue(bundle: dict, rule: str) -> dict:
    return next(r for r in of_type(bundle, "DetectedIssue") if coded(r["code"], codes.RULE_CODES) == [rule])


def answers(bundle: dict) -> dict[str, dict]:
    """The intake questionnaire's answers by linkId (an item without an answer left out)."""
    response = next(
        r
        for r in of_type(bundle, "QuestionnaireResponse")
        if r["questionnaire"] == codes.INTAKE_QUESTIONNAIRE
    )
    return {item["linkId"]: item["answer"][0] for item in response["item"] if "answer" in item}


def unresolved_added(name: str) -> dict:
    doc = example(name)
    doc["medications"]["items"].append({"name": "Xyzzy 20 mg", "dose_mg": 20, "times_per_day": 1})
    return doc


# ------------------------------------------------------------------------------- every export validates


def test_every_demo_patient_exports_a_valid_bundle(defaults, clinician):
    with override_settings(DEBUG=True):
        call_command("load_demo", stdout=StringIO())
    patients = list(Patient.objects.order_by("mrn"))
    assert len(patients) >= 12
    for patient in patients:
        bundle = valid(screening_bundle(screening_run(patient=patient, requested_by=clinician)))
        assert one(bundle, "Patient")["identifier"][0]["value"] == patient.mrn


def test_a_screening_without_overrides_has_one_outcome_coding_and_no_engine_verdict_extension(screen):
    prediction = one(screening_bundle(screen(example("eligible"))), "RiskAssessment")["prediction"][0]
    assert len(prediction["outcome"]["coding"]) == 1 and "extension" not in prediction


@pytest.mark.parametrize("name", [*VALID_EXAMPLES, "eligible, failed trials unknown"])
def test_every_answer_has_the_type_the_served_questionnaire_declares(client, clinician, screen, name):
    """Each intake answer and each measure answer, against the item of the Questionnaire the API serves."""
    api = ApiClient(client, bearer(clinician))
    doc = example(name.split(",")[0])
    if name.endswith("unknown"):
        del doc["treatment_history"]["failed_antidepressant_trials"]
    doc["measures"] = [
        {"instrument": "phq9", "administered_on": "2026-11-13", "answers": [1, 2, 1, 2, 2, 1, 2, 2, 1]},
        {"instrument": "gad7", "administered_on": "2026-11-13", "answers": [0, 1, 0, 1, 0, 1, 0]},
        {
            "instrument": "cssrs_screener",
            "administered_on": "2026-11-13",
            "answers": {"wish_to_be_dead": True, "suicidal_thoughts": False, "behavior_ever": False},
        },
    ]
    value_of = {"choice": "valueCoding", "integer": "valueInteger", "boolean": "valueBoolean"}
    checked = 0
    for response in of_type(screening_bundle(screen(doc)), "QuestionnaireResponse"):
        name_served = response["questionnaire"].rsplit("/", 1)[1]
        served = api.get(f"/fhir/Questionnaire/{name_served}").json()
        declared = {item["linkId"]: item for item in served["item"]}
        assert [item["linkId"] for item in response["item"]] == list(declared)
        for item in response["item"]:
            question = declared[item["linkId"]]
            for answer in item.get("answer", []):
                assert list(answer) == [value_of[question["type"]]], (item["linkId"], answer)
                if "answerOption" in question:
                    assert answer in question["answerOption"], (item["linkId"], answer)
                checked += 1
    assert checked > len(INTAKE_ITEMS)


@pytest.mark.parametrize("name", VALID_EXAMPLES)
def test_every_example_exports_a_valid_bundle(screen, name):
    screening = screen(example(name))
    bundle = valid(screening_bundle(screening))
    assert bundle["type"] == "collection"
    assert bundle["identifier"] == {"system": codes.SCREENING_ID, "value": str(screening.pk)}
    assert bundle["timestamp"] == screening.created_at.isoformat().replace("+00:00", "Z")
    urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert all(url.startswith("urn:uuid:") for url in urls) and len(set(urls)) == len(urls)
    outcome = one(bundle, "RiskAssessment")["prediction"][0]["outcome"]
    assert coded(outcome, codes.VERDICTS) == [EXPECTED[name]["verdict"]]
    assert set(EXPECTED[name]["has"]) <= {
        coded(r["code"], codes.RULE_CODES)[0] for r in of_type(bundle, "DetectedIssue")
    }


def test_the_same_screening_exports_the_same_bundle(screen):
    screening = screen(example("deferred-bp-and-benzodiazepine"))
    first = json.dumps(screening_bundle(screening))
    assert json.dumps(screening_bundle(Screening.objects.get(pk=screening.pk))) == first


def test_every_reference_points_at_an_entry_of_the_bundle(screen):
    bundle = screening_bundle(screen(example("deferred-bp-and-benzodiazepine")))
    urls = {entry["fullUrl"] for entry in bundle["entry"]}
    text = json.dumps(bundle)
    referenced = {part.split('"')[0] for part in text.split('"reference": "')[1:]}
    assert referenced and referenced <= urls


# ------------------------------------------------------------------------------------------ the record


def test_the_patient_carries_the_mrn_name_birth_date_and_sex_at_birth_never_gender(screen):
    patient = one(screening_bundle(screen(example("eligible"))), "Patient")
    mrn = example("eligible")["patient"]["mrn"]
    assert patient["identifier"] == [
        {
            "use": "usual",
            "type": {
                "coding": [
                    {"system": codes.IDENTIFIER_TYPE, "code": "MR", "display": "Medical record number"}
                ]
            },
            "system": codes.MRN_SYSTEM,
            "value": mrn,
        }
    ]
    assert patient["name"] == [{"use": "official", "family": "Silva", "given": ["Ana"]}]
    assert patient["birthDate"] == "1984-03-02"
    assert patient["extension"] == [
        {"url": codes.EXT_SEX_AT_BIRTH, "valueCode": "female"},
        {"url": codes.US_CORE_BIRTHSEX, "valueCode": "F"},
    ]
    assert "gender" not in patient


def test_intersex_is_kept_in_the_products_extension_and_unk_in_us_core(screen):
    patient = one(
        screening_bundle(screen(changed("eligible", ("patient", "sex_at_birth"), "intersex"))), "Patient"
    )
    assert [e["valueCode"] for e in patient["extension"]] == ["intersex", "UNK"]


def test_each_reading_is_a_blood_pressure_panel_with_loinc_components(screen):
    bundle = screening_bundle(screen(example("deferred-bp-and-benzodiazepine")))
    readings = [
        o for o in of_type(bundle, "Observation") if coded(o["code"], codes.LOINC) == [codes.BP_PANEL]
    ]
    intake = example("deferred-bp-and-benzodiazepine")["blood_pressure"]
    assert len(readings) == len(intake)
    first = readings[0]
    expected = [codes.SYSTOLIC, codes.DIASTOLIC]
    if intake[0].get("heart_rate") is not None:
        expected.append(codes.HEART_RATE)
    assert [coded(c["code"], codes.LOINC)[0] for c in first["component"]] == expected
    systolic, diastolic = first["component"][0]["valueQuantity"], first["component"][1]["valueQuantity"]
    assert (systolic["value"], systolic["code"], systolic["system"]) == (
        intake[0]["systolic"],
        "mm[Hg]",
        codes.UCUM,
    )
    assert diastolic["value"] == intake[0]["diastolic"]
    assert first["category"][0]["coding"][0]["code"] == "vital-signs"


def test_a_reading_with_a_heart_rate_has_its_component_in_per_minute(screen):
    doc = example("eligible")
    doc["blood_pressure"][0]["heart_rate"] = 71
    bundle = screening_bundle(screen(doc))
    first = next(
        o for o in of_type(bundle, "Observation") if coded(o["code"], codes.LOINC) == [codes.BP_PANEL]
    )
    assert [coded(c["code"], codes.LOINC) for c in first["component"]] == [
        [codes.SYSTOLIC],
        [codes.DIASTOLIC],
        [codes.HEART_RATE],
    ]
    assert first["component"][2]["valueQuantity"] == {
        "value": 71,
        "unit": "beats/minute",
        "system": codes.UCUM,
        "code": "/min",
    }


def test_a_reading_without_heart_rate_has_no_heart_rate_component(screen):
    doc = example("eligible")
    del doc["blood_pressure"][0]["heart_rate"]
    bundle = screening_bundle(screen(doc))
    first = next(
        o for o in of_type(bundle, "Observation") if coded(o["code"], codes.LOINC) == [codes.BP_PANEL]
    )
    assert [coded(c["code"], codes.LOINC)[0] for c in first["component"]] == [codes.SYSTOLIC, codes.DIASTOLIC]


def test_weight_height_and_pregnancy_are_observations(screen):
    bundle = screening_bundle(screen(example("eligible")))
    by_code = {coded(o["code"], codes.LOINC)[0]: o for o in of_type(bundle, "Observation")}
    assert by_code[codes.BODY_WEIGHT]["valueQuantity"]["value"] == 74
    assert by_code[codes.BODY_WEIGHT]["valueQuantity"]["code"] == "kg"
    assert by_code[codes.BODY_HEIGHT]["valueQuantity"]["code"] == "cm"
    pregnancy = by_code[codes.PREGNANCY_STATUS]["valueCodeableConcept"]
    assert coded(pregnancy, codes.ANSWERS) == ["not_pregnant"] and coded(pregnancy, codes.LOINC) == [
        "LA26683-5"
    ]


def test_a_weight_not_measured_has_no_observation(screen):
    bundle = screening_bundle(screen(changed("eligible", ("patient", "weight_kg"), None)))
    assert [
        o for o in of_type(bundle, "Observation") if coded(o["code"], codes.LOINC) == [codes.BODY_WEIGHT]
    ] == []


def test_each_diagnosis_is_a_condition_coded_in_icd_10_cm(screen):
    doc = example("eligible")
    doc["diagnoses"].append(
        {"icd10": "F41.1", "status": "in_remission", "severity": "unspecified", "note": "x"}
    )
    conditions = of_type(screening_bundle(screen(doc)), "Condition")
    assert [coded(c["code"], codes.ICD10CM) for c in conditions] == [["F33.2"], ["F41.1"]]
    assert coded(conditions[0]["clinicalStatus"], codes.CONDITION_CLINICAL) == ["active"]
    assert coded(conditions[0]["severity"], codes.SNOMED) == [codes.SEVERITY["severe"]]
    assert coded(conditions[1]["clinicalStatus"], codes.CONDITION_CLINICAL) == ["remission"]
    assert "severity" not in conditions[1] and conditions[1]["note"] == [{"text": "x"}]


def test_atc_coding_only_for_a_name_the_formulary_resolved(screen):
    statements = of_type(screening_bundle(screen(unresolved_added("eligible"))), "MedicationStatement")
    resolved, unresolved = statements
    assert resolved["medicationCodeableConcept"]["text"] == "Lexapro"
    assert coded(resolved["medicationCodeableConcept"], codes.ATC) == ["N06AB10"]
    assert unresolved["medicationCodeableConcept"] == {"text": "Xyzzy 20 mg"}
    assert unresolved["dosage"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 20


def test_the_dosage_keeps_dose_frequency_as_needed_and_the_daily_maximum(screen):
    doc = example("eligible")
    doc["medications"]["items"] = [
        {"name": "Xanax", "dose_mg": 0.25, "as_needed": True, "max_doses_per_day": 3}
    ]
    (statement,) = of_type(screening_bundle(screen(doc)), "MedicationStatement")
    dosage = statement["dosage"][0]
    assert dosage["asNeededBoolean"] is True and "timing" not in dosage
    assert dosage["doseAndRate"][0]["doseQuantity"] == {
        "value": 0.25,
        "unit": "mg",
        "system": codes.UCUM,
        "code": "mg",
    }
    assert dosage["maxDosePerPeriod"]["numerator"] == {"value": 3}
    assert dosage["maxDosePerPeriod"]["denominator"]["code"] == "d"


def test_every_intake_answer_is_in_the_questionnaire_response_unknown_included(screen):
    doc = changed("needs-information", ("treatment_history",), {"psychotherapy_current": "yes"})
    response = next(
        r
        for r in of_type(screening_bundle(screen(doc)), "QuestionnaireResponse")
        if r["questionnaire"] == codes.INTAKE_QUESTIONNAIRE
    )
    assert [item["linkId"] for item in response["item"]] == [item.link_id for item in INTAKE_ITEMS]
    trials = response["item"][0]
    assert trials == {"linkId": "treatment_history.failed_antidepressant_trials", "text": trials["text"]}
    found = {item["linkId"]: item["answer"][0] for item in response["item"] if "answer" in item}
    assert found["treatment_history.psychotherapy_current"]["valueCoding"]["code"] == "yes"
    assert found["medications.reconciled"] == {"valueBoolean": False}


def test_the_number_of_failed_trials_and_a_reconciled_list(screen):
    found = answers(screening_bundle(screen(example("eligible"))))
    assert found["treatment_history.failed_antidepressant_trials"] == {"valueInteger": 3}
    assert found["medications.reconciled"] == {"valueBoolean": True}
    assert found["psychiatric.suicidal_ideation"]["valueCoding"]["code"] == "passive"


def test_each_measure_administration_is_a_questionnaire_response(screen):
    patient = Patient.objects.get(pk=screen(example("eligible")).patient_id)
    measure_record(
        patient=patient, instrument="phq9", administered_on=AS_OF, answers=[1, 2, 1, 2, 2, 1, 2, 2, 1]
    )
    measure_record(
        patient=patient,
        instrument="cssrs_screener",
        administered_on=AS_OF,
        answers={"wish_to_be_dead": True, "suicidal_thoughts": False, "behavior_ever": False},
    )
    screening = screening_run(
        patient=patient, requested_by=Screening.objects.first().requested_by, as_of=AS_OF
    )
    bundle = valid(screening_bundle(screening))
    responses = {
        r["questionnaire"]: r
        for r in of_type(bundle, "QuestionnaireResponse")
        if r["questionnaire"] != codes.INTAKE_QUESTIONNAIRE
    }
    phq9 = responses[codes.MEASURE_QUESTIONNAIRE + "phq9"]
    assert phq9["authored"] == AS_OF.isoformat()
    assert [(i["linkId"], i["answer"][0]["valueInteger"]) for i in phq9["item"]] == [
        (str(n), v) for n, v in enumerate([1, 2, 1, 2, 2, 1, 2, 2, 1], start=1)
    ]
    cssrs = {
        i["linkId"]: i.get("answer")
        for i in responses[codes.MEASURE_QUESTIONNAIRE + "cssrs_screener"]["item"]
    }
    assert (
        cssrs["wish_to_be_dead"] == [{"valueBoolean": True}] and cssrs["intent"] is None and len(cssrs) == 7
    )


# ------------------------------------------------------------------------------------- the screening


@pytest.mark.parametrize(
    ("name", "rule", "severity"),
    [
        ("contraindicated-avm", "CV-AVM", "high"),
        ("deferred-bp-and-benzodiazepine", "BP-STAGE2", "moderate"),
        ("needs-information", "PREG-UNKNOWN", "moderate"),
        ("deferred-bp-and-benzodiazepine", "MEDS-BENZO-HIGH", "low"),
    ],
)
def test_each_finding_is_a_detected_issue_with_its_severity_evidence_action_and_sources(
    screen, name, rule, severity
):
    screening = screen(example(name))
    finding = next(f for f in screening.report["findings"] if f["rule"] == rule)
    found = issue(screening_bundle(screening), rule)
    assert found["severity"] == severity == codes.DETECTED_ISSUE_SEVERITY[finding["severity"]]
    assert found["code"]["coding"] == [
        {
            "system": codes.RULE_CODES,
            "version": screening.ruleset_version,
            "code": rule,
            "display": finding["title"],
        }
    ]
    assert found["detail"] == finding["evidence"]
    assert found["mitigation"] == [{"action": {"text": finding["action"]}}]
    assert [coded(c, codes.SOURCES)[0] for c in found["evidence"][0]["code"]] == finding["sources"]


def test_a_medication_finding_implicates_its_medication_statement(screen):
    bundle = screening_bundle(screen(example("deferred-bp-and-benzodiazepine")))
    klonopin = next(
        e["fullUrl"]
        for e in bundle["entry"]
        if e["resource"].get("medicationCodeableConcept", {}).get("text") == "Klonopin"
    )
    assert issue(bundle, "MEDS-BENZO-HIGH")["implicated"] == [{"reference": klonopin}]
    assert "implicated" not in issue(bundle, "BP-STAGE2")


@pytest.fixture
def overridden(screen, physician, physician2):
    """CV-AVM set aside by one physician, co-signed by a second, then the screening signed not cleared."""
    screening = screen(example("contraindicated-avm"))
    override = finding_override(
        screening=screening, rule="CV-AVM", reason="Imaging shows no AVM", user=physician2
    )
    override_cosign(override=override, user=physician)
    screening_sign(
        screening=screening, user=physician, decision="not_cleared", note="Wait for the MRI report"
    )
    return Screening.objects.get(pk=screening.pk)


def test_a_signed_override_shows_in_the_risk_assessment_as_the_verdict_in_force(overridden):
    assessment = one(valid(screening_bundle(overridden)), "RiskAssessment")
    outcome = assessment["prediction"][0]["outcome"]
    assert overridden.verdict == "contraindicated"
    in_force = coded(outcome, codes.VERDICTS)
    assert len(in_force) == 1 and in_force != ["contraindicated"]
    assert assessment["prediction"][0]["extension"] == [
        {
            "url": f"{codes.CANONICAL}/StructureDefinition/engine-verdict",
            "valueCoding": {
                "system": codes.VERDICTS,
                "code": "contraindicated",
                "display": "Engine verdict before overrides: Contraindicated: do not infuse",
            },
        }
    ]
    assert "CV-AVM" in assessment["prediction"][0]["rationale"]
    assert assessment["status"] == "final" and assessment["performer"] == {"display": "doc1"}
    assert assessment["note"][0]["authorString"] == "doc1"
    assert assessment["note"][0]["text"] == "Not cleared. Wait for the MRI report"


def test_the_override_and_its_co_signature_are_mitigations_with_author_date_and_reason(overridden):
    found = issue(screening_bundle(overridden), "CV-AVM")
    action, override, cosignature = found["mitigation"]
    assert "action" in action and "author" not in action
    assert override["author"] == {"display": "doc2"} and "Imaging shows no AVM" in override["action"]["text"]
    assert "(in force)" in override["action"]["text"]
    assert coded(override["action"], codes.DETECTED_ISSUE_MITIGATION) == ["1"]
    assert override["date"].endswith("Z")
    assert cosignature["author"] == {"display": "doc1"} and "co-signed" in cosignature["action"]["text"]


def test_an_override_awaiting_its_co_signature_is_not_in_force(screen, physician2):
    screening = screen(example("contraindicated-avm"))
    finding_override(screening=screening, rule="CV-AVM", reason="Imaging shows no AVM", user=physician2)
    bundle = screening_bundle(screening)
    assert coded(one(bundle, "RiskAssessment")["prediction"][0]["outcome"], codes.VERDICTS) == [
        "contraindicated"
    ]
    _, override = issue(bundle, "CV-AVM")["mitigation"]
    assert "awaiting a second physician's co-signature" in override["action"]["text"]


def test_the_provenance_names_the_rule_set_formulary_engine_and_signer(overridden):
    bundle = screening_bundle(overridden)
    provenance = one(bundle, "Provenance")
    ruleset, formulary = provenance["entity"]
    assert ruleset["what"]["identifier"] == {
        "system": codes.RULESET_SHA256,
        "value": overridden.ruleset_sha256,
    }
    assert ruleset["extension"] == [{"url": codes.EXT_VERSION, "valueString": overridden.ruleset_version}]
    assert formulary["what"]["identifier"] == {
        "system": codes.FORMULARY_SHA256,
        "value": overridden.formulary_sha256,
    }
    assert formulary["extension"][0]["valueString"] == str(overridden.formulary_version)
    engine, signer = provenance["agent"]
    assert engine["who"]["identifier"] == {"system": codes.ENGINE_VERSION, "value": overridden.engine_version}
    assert signer == {
        "type": {
            "coding": [{"system": codes.PROVENANCE_PARTICIPANT, "code": "attester", "display": "Attester"}]
        },
        "who": {"display": "doc1"},
    }
    assert [t["reference"] for t in provenance["target"]] == [e["fullUrl"] for e in bundle["entry"][:-1]]


def test_an_unsigned_screening_has_no_signer(screen):
    bundle = screening_bundle(screen(example("eligible")))
    assert [a["type"]["coding"][0]["code"] for a in one(bundle, "Provenance")["agent"]] == ["assembler"]
    assert one(bundle, "RiskAssessment")["status"] == "preliminary"


# ------------------------------------------------------------------------------------------- the API

API = "/api/v1"


@pytest.fixture
def screening(screen):
    return screen(example("deferred-bp-and-benzodiazepine"))


def test_the_api_exports_the_bundle_as_fhir_json_and_audits_it(client, screening, report_staff):
    response = ApiClient(client, bearer(report_staff)).get(f"/screenings/{screening.pk}/fhir")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    assert valid(response.json()) == screening_bundle(screening)
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.object_type, event.object_id) == ("export", "screening", str(screening.pk))
    assert event.patient_id == screening.patient_id and event.user_id == report_staff.pk
    assert screening.intake["patient"]["mrn"] not in event.detail


def test_the_api_answers_404_for_an_unknown_screening(client, clinician, defaults):
    response = ApiClient(client, bearer(clinician)).get("/screenings/999999/fhir")
    assert response.status_code == 404 and response.json() == {"error": "Not found."}


@pytest.mark.parametrize(
    "path", ["/screenings/{id}/fhir", "/fhir/CodeSystem/rule-code", "/fhir/Questionnaire/ketamine-intake-1"]
)
def test_the_api_refuses_a_wrong_role_and_an_anonymous_caller(client, screening, rules_admin, path):
    path = path.format(id=screening.pk)
    assert ApiClient(client, bearer(rules_admin)).get(path).status_code == 403
    assert ApiClient(client, {}).get(path).status_code == 401
    assert not AuditEvent.objects.filter(action="export", object_type="screening").exists()


def test_the_schema_describes_the_export_and_the_definitions(client, clinician):
    schema = client.get(f"{API}/openapi.json", headers=bearer(clinician)).json()
    for path in ("/screenings/{screening_id}/fhir", "/fhir/CodeSystem/{name}", "/fhir/Questionnaire/{name}"):
        content = schema["paths"][API + path]["get"]["responses"]["200"]["content"]
        assert list(content) == ["application/fhir+json"]
    bundle = schema["paths"][API + "/screenings/{screening_id}/fhir"]["get"]["responses"]["200"]
    assert bundle["content"]["application/fhir+json"]["schema"]["properties"]["resourceType"]["enum"] == [
        "Bundle"
    ]


@pytest.mark.parametrize("name", ["rule-code", "verdict", "answer"])
def test_the_code_systems_are_valid_fhir(client, clinician, defaults, name):
    response = ApiClient(client, bearer(clinician)).get(f"/fhir/CodeSystem/{name}")
    assert response.status_code == 200 and response["Content-Type"] == "application/fhir+json"
    body = response.json()
    assert json.loads(CodeSystem.model_validate(body).model_dump_json(exclude_none=True)) == body
    assert body["url"] == f"{codes.CANONICAL}/CodeSystem/{name}" and body["count"] == len(body["concept"])


def test_the_rule_code_system_lists_the_active_rules_with_title_and_severity(client, clinician, screening):
    body = ApiClient(client, bearer(clinician)).get("/fhir/CodeSystem/rule-code").json()
    concepts = {c["code"]: c for c in body["concept"]}
    finding = screening.report["findings"][0]
    assert concepts[finding["rule"]]["display"] == finding["title"]
    assert concepts[finding["rule"]]["property"] == [{"code": "severity", "valueCode": finding["severity"]}]


def test_the_answer_code_system_has_every_code_the_bundles_use(client, clinician, screen):
    body = ApiClient(client, bearer(clinician)).get("/fhir/CodeSystem/answer").json()
    known = {c["code"] for c in body["concept"]}
    used = {
        a["valueCoding"]["code"]
        for a in answers(screening_bundle(screen(example("needs-information")))).values()
        if "valueCoding" in a
    }
    assert used <= known


@pytest.mark.parametrize(
    "name", ["ketamine-intake-1", "measure-phq9", "measure-gad7", "measure-cssrs_screener"]
)
def test_the_questionnaires_are_valid_fhir(client, clinician, defaults, name):
    response = ApiClient(client, bearer(clinician)).get(f"/fhir/Questionnaire/{name}")
    assert response.status_code == 200
    body = response.json()
    assert json.loads(Questionnaire.model_validate(body).model_dump_json(exclude_none=True)) == body
    assert body["url"] == f"{codes.CANONICAL}/Questionnaire/{name}"


def test_the_intake_questionnaire_has_one_item_per_answer_with_its_options(client, clinician, defaults):
    body = ApiClient(client, bearer(clinician)).get("/fhir/Questionnaire/ketamine-intake-1").json()
    items = {item["linkId"]: item for item in body["item"]}
    assert list(items) == [item.link_id for item in INTAKE_ITEMS]
    assert items["treatment_history.failed_antidepressant_trials"]["type"] == "integer"
    assert items["medications.reconciled"]["type"] == "boolean"
    options = [o["valueCoding"]["code"] for o in items["psychiatric.suicidal_ideation"]["answerOption"]]
    assert options == ["none", "passive", "active", "unknown"]


@pytest.mark.parametrize("path", ["/fhir/CodeSystem/nothing", "/fhir/Questionnaire/measure-phq10"])
def test_an_unknown_definition_is_404(client, clinician, defaults, path):
    assert ApiClient(client, bearer(clinician)).get(path).status_code == 404


# ----------------------------------------------------------------------------- the report page's download


def test_the_report_page_offers_the_fhir_download(client, screening, clinician):
    client.force_login(clinician)
    page = client.get(reverse("screening:detail", args=[screening.pk])).content.decode()
    assert f'href="{reverse("interop:screening_fhir", args=[screening.pk])}"' in page


def test_the_download_is_the_bundle_as_an_attachment_and_is_audited(client, screening, report_staff):
    client.force_login(report_staff)
    response = client.get(reverse("interop:screening_fhir", args=[screening.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    assert response["Content-Disposition"] == f'attachment; filename="screening-{screening.pk}.fhir.json"'
    assert valid(json.loads(response.content)) == screening_bundle(screening)
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.object_type, event.user_id) == ("export", "screening", report_staff.pk)
    assert event.patient_id == screening.patient_id


def test_the_download_is_refused_to_a_role_without_the_report(client, screening, rules_admin):
    client.force_login(rules_admin)
    assert client.get(reverse("interop:screening_fhir", args=[screening.pk])).status_code == 403
    client.logout()
    response = client.get(reverse("interop:screening_fhir", args=[screening.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not AuditEvent.objects.filter(action="export", object_type="screening").exists()


def test_the_download_of_an_unknown_screening_is_404(client, clinician, defaults):
    client.force_login(clinician)
    assert client.get(reverse("interop:screening_fhir", args=[999999])).status_code == 404
