"""One stored screening as a FHIR R4 Bundle of type `collection` (docs/fhir.md: the mapping and "Export
notes").

    screening_bundle(screening) -> dict   # JSON-ready; fhir.resources' R4B Bundle reads it unchanged

Built from the stored snapshot only (intake, report, overrides, co-signatures, sign-off, the versions and
hashes it was made with): the rules are never run again. The same screening always gives the same Bundle
(fullUrls are uuid5s of the screening, entries in a fixed order), until an override, co-signature or the
sign-off is added to it.
"""

from __future__ import annotations

from typing import Any

from screening.models import Screening
from screening.review import screening_rules
from screening.selectors import ReviewState, review_state

from . import codes
from .export_answers import intake_response, measure_responses
from .export_base import Resource, Urls, instant
from .export_findings import detected_issues, provenance, risk_assessment
from .export_record import (
    conditions,
    medication_statements,
    observations,
    patient_resource,
    resolved_rows,
)


def screening_bundle(screening: Screening, state: ReviewState | None = None) -> dict[str, Any]:
    """The screening as a Bundle (a dict). `state`: its review state, when the caller has read it."""
    state = state or review_state(screening)
    intake, report = screening.intake, screening.report
    urls = Urls(screening_id=screening.pk, stored_at=screening.created_at)
    subject = urls.ref("Patient")

    record: list[tuple[str, Resource]] = [("Patient", patient_resource(intake["patient"]))]
    record += observations(intake, subject)
    record += conditions(intake, subject)
    record += medication_statements(intake, report, subject)
    record.append(("QuestionnaireResponse/intake", intake_response(intake, subject)))
    record += measure_responses(intake, subject)

    basis = [urls.ref(key) for key, _ in record if key != "Patient"]
    conclusions: list[tuple[str, Resource]] = [
        ("RiskAssessment", risk_assessment(state, subject=subject, basis=basis))
    ]
    conclusions += detected_issues(
        state, urls=urls, rules=screening_rules(screening), medications=resolved_rows(intake, report)
    )
    entries = record + conclusions
    entries.append(("Provenance", provenance(state, targets=[urls.ref(key) for key, _ in entries])))
    return {
        "resourceType": "Bundle",
        "identifier": {"system": codes.SCREENING_ID, "value": str(screening.pk)},
        "type": "collection",
        "timestamp": instant(screening.created_at),
        "entry": [{"fullUrl": urls(key), "resource": resource} for key, resource in entries],
    }


def screening_for_export(pk: int) -> Screening:
    """The screening to export, read with its sign-off. Raises Screening.DoesNotExist."""
    return Screening.objects.select_related("signoff").get(pk=pk)


def bundle_filename(screening: Screening) -> str:
    return f"screening-{screening.pk}.fhir.json"
