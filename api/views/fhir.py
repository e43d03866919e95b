"""FHIR R4 out (docs/fhir.md): a stored screening as a Bundle, and the product's own CodeSystems and
Questionnaires that the Bundle's codes and answers name. Every body is `application/fhir+json`."""

from __future__ import annotations

import json
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse

from core.audit import audit_record
from core.roles import READ_REPORTS
from interop.fhir.export import screening_bundle, screening_for_export
from interop.fhir.export_definitions import CODE_SYSTEMS, QUESTIONNAIRES, code_system, questionnaire
from rules.selectors import active_ruleset, engine_ruleset
from screening.models import Screening

from ..auth import by_role, require_role
from ..schemas import NOT_FOUND, ErrorOut, Id
from .common import router

FHIR_JSON = "application/fhir+json"


def _fhir_response(resource: dict[str, Any]) -> HttpResponse:
    return HttpResponse(json.dumps(resource, ensure_ascii=False), content_type=FHIR_JSON)


def _described(resource_type: str, what: str) -> dict[str, Any]:
    """The 200 response in the schema: a FHIR resource of `resource_type`, as application/fhir+json."""
    schema = {
        "type": "object",
        "title": resource_type,
        "description": f"{what} (FHIR R4; validated with fhir.resources' R4B models)",
        "required": ["resourceType"],
        "properties": {"resourceType": {"type": "string", "enum": [resource_type]}},
        "additionalProperties": True,
    }
    return {"responses": {200: {"description": what, "content": {FHIR_JSON: {"schema": schema}}}}}


@router.get(
    "/screenings/{screening_id}/fhir",
    response={200: None, **NOT_FOUND},
    openapi_extra=_described(
        "Bundle",
        "The screening as a Bundle of type collection: the intake as Patient, Observations, Conditions, "
        "MedicationStatements and QuestionnaireResponses; the verdict as a RiskAssessment; each finding as "
        "a DetectedIssue with its overrides; a Provenance",
    ),
    summary="A stored screening as a FHIR R4 Bundle (docs/fhir.md)",
    tags=["fhir"],
    auth=by_role(READ_REPORTS),
)
def screening_export(request: HttpRequest, screening_id: Id):
    require_role(request, READ_REPORTS)
    try:
        screening = screening_for_export(screening_id)
    except Screening.DoesNotExist as exc:
        raise Http404("No such screening") from exc
    bundle = screening_bundle(screening)
    audit_record(action="export", request=request, obj=screening, detail="API FHIR Bundle")
    return _fhir_response(bundle)


@router.get(
    "/fhir/CodeSystem/{name}",
    response={200: None, 409: ErrorOut, **NOT_FOUND},
    openapi_extra=_described(
        "CodeSystem", f"The product's CodeSystem `name`: {', '.join(CODE_SYSTEMS)} (no patient data)"
    ),
    summary="A CodeSystem the exported Bundles use: rule-code (the active rule set), verdict or answer",
    tags=["fhir"],
    auth=by_role(READ_REPORTS),
)
def codesystem_read(request: HttpRequest, name: str):
    require_role(request, READ_REPORTS)
    if name not in CODE_SYSTEMS:
        raise Http404("No such CodeSystem")
    ruleset = engine_ruleset(active_ruleset()) if name == "rule-code" else None
    return _fhir_response(code_system(name, ruleset))


@router.get(
    "/fhir/Questionnaire/{name}",
    response={200: None, **NOT_FOUND},
    openapi_extra=_described(
        "Questionnaire", f"The product's Questionnaire `name`: {', '.join(QUESTIONNAIRES)} (no patient data)"
    ),
    summary="A Questionnaire the exported QuestionnaireResponses answer: the intake's or a measure's",
    tags=["fhir"],
    auth=by_role(READ_REPORTS),
)
def questionnaire_read(request: HttpRequest, name: str):
    require_role(request, READ_REPORTS)
    if name not in QUESTIONNAIRES:
        raise Http404("No such Questionnaire")
    return _fhir_response(questionnaire(name))
