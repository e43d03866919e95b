"""Rule-set operations: the impact preview of a rule set, for rules admins (as its page). It says what a
change does, never who it touches: counts and screening ids only (screening.impact)."""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Status

from core.audit import audit_record
from core.roles import ADMIN_RULES
from rules.models import RuleSet
from screening.impact import impact_preview_latest, impact_preview_start, impact_preview_summary
from screening.impact_forms import ImpactScopeForm
from screening.models import ImpactPreview

from ..auth import by_role, require_role
from ..schemas import IMPACT_SCOPE_BODY, NOT_FOUND, Id, ImpactOut
from .common import Invalid, read_document, router

SCOPE_FIELDS = ("limit", "date_from", "date_to")
PLAIN_NAME = re.compile(r"[A-Za-z0-9_.-]{1,40}")


def _impact_out(ruleset: RuleSet, preview: ImpactPreview | None) -> dict[str, Any]:
    return {
        "ruleset": {"id": ruleset.pk, "version": ruleset.version, "sha256": ruleset.sha256},
        "preview": impact_preview_summary(preview, ruleset),
    }


def _scope_form_data(request: HttpRequest) -> dict[str, str]:
    """The JSON body as the page's form data: JSON types are checked here, everything else by the form."""
    doc = read_document(request) if request.body.strip() else {}
    if not isinstance(doc, dict):
        raise Invalid([{"path": "document", "message": "must be a JSON object"}])
    problems = [
        # a name is echoed only when it is plain: one holding a NUL or a lone surrogate is not sendable back
        {"path": key if PLAIN_NAME.fullmatch(key) else "document", "message": "unknown field"}
        for key in doc
        if key not in SCOPE_FIELDS
    ]
    data = {}
    for name in SCOPE_FIELDS:
        value = doc.get(name)
        if value is None:
            data[name] = ""
        elif name == "limit" and (isinstance(value, bool) or not isinstance(value, int)):
            problems.append({"path": name, "message": "must be a whole number"})
        elif name != "limit" and not isinstance(value, str):
            problems.append({"path": name, "message": "must be a date, YYYY-MM-DD"})
        else:
            data[name] = str(value)
    if problems:
        raise Invalid(problems)
    return data


@router.get(
    "/rulesets/{ruleset_id}/impact",
    response={200: ImpactOut, **NOT_FOUND},
    summary="The latest impact preview of a rule set: verdict transitions and rule counts, no patient data",
    tags=["rule sets"],
    auth=by_role(ADMIN_RULES),
)
def impact_read(request: HttpRequest, ruleset_id: Id):
    require_role(request, ADMIN_RULES)
    ruleset = get_object_or_404(RuleSet, pk=ruleset_id)
    audit_record(action="view", request=request, object_type="impactpreview", object_id=ruleset.pk)
    return Status(200, _impact_out(ruleset, impact_preview_latest(ruleset)))


@router.post(
    "/rulesets/{ruleset_id}/impact",
    response={202: ImpactOut, **NOT_FOUND},
    openapi_extra=IMPACT_SCOPE_BODY,
    summary="Start an impact preview of a rule set over the most recent screenings or a date range",
    tags=["rule sets"],
    auth=by_role(ADMIN_RULES),
)
def impact_start(request: HttpRequest, ruleset_id: Id):
    user = require_role(request, ADMIN_RULES)
    ruleset = get_object_or_404(RuleSet, pk=ruleset_id)
    form = ImpactScopeForm(data=_scope_form_data(request))
    if not form.is_valid():
        raise Invalid(form.problems())
    preview = impact_preview_start(ruleset=ruleset, user=user, **form.scope())
    preview.refresh_from_db()  # without a broker the task has run already
    return Status(202, _impact_out(ruleset, preview))
