"""What the service asks the CDS client to prefetch, and reading what it sent into a list of resources.

The service never calls the client's FHIR server (it ignores `fhirServer` and `fhirAuthorization`): what
is not in the prefetch is not known. A required key the client did not send is a 412 (PrefetchMissing).
What the EHR sent but cannot be screened stops the screening, and the card says which (fail closed): an
OperationOutcome where results were asked for (the EHR's search failed or was changed), a resource of a
type the key cannot hold, a Patient that is not the one in context or a resource whose subject is not
that Patient, and a complete list (conditions, medications) sent in part (a search with a next page).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from interop.fhir import codes

from .cards import code, md

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
# What each key may hold (the resource itself, or a searchset Bundle of them)
KINDS = {
    "patient": ("Patient",),
    "conditions": ("Condition",),
    "medications": ("MedicationStatement", "Medication"),
    "bloodPressure": ("Observation",),
    "bodyMeasures": ("Observation",),
    "intakeQuestionnaire": ("QuestionnaireResponse",),
}
# Searches that must be sent whole: a condition or medication on a page not sent would go unseen. The
# others are sorted newest first and counted: their first page is what is asked for.
COMPLETE = ("conditions", "medications")
NO_SUBJECT = ("Patient", "Medication")  # every other resource names its patient in `subject`
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


_HISTORY = re.compile(r"/_history/[^/]+$")
ISSUES_SHOWN = 3
KEY_SHOWN = 64


class PrefetchMissing(Exception):
    """412: required prefetch keys were not sent (CDS Hooks: a service SHALL answer 412 when the client
    does not send the prefetch it needs)."""

    def __init__(self, keys: list[str]):
        self.keys = keys
        super().__init__(
            "Required prefetch not sent: " + ", ".join(keys) + ". Send every required prefetch of the "
            "service's discovery document (GET /cds-services)."
        )


@dataclass
class Prefetched:
    resources: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)  # each resource's place in the request
    stops: list[str] = field(default_factory=list)  # why the screening cannot run (Markdown lines)
    unread: list[dict[str, str]] = field(default_factory=list)  # {"path", "message"}: sent, not read
    absent: list[str] = field(default_factory=list)  # optional keys not sent (or null)
    missing: list[str] = field(default_factory=list)  # required keys not sent: 412


def prefetched(
    prefetch: dict[str, Any] | None, patient_id: str, fhir_server: str | None = None
) -> Prefetched:
    """The resources of the prefetch, in the order of PREFETCH, and what stops the screening, if anything.
    `fhir_server` (the call's) is the base an absolute reference to the Patient may start with."""
    prefetch = prefetch or {}
    got = Prefetched()
    own = _references(patient_id, fhir_server)
    for key in PREFETCH:
        if key not in prefetch:
            (got.missing if key in REQUIRED else got.absent).append(key)
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
        _read(got, key, value, patient_id, own)
    for key in prefetch:
        if key not in PREFETCH:
            got.unread.append(
                {"path": f"prefetch.{_shown(key)}", "message": "not a prefetch this service asks for"}
            )
    return got


def _read(got: Prefetched, key: str, value: dict[str, Any], patient_id: str, own: set[str]) -> None:
    where = f"prefetch.{key}"
    if value.get("resourceType") != "Bundle" or key == "patient":
        _add(got, key, value, where, patient_id, own)
        return
    if any(_is_next(link) for link in _list(value.get("link"))):
        if key in COMPLETE:
            got.stops.append(f"prefetch `{key}` holds only the first page of a search (it has a next link)")
        else:
            got.unread.append(
                {
                    "path": f"{where}.link",
                    "message": "the search's next pages: not read (the first holds the latest)",
                }
            )
    for i, entry in enumerate(_list(value.get("entry"))):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        path = f"{where}.entry[{i}]"
        if _obj(_obj(entry).get("search")).get("mode") == "outcome" and _kind(resource) != "OperationOutcome":
            got.stops.append(
                f"{code(path)} is a search outcome (search.mode `outcome`): the search did not run as asked"
            )
        elif isinstance(resource, dict):
            _add(got, key, resource, f"{path}.resource", patient_id, own)
        else:
            got.unread.append({"path": path, "message": "an entry without a resource"})


def _add(
    got: Prefetched, key: str, resource: dict[str, Any], path: str, patient_id: str, own: set[str]
) -> None:
    kind = _kind(resource)
    if kind == "OperationOutcome":
        got.stops.append(
            f"{code(path)} is an OperationOutcome ({_issues(resource)}) where the EHR was asked for "
            f"{WHAT[key]}: what it holds is not known"
        )
        return
    if kind not in KINDS[key]:
        got.stops.append(
            f"{code(path)} is {'of type ' + md(kind) if kind else 'not a FHIR resource'}, not "
            f"{' or '.join(KINDS[key])}: prefetch `{key}` holds {WHAT[key]}"
        )
        return
    if kind == "Patient":
        if "id" not in resource:
            got.stops.append(f"{code(path + '.id')} is missing: the Patient in context cannot be confirmed")
            return
        if resource["id"] != patient_id:
            got.stops.append(f"{code(path)} is another patient than the one in context (context.patientId)")
            return
    elif kind not in NO_SUBJECT:
        reference = _obj(resource.get("subject")).get("reference")
        if not isinstance(reference, str) or _HISTORY.sub("", reference) not in own:
            got.stops.append(
                f"{code(path + '.subject')} is not a reference to the patient in context "
                f"({code('Patient/' + patient_id)}): whose record it is cannot be told"
            )
            return
    got.resources.append(resource)
    got.paths.append(path)


def _references(patient_id: str, fhir_server: str | None) -> set[str]:
    """How a resource may name the patient in context: relative, or absolute on the call's FHIR server."""
    relative = f"Patient/{patient_id}"
    return {relative, f"{fhir_server.rstrip('/')}/{relative}"} if fhir_server else {relative}


def _issues(outcome: dict[str, Any]) -> str:
    issues = [_obj(issue) for issue in _list(outcome.get("issue"))]
    shown = [
        f"{md(issue.get('severity', '?'))} {md(issue.get('code', '?'))}" for issue in issues[:ISSUES_SHOWN]
    ]
    more = [f"{len(issues) - ISSUES_SHOWN} more"] if len(issues) > ISSUES_SHOWN else []
    return ", ".join([*shown, *more]) or "no issue"


def _kind(resource: Any) -> str:
    kind = resource.get("resourceType") if isinstance(resource, dict) else None
    return kind if isinstance(kind, str) else ""


def _shown(key: str) -> str:
    """An unknown key as the card shows it: on one line, cut short (it is the client's text)."""
    key = " ".join(key.split())
    return key if len(key) <= KEY_SHOWN else key[:KEY_SHOWN] + "..."


def _is_next(link: Any) -> bool:
    return isinstance(link, dict) and link.get("relation") == "next"


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
