"""FHIR R4 onto a `ketamine-intake/1` document (docs/fhir.md, "The mapping" and "Import").

`intake_from_bundle` reads a Bundle (collection, document, searchset, transaction or batch): the raw value
and every resource are checked first (read_guard: fhir.resources R4B models, problems by path), and any
problem refuses the Bundle whole (FhirInvalid). `intake_from_resources` maps a list of resources (a CDS
Hooks prefetch) the same way. The result is an intake not yet validated (patients.services.intake_import
validates it), what could not be mapped (by FHIR path, with the reason: nothing is dropped silently), and
where each intake value came from, so a problem the intake validation finds can be shown on its FHIR path.
Nothing is guessed: an answer FHIR does not carry stays absent (unknown); an EHR Bundle without the
product's intake questionnaire has every answer unknown and its medication list not reconciled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from screening.intake import INTAKE_FORMAT

from .read_answers import is_intake, is_measure, read_intake_answers, read_measure
from .read_guard import PROBLEMS_MAX, model_problems, raw_problems, resource_problems
from .read_observations import read_observations
from .read_record import read_condition, read_medication, read_medication_request, read_patient
from .read_values import ISO_DAY, Reading, obj, text

BUNDLE_TYPES = ("collection", "document", "searchset", "transaction", "batch")
OWN_FINDINGS = ("RiskAssessment", "DetectedIssue", "Provenance")  # what an export adds to the record
# A literal reference's type and id: "Patient/123", "https://ehr.example/fhir/Patient/123/_history/2"
REFERENCE = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$")


@dataclass(frozen=True)
class Mapped:
    intake: dict[str, Any]  # a ketamine-intake/1 document, not yet validated (validate_intake)
    unmapped: list[dict[str, str]]  # {"path": FHIR path, "message": what was not mapped, and why}
    origins: dict[str, str]  # intake path -> the FHIR path its value came from


class FhirInvalid(Exception):
    """The input is refused whole; `problems` lists each problem as {"path", "message"} (FHIR paths)."""

    def __init__(self, problems: list[dict[str, str]]):
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s): " + "; ".join(_lines(self.problems)))


def _lines(problems: list[dict[str, str]]) -> list[str]:
    return [f"{problem['path']}: {problem['message']}" for problem in problems]


def intake_from_bundle(bundle: Any) -> Mapped:
    """A FHIR R4 Bundle onto an intake. Raises FhirInvalid (every problem by path) for anything that is not
    a valid Bundle of an accepted type holding exactly one Patient with an MRN."""
    problems = raw_problems(bundle, "")
    if problems:
        raise FhirInvalid(problems)
    if not isinstance(bundle, dict):
        raise FhirInvalid([{"path": "document", "message": "must be a FHIR Bundle (a JSON object)"}])
    if bundle.get("resourceType") != "Bundle":
        raise FhirInvalid(
            [{"path": "resourceType", "message": f"{_shown(bundle.get('resourceType'))} is not Bundle"}]
        )
    if bundle.get("type") not in BUNDLE_TYPES:
        problems.append(
            {
                "path": "type",
                "message": f"{_shown(bundle.get('type'))} is not one of {', '.join(BUNDLE_TYPES)}",
            }
        )
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise FhirInvalid([*problems, {"path": "entry", "message": "must be a list"}])
    envelope = {**bundle, "entry": [_without_resource(entry) for entry in entries]}
    problems += model_problems(Bundle, envelope, "")
    resources, paths, urls, skipped = [], [], [], []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue  # the envelope's validation named it
        if "resource" not in entry:
            skipped.append({"path": f"entry[{i}]", "message": "an entry without a resource: nothing to map"})
            continue
        path = f"entry[{i}].resource"
        problems += resource_problems(entry["resource"], path)
        resources.append(entry["resource"])
        paths.append(path)
        urls.append(text(entry.get("fullUrl")))
    if problems:
        raise FhirInvalid(problems[:PROBLEMS_MAX])
    mapped = _map(resources, paths, urls, None, "entry")
    unmapped = sorted([*skipped, *mapped.unmapped], key=_entry_index)  # stable: a resource's own order kept
    return Mapped(mapped.intake, unmapped, mapped.origins)


def intake_from_resources(
    resources: list[dict], *, assessed_on: date | None = None, paths: list[str] | None = None
) -> Mapped:
    """FHIR resources (each validated with its R4B model) onto an intake. `paths` names each resource in
    problems, the unmapped list and the origins (default `resources[i]`); `assessed_on`, when given, is
    the intake's date (else the intake questionnaire's `authored` day, else today), from which the age of
    a weight, height or pregnancy status is counted (read_observations). Raises FhirInvalid."""
    problems = raw_problems(resources, "resources")
    if problems:
        raise FhirInvalid(problems)
    if not isinstance(resources, list):
        raise FhirInvalid([{"path": "resources", "message": "must be a list of FHIR resources"}])
    if paths is None:
        paths = [f"resources[{i}]" for i in range(len(resources))]
    if len(paths) != len(resources):
        raise ValueError("paths must name each resource")  # the caller's mistake, not the input's
    problems = [
        p for resource, path in zip(resources, paths, strict=True) for p in resource_problems(resource, path)
    ]
    if problems:
        raise FhirInvalid(problems[:PROBLEMS_MAX])
    return _map(resources, paths, [None] * len(resources), assessed_on, "resources")


def _entry_index(item: dict[str, str]) -> int:
    """The entry an unmapped item is about: every path here starts "entry[N]" (another first)."""
    path = item["path"]
    return int(path[len("entry[") : path.index("]")]) if path.startswith("entry[") else -1


def _without_resource(entry: Any) -> Any:
    return {k: v for k, v in entry.items() if k != "resource"} if isinstance(entry, dict) else entry


def _shown(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:60] + "..."


def _map(
    resources: list[dict], paths: list[str], urls: list[str | None], assessed_on: date | None, where: str
) -> Mapped:
    """`where`: the path a missing Patient is refused at (`entry` for a Bundle)."""
    reading = Reading(
        intake={
            "format": INTAKE_FORMAT,
            "assessed_on": None,
            "patient": {},
            "diagnoses": [],
            "medications": {"reconciled": False, "items": []},
            "blood_pressure": [],
        }
    )
    listed = list(zip(resources, paths, urls, strict=True))
    patients = [
        (resource, path, url) for resource, path, url in listed if resource["resourceType"] == "Patient"
    ]
    if not patients:
        reading.refuse(where, "no Patient: the input must describe exactly one patient")
    for _, path, _ in patients[1:]:
        reading.refuse(path, "a second Patient: the input must describe exactly one patient")
    if len(patients) == 1:
        read_patient(reading, patients[0][0], patients[0][1])
    names = _patient_names(patients[0][0], patients[0][2]) if len(patients) == 1 else None
    medications = {}
    for resource, path, url in listed:
        if resource["resourceType"] == "Medication":
            for key in (url, f"Medication/{resource.get('id')}" if "id" in resource else None):
                if key:
                    medications[key] = (resource, path)
    used: set[str] = set()
    observations = []
    authored = None
    intake_seen = None
    for resource, path, _ in listed:
        kind = resource["resourceType"]
        if kind in ("Patient", "Medication"):
            continue
        if names is not None and not _about_patient(reading, resource, path, names):
            continue
        if kind == "Condition":
            read_condition(reading, resource, path)
        elif kind == "MedicationStatement":
            used |= read_medication(reading, resource, path, medications)
        elif kind == "MedicationRequest":
            read_medication_request(reading, resource, path)
        elif kind == "Observation":
            observations.append((resource, path))
        elif kind == "QuestionnaireResponse" and is_intake(resource):
            if intake_seen is not None:
                reading.refuse(path, f"a second intake questionnaire response (the first: {intake_seen})")
                continue
            intake_seen = path
            authored = read_intake_answers(reading, resource, path)
        elif kind == "QuestionnaireResponse" and is_measure(resource):
            read_measure(reading, resource, path)
        elif kind in OWN_FINDINGS:
            reading.skip(path, f"{kind}: not imported: the product computes its own findings")
        else:
            reading.skip(path, f"{kind}: not mapped (the intake has no place for it)")
    if assessed_on is not None:
        reading.intake["assessed_on"] = assessed_on.isoformat()
    elif authored is not None:
        reading.intake["assessed_on"] = authored
        reading.origin("assessed_on", f"{intake_seen}.authored")
    else:
        reading.intake["assessed_on"] = timezone.localdate().isoformat()
    read_observations(reading, observations, _date(reading.intake["assessed_on"]))
    for resource, path, _ in listed:
        if resource["resourceType"] == "Medication" and path not in used:
            reading.skip(path, "Medication: no MedicationStatement names it; not mapped")
    _not_reconciled_when_incomplete(reading)
    if reading.problems:
        raise FhirInvalid(reading.problems[:PROBLEMS_MAX])
    return Mapped(reading.intake, _in_order(reading.unmapped, paths), reading.origins)


def _date(value: Any) -> date | None:
    if not isinstance(value, str) or not ISO_DAY.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _not_reconciled_when_incomplete(reading: Reading) -> None:
    """A medication the patient takes that was not mapped leaves the list read incomplete: it cannot be
    the reconciled list, whatever the intake questionnaire says."""
    medications = reading.intake["medications"]
    if not reading.current_unmapped or medications.get("reconciled") is False:
        return
    medications["reconciled"] = False
    shown = ", ".join(reading.current_unmapped[:3]) + (", ..." if len(reading.current_unmapped) > 3 else "")
    reading.skip(
        reading.origins.pop("medications.reconciled", "medications.reconciled"),
        f"medications.reconciled: true not read: a current medication was not mapped ({shown}); the "
        "medication list is therefore not reconciled",
    )


def _patient_names(resource: dict[str, Any], url: str | None) -> tuple[str | None, set[str]]:
    """The Patient's fullUrl and its ids: its `id`, and the id its fullUrl ends with (`.../Patient/{id}`)."""
    ids = {text(resource.get("id"))}
    match = REFERENCE.search(url or "")
    if match and match[1] == "Patient":
        ids.add(match[2])
    return url, {i for i in ids if i is not None}


