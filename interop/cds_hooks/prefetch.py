"""What the service asks the CDS client to prefetch, and reading what it sent into a list of resources.

The service never calls the client's FHIR server (it ignores `fhirServer` and `fhirAuthorization`): what
is not in the prefetch is not known. A required key the client did not send, sent only in part (a search
with a next page) or about another patient stops the screening; the card says which (fail closed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from interop.fhir import codes

_PATIENT = "{{context.patientId}}"
_LOINC = codes.LOINC


def _loinc(*codes_: str) -> str:
    return ",".join(f"{_LOINC}|{code}" for code in codes_)


PREFETCH: dict[str, str] = {
    "patient": f"Patient/{_PATIENT}",
    "conditions": f"Condition?patient={_PATIENT}",
    # the medications the patient takes or is about to take (a past one matters to no rule)
    "medications": f"MedicationStatement?patient={_PATIENT}&status=active,intended,on-hold,unknown",
    "bloodPressure": f"Observation?patient={_PATIENT}&code={_loinc(codes.BP_PANEL)}&_sort=-date&_count=50",
    "bodyMeasures": (
        f"Observation?patient={_PATIENT}"
        f"&code={_loinc(codes.BODY_WEIGHT, codes.BODY_HEIGHT, codes.PREGNANCY_STATUS)}&_sort=-date&_count=30"
    ),
    # the product's own intake questionnaire (docs/fhir.md): absent, every answer it carries is unknown
    "intakeQuestionnaire": (
        f"QuestionnaireResponse?patient={_PATIENT}&questionnaire={codes.INTAKE_QUESTIONNAIRE}"
        "&_sort=-authored&_count=1"
    ),
}
REQUIRED = ("patient", "conditions", "medications", "bloodPressure", "bodyMeasures")
OPTIONAL = ("intakeQuestionnaire",)
WHAT = {
    "patient": "Patient",
    "conditions": "conditions",
    "medications": "medications",
    "bloodPressure": "blood pressure readings",
    "bodyMeasures": "weight, height and pregnancy status",
    "intakeQuestionnaire": "intake questionnaire",
}


@dataclass
class Prefetched:
    resources: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)  # each resource's place in the request
    stops: list[str] = field(default_factory=list)  # why the screening cannot run, if it cannot
    unread: list[dict[str, str]] = field(default_factory=list)  # {"path", "message"}: sent, not read
    absent: list[str] = field(default_factory=list)  # optional keys not sent (or null)


def prefetched(prefetch: dict[str, Any] | None, patient_id: str) -> Prefetched:
    """The resources of the prefetch, in the order of PREFETCH, and what stops the screening, if anything."""
    prefetch = prefetch or {}
    got = Prefetched()
    for key in PREFETCH:
        if key not in prefetch:
            if key in REQUIRED:
                got.stops.append(f"prefetch `{key}` ({WHAT[key]}) was not sent")
            else:
                got.absent.append(key)
            continue
        value = prefetch[key]
        if value is None:  # the client has no data for it
            if key == "patient":
                got.stops.append(f"prefetch `{key}` is null: the EHR found no Patient for context.patientId")
            elif key in OPTIONAL:
                got.absent.append(key)
            continue
        if not isinstance(value, dict):
            got.stops.append(f"prefetch `{key}` is not a FHIR resource (a JSON object)")
            continue
        _read(got, key, value, patient_id)
    for key in prefetch:
        if key not in PREFETCH:
            got.unread.append({"path": f"prefetch.{key}", "message": "not a prefetch this service asks for"})
    return got


def _read(got: Prefetched, key: str, value: dict[str, Any], patient_id: str) -> None:
    where = f"prefetch.{key}"
    if value.get("resourceType") != "Bundle":
        _add(got, value, where, patient_id)
        return
    if any(_is_next(link) for link in _list(value.get("link"))):
        got.stops.append(f"prefetch `{key}` holds only the first page of a search (it has a next link)")
    for i, entry in enumerate(_list(value.get("entry"))):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict):
            _add(got, resource, f"{where}.entry[{i}].resource", patient_id)
        else:
            got.unread.append({"path": f"{where}.entry[{i}]", "message": "an entry without a resource"})


def _add(got: Prefetched, resource: dict[str, Any], path: str, patient_id: str) -> None:
    if resource.get("resourceType") == "Patient" and resource.get("id", patient_id) != patient_id:
        got.stops.append(f"`{path}` is another patient than the one in context (context.patientId)")
        return
    got.resources.append(resource)
    got.paths.append(path)


def _is_next(link: Any) -> bool:
    return isinstance(link, dict) and link.get("relation") == "next"


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
