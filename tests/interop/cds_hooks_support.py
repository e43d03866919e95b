"""A CDS client for the tests: an EHR's signing key and the JWTs it sends (Issuer), and what it would
prefetch for the CDS Hooks service, built from an intake example as docs/fhir.md maps it (written here,
independently of the export, so that the service is tested against the mapping's text): the Patient,
searchset Bundles of Conditions, MedicationStatements and Observations, and the product's intake
QuestionnaireResponse, which carries the yes/no answers. Also the calls the service tests make on both
mounts (`post`, `call`) and what they read from the answer."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from interop.cds_hooks.service import SERVICE_ID
from interop.fhir import codes
from screening.engine.vocabulary import SECTIONS
from tests.conftest import EXAMPLES

PATIENT_ID = "ehr-4711"


def subject() -> dict[str, str]:
    """A resource's subject: the patient in context (a new dict each time, so a test may change one)."""
    return {"reference": f"Patient/{PATIENT_ID}"}


def example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


def searchset(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [
            {"fullUrl": f"https://ehr.example.org/fhir/{r['resourceType']}/{r['id']}", "resource": r}
            for r in resources
        ],
    }


def _concept(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": codes.UCUM, "code": unit}


def patient(intake: dict[str, Any], *, mrn: bool = True) -> dict[str, Any]:
    p = intake["patient"]
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": PATIENT_ID,
        "name": [{"use": "official", "family": p["family_name"], "given": [p["given_name"]]}],
        "birthDate": p["date_of_birth"],
        "extension": [{"url": codes.EXT_SEX_AT_BIRTH, "valueCode": p.get("sex_at_birth", "unknown")}],
    }
    if mrn:
        resource["identifier"] = [
            {"type": _concept(codes.IDENTIFIER_TYPE, "MR"), "system": codes.MRN_SYSTEM, "value": p["mrn"]}
        ]
    return resource


