"""The CDS Hooks 2.0 documents, as pydantic models: what a CDS client sends (a hook call, feedback) and what
the service answers (discovery, cards). The JSON API's operations and the top-level /cds-services views
validate with the same models, so both answer a bad request with the same problems by path.

CDS Hooks allows an `extension` object (and clients add fields of their own): requests keep unknown keys
rather than refusing them. Optional fields of a response are left out when empty (the specification
forbids null and empty values). Text a request carries may hold no NUL character and no lone UTF-16
surrogate (no database stores them, and some of it reaches the audit trail): refused by path, on both
mounts alike (the top-level views' JSON reader refuses them too, with the same message).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from screening.intake import unstorable_text

ID_MAX = 200  # hookInstance, ids, codes: generous for any client, small enough for the audit trail
SUMMARY_MAX = 139  # a card's summary: fewer than 140 characters (CDS Hooks 2.0)


def _storable(value: Any) -> Any:
    """Checked before pydantic reads the string, so a lone surrogate gets the same message as NUL (and as
    the top-level views' JSON reader gives)."""
    problem = unstorable_text(value) if isinstance(value, str) else None
    if problem:
        raise ValueError(problem)
    return value


Text = Annotated[str, BeforeValidator(_storable)]  # a request's text: no NUL, no lone surrogate


class Open(BaseModel):
    """A request object: unknown keys (extensions) are kept, never refused."""

    model_config = ConfigDict(extra="allow")


class PatientViewContext(Open):
    userId: Text = Field(min_length=1, max_length=ID_MAX, description="e.g. Practitioner/123")
    patientId: Text = Field(min_length=1, max_length=64, description="the FHIR Patient.id in context")
    encounterId: Text | None = Field(default=None, max_length=64)


class HookCall(Open):
    """POST {baseUrl}/cds-services/{id}: one hook invocation."""

    hook: Text = Field(min_length=1, max_length=ID_MAX)
    hookInstance: Text = Field(min_length=1, max_length=ID_MAX)
    fhirServer: Text | None = Field(default=None, max_length=2000, description="never called by this service")
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


class CodingIn(Open):
    """An override reason as the client sends it back: one of the card's `overrideReasons` (its system is
    required: a code means something only in its system)."""

    system: Text = Field(min_length=1, max_length=2000)
    code: Text = Field(min_length=1, max_length=ID_MAX)
    display: Text | None = Field(default=None, max_length=500)


class OverrideReasonIn(Open):
    reason: CodingIn | None = None
    userComment: Text | None = Field(default=None, max_length=4000, description="free text: never recorded")


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
    summary: str = Field(max_length=SUMMARY_MAX)
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
