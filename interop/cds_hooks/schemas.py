"""The CDS Hooks 2.0 documents, as pydantic models: what a CDS client sends (a hook call, feedback) and what
the service answers (discovery, cards). The JSON API's operations and the top-level /cds-services views
validate with the same models, so both answer a bad request with the same problems by path.

CDS Hooks allows an `extension` object (and clients add fields of their own): requests keep unknown keys
rather than refusing them. Optional fields of a response are left out when empty (the specification
forbids null and empty values).
"""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

ID_MAX = 200  # hookInstance, ids, codes: generous for any client, small enough for the audit trail


class Open(BaseModel):
    """A request object: unknown keys (extensions) are kept, never refused."""

    model_config = ConfigDict(extra="allow")


class PatientViewContext(Open):
    userId: str = Field(min_length=1, max_length=ID_MAX, description="e.g. Practitioner/123")
    patientId: str = Field(min_length=1, max_length=64, description="the FHIR Patient.id in context")
    encounterId: str | None = Field(default=None, max_length=64)


class HookCall(Open):
    """POST {baseUrl}/cds-services/{id}: one hook invocation."""

    hook: str = Field(min_length=1, max_length=ID_MAX)
    hookInstance: str = Field(min_length=1, max_length=ID_MAX)
    fhirServer: str | None = Field(default=None, max_length=2000, description="never called by this service")
    fhirAuthorization: dict[str, Any] | None = Field(
        default=None, description="never used: this service reads the prefetch only"
    )
    context: PatientViewContext
    prefetch: dict[str, Any] | None = Field(
        default=None,
        description="each key of the discovery document's prefetch: a resource, a Bundle or null",
    )


class Coding(BaseModel):
    system: str | None = Field(default=None, max_length=2000)
    code: str = Field(min_length=1, max_length=ID_MAX)
    display: str | None = Field(default=None, max_length=500)


class OverrideReasonIn(Open):
    reason: Coding | None = None
    userComment: str | None = Field(default=None, max_length=4000, description="free text: never recorded")


class FeedbackItem(Open):
    card: UUID = Field(description="the card's uuid from the hook's answer")
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[dict[str, Any]] | None = None
    overrideReason: OverrideReasonIn | None = None
    outcomeTimestamp: AwareDatetime


class Feedback(Open):
    """POST {baseUrl}/cds-services/{id}/feedback."""

    feedback: list[FeedbackItem] = Field(min_length=1, max_length=100)


# ---------------------------------------------------------------------------------------------- answers


class Source(BaseModel):
    label: str
    url: str | None = None
    topic: Coding | None = None


class Link(BaseModel):
    label: str
    url: str
    type: Literal["absolute", "smart"]


class Card(BaseModel):
    uuid: UUID
    summary: str = Field(max_length=140)
    detail: str | None = Field(default=None, description="GitHub Flavored Markdown")
    indicator: Literal["info", "warning", "critical"]
    source: Source
    overrideReasons: list[Coding] | None = None
    links: list[Link] | None = None


class Cards(BaseModel):
    cards: list[Card]


class Service(BaseModel):
    hook: str
    id: str
    title: str
    description: str
    prefetch: dict[str, str]
    usageRequirements: str | None = None


class Discovery(BaseModel):
    services: list[Service]


class FeedbackRecorded(BaseModel):
    recorded: int = Field(description="how many feedback entries were recorded in the audit trail")


def problems_of(exc: ValidationError) -> list[dict[str, str]]:
    """Pydantic's errors as {"path", "message"}, worded as the JSON API words them (api/urls.py)."""
    return [
        {
            "path": ".".join(str(part) for part in error["loc"]) or "document",
            "message": str(error.get("msg", "invalid")).removeprefix("Value error, "),
        }
        for error in exc.errors()
    ]