def conditions(intake: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for i, d in enumerate(intake.get("diagnoses", [])):
        resource = {
            "resourceType": "Condition",
            "id": f"dx-{i}",
            "clinicalStatus": _concept(
                codes.CONDITION_CLINICAL, codes.CLINICAL_STATUS[d.get("status", "active")]
            ),
            "verificationStatus": _concept(codes.CONDITION_VERIFICATION, "confirmed"),
            "code": _concept(codes.ICD10CM, d["icd10"]),
            "subject": subject(),
        }
        if d.get("severity") in codes.SEVERITY:
            resource["severity"] = _concept(codes.SNOMED, codes.SEVERITY[d["severity"]])
        found.append(resource)
    return found


def medications(intake: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for i, m in enumerate(intake.get("medications", {}).get("items", [])):
        dosage: dict[str, Any] = {"asNeededBoolean": m.get("as_needed", False)}
        if m.get("dose_mg") is not None:
            dosage["doseAndRate"] = [{"doseQuantity": _quantity(m["dose_mg"], "mg")}]
        if m.get("times_per_day") is not None:
            dosage["timing"] = {"repeat": {"frequency": m["times_per_day"], "period": 1, "periodUnit": "d"}}
        if m.get("max_doses_per_day") is not None:
            dosage["maxDosePerPeriod"] = {
                "numerator": {"value": m["max_doses_per_day"]},
                "denominator": _quantity(1, "d"),
            }
        found.append(
            {
                "resourceType": "MedicationStatement",
                "id": f"med-{i}",
                "status": "active",
                "medicationCodeableConcept": {"text": m["name"]},
                "subject": subject(),
                "dosage": [dosage],
            }
        )
    return found


def _observation(ident: str, loinc: str, when: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": ident,
        "status": "final",
        "code": _concept(codes.LOINC, loinc),
        "subject": subject(),
        "effectiveDateTime": when,
    }


def blood_pressure(intake: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for i, r in enumerate(intake.get("blood_pressure", [])):
        resource = _observation(f"bp-{i}", codes.BP_PANEL, r["taken_at"])
        resource["component"] = [
            {
                "code": _concept(codes.LOINC, codes.SYSTOLIC),
                "valueQuantity": _quantity(r["systolic"], "mm[Hg]"),
            },
            {
                "code": _concept(codes.LOINC, codes.DIASTOLIC),
                "valueQuantity": _quantity(r["diastolic"], "mm[Hg]"),
            },
        ]
        found.append(resource)
    return found


def body_measures(intake: dict[str, Any]) -> list[dict[str, Any]]:
    p, day = intake["patient"], intake["assessed_on"]
    found = []
    if p.get("weight_kg") is not None:
        weight = _observation("weight", codes.BODY_WEIGHT, day)
        weight["valueQuantity"] = _quantity(p["weight_kg"], "kg")
        found.append(weight)
    if p.get("height_cm") is not None:
        height = _observation("height", codes.BODY_HEIGHT, day)
        height["valueQuantity"] = _quantity(p["height_cm"], "cm")
        found.append(height)
    pregnancy = _observation("pregnancy", codes.PREGNANCY_STATUS, day)
    pregnancy["valueCodeableConcept"] = _concept(codes.ANSWERS, p.get("pregnancy", "unknown"))
    found.append(pregnancy)
    return found


def intake_questionnaire(intake: dict[str, Any]) -> dict[str, Any]:
    """The product's intake QuestionnaireResponse: one item per answer (`section.answer`)."""
    item = [
        {
            "linkId": "treatment_history.failed_antidepressant_trials",
            "answer": [{"valueInteger": intake["treatment_history"]["failed_antidepressant_trials"]}],
        },
        {
            "linkId": "medications.reconciled",
            "answer": [{"valueBoolean": intake["medications"].get("reconciled", False)}],
        },
    ]
    for section, fields in SECTIONS.items():
        for name in fields:
            value = intake.get(section, {}).get(name, "unknown")
            item.append(
                {
                    "linkId": f"{section}.{name}",
                    "answer": [{"valueCoding": {"system": codes.ANSWERS, "code": value}}],
                }
            )
    return {
        "resourceType": "QuestionnaireResponse",
        "id": "intake-1",
        "questionnaire": codes.INTAKE_QUESTIONNAIRE,
        "status": "completed",
        "subject": subject(),
        "authored": intake["assessed_on"],
        "item": item,
    }


def prefetch(intake: dict[str, Any], *, questionnaire: bool = True, mrn: bool = True) -> dict[str, Any]:
    """Every prefetch key of the service's discovery document, as an EHR would fill it."""
    found = {
        "patient": patient(intake, mrn=mrn),
        "conditions": searchset(conditions(intake)),
        "medications": searchset(medications(intake)),
        "bloodPressure": searchset(blood_pressure(intake)),
        "bodyMeasures": searchset(body_measures(intake)),
    }
    if questionnaire:
        found["intakeQuestionnaire"] = searchset([intake_questionnaire(intake)])
    return found


def hook_call(prefetched: dict[str, Any] | None, *, instance: str = "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea"):
    call: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": instance,
        "fhirServer": "https://ehr.example.org/fhir",
        "context": {"userId": "Practitioner/dr-1", "patientId": PATIENT_ID},
    }
    if prefetched is not None:
        call["prefetch"] = prefetched
    return call


# ------------------------------------------------------------------------------------------------ the EHR

ISS = "https://ehr.example.org/cds"
HOST = "http://testserver"  # the Django test client's scheme and host: the `aud` of a call


class Issuer:
    """An EHR's EC P-384 key pair, made for the test run; `token()` signs a call's JWT as CDS Hooks asks
    (ES384, kid, iss, aud, exp five minutes after iat, a fresh jti), each claim replaceable."""

    def __init__(self, kid: str = "ehr-key-1", iss: str = ISS):
        self.key = ec.generate_private_key(ec.SECP384R1())
        self.kid, self.iss = kid, iss

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "ES384"}]}

    def claims(self, aud: str, /, **changes: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {
            "iss": self.iss,
            "sub": "ehr-client-7",
            "aud": aud,
            "iat": now,
            "exp": now + 300,
            "jti": str(uuid.uuid4()),
        }
        claims.update(changes)
        return {k: v for k, v in claims.items() if v is not None}

    def token(self, aud: str, /, *, key=None, headers: dict | None = None, **changes: Any) -> str:
        return jwt.encode(
            self.claims(aud, **changes),
            key or self.key,
            algorithm="ES384",
            headers={"kid": self.kid, **(headers or {})},
        )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def handmade_token(header: dict[str, Any], claims: dict[str, Any], secret: bytes | None) -> str:
    """A JWT no library would sign: `alg: none` (secret None, no signature) or HS256 with any bytes as
    the secret (an EHR's public key, in the classic algorithm-confusion attack)."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    if secret is None:
        return signing_input + "."
    return signing_input + "." + _b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())


def mismatched_ec_token(
    header: dict[str, Any], claims: dict[str, Any], key: ec.EllipticCurvePrivateKey
) -> str:
    """A JWT signed with SHA-384 by an EC key of any curve (PyJWT refuses to sign ES384 with a key that
    is not P-384): the signature is right for the key, the curve wrong for the algorithm."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA384())))
    size = (key.curve.key_size + 7) // 8
    return signing_input + "." + _b64(r.to_bytes(size, "big") + s.to_bytes(size, "big"))


# ------------------------------------------------------------------------------------------------ calls

MOUNTS = ["/cds-services", "/api/v1/cds-services"]  # the specification's paths, and the JSON API's
NOT_RUN = "Ketamine screening could not run: see the details"


def trusted_issuer(settings) -> Issuer:
    """An EHR whose keys the settings trust (inline JWK Set)."""
    ehr = Issuer()
    settings.CDS_HOOKS_ISSUERS = {ISS: {"jwks": ehr.jwks()}}
    return ehr


def post(client, issuer: Issuer, path: str, body: Any):
    token = issuer.token(HOST + path)
    return client.post(
        path,
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def call(client, issuer: Issuer, mount: str, body: Any) -> list[dict[str, Any]]:
    """The cards of a call that must be answered with cards."""
    response = post(client, issuer, f"{mount}/{SERVICE_ID}", body)
    assert response.status_code == 200, response.content
    return response.json()["cards"]


def by_rule(cards: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {card["source"].get("topic", {}).get("code"): card for card in cards[1:]}


def feedback(card_id: str, **item: Any) -> dict[str, Any]:
    return {
        "feedback": [
            {"card": card_id, "outcome": "accepted", "outcomeTimestamp": "2026-11-20T10:00:00Z", **item}
        ]
    }