def _about_patient(reading: Reading, resource: dict[str, Any], path: str, names: tuple) -> bool:
    """`names`: the Patient's fullUrl (or None) and ids (see _patient_names). False (and the input refused)
    when the resource's subject is certainly not this input's Patient: another type, another id, another
    fullUrl, a literal reference when the Patient is known by its urn: only. A reference that cannot be
    compared (the Patient has no id nor fullUrl) is accepted."""
    reference = text(obj(resource.get("subject")).get("reference"))
    url, ids = names
    if reference is None or reference == url:
        return True
    match = REFERENCE.search(reference)
    if match and match[1] != "Patient":
        reading.refuse(f"{path}.subject", f"is about a {match[1]}, not this input's Patient")
        return False
    known_by_urn_only = not ids and url is not None and url.startswith("urn:")
    if match and (ids and match[2] not in ids or known_by_urn_only):
        reading.refuse(f"{path}.subject", "is about another patient than this input's Patient")
        return False
    if not match and url is not None and reference.startswith("urn:"):
        reading.refuse(f"{path}.subject", "is about another patient than this input's Patient")
        return False
    return True


def _in_order(unmapped: list[dict[str, str]], paths: list[str]) -> list[dict[str, str]]:
    """The unmapped list in the input's order (a resource's own entries in the order they were found)."""
    position = {path: i for i, path in enumerate(paths)}

    def place(item: dict[str, str]) -> int:
        path = item["path"]
        for end in range(len(path), 0, -1):
            if (end == len(path) or path[end] in ".[") and path[:end] in position:
                return position[path[:end]]
        return -1

    return sorted(unmapped, key=place)
