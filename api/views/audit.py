"""The audit trail for auditors: the same filters as the auditor's page, newest first, paginated."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Query, Schema, Status
from pydantic import Field

from core.audit import ACTIONS, audit_record
from core.audit_query import audit_events
from core.roles import READ_AUDIT

from ..auth import by_role, require_role
from ..schemas import ERRORS
from .common import Invalid, router

PAGE_MAX = 500


class AuditEventOut(Schema):
    seq: int
    at: datetime
    user: str = Field(description="the actor's name at the time, empty for the system")
    user_id: int | None
    action: str
    object_type: str
    object_id: str
    patient_id: int | None


class AuditPageOut(Schema):
    count: int
    limit: int
    offset: int
    events: list[AuditEventOut]


class AuditFilters(Schema):
    patient_id: int | None = Field(None, ge=1, le=2**31 - 1)
    user: str = Field("", max_length=150, description="an actor's name (part of it) or user id")
    action: str = Field("", description="one of the audit actions")
    since: datetime | None = Field(None, description="events at or after this time (ISO 8601)")
    limit: int = Field(100, ge=1, le=PAGE_MAX)
    offset: int = Field(0, ge=0, le=10_000_000)


@router.get(
    "/audit-events",
    response={200: AuditPageOut, **ERRORS},
    summary="The audit trail (auditors): who read or changed what, and when; no clinical content",
    tags=["audit"],
    auth=by_role(READ_AUDIT),
)
def audit_list(request: HttpRequest, filters: Query[AuditFilters]):
    require_role(request, READ_AUDIT)
    if filters.action and filters.action not in ACTIONS:
        raise Invalid([{"path": "action", "message": f"not one of {', '.join(ACTIONS)}"}])
    if "\x00" in filters.user:
        raise Invalid([{"path": "user", "message": "must not contain a NUL character"}])
    events = audit_events(
        user=filters.user, patient_id=filters.patient_id, action=filters.action, since=filters.since
    )
    page = list(events[filters.offset : filters.offset + filters.limit])
    audit_record(action="view", request=request, object_type="audit_trail", detail="API")
    return Status(
        200,
        {
            "count": events.count(),
            "limit": filters.limit,
            "offset": filters.offset,
            "events": [
                {
                    "seq": e.seq,
                    "at": e.at,
                    "user": e.user_name,
                    "user_id": e.user_id,
                    "action": e.action,
                    "object_type": e.object_type,
                    "object_id": e.object_id,
                    "patient_id": e.patient_id,
                }
                for e in page
            ],
        },
    )
