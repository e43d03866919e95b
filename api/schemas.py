"""Request and response shapes of /api/v1/ (they make the OpenAPI schema)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import AfterValidator, Field, StringConstraints

from screening.engine.measures import CSSRS_QUESTIONS, INSTRUMENTS, ITEM_MAX, ITEM_MIN
from screening.engine.vocabulary import SECTIONS
from screening.intake import EARLIEST, INTAKE_FORMAT, LATEST, unstorable_text
from screening.review import NOTE_MAX, OVERRIDE_REASON_MAX

# A database id in a URL: bounded so that no number reaches the database as an overflow.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


def _storable(value: str) -> str:
    problem = unstorable_text(value)
    if problem:
        raise ValueError(problem)
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("required")
    return value


def text(max_length: int) -> Any:
    """A non-blank string the database can store: bounded, no NUL, no lone surrogate."""
    return Annotated[
        str, StringConstraints(max_length=max_length), AfterValidator(_storable), AfterValidator(_not_blank)
    ]


# ------------------------------------------------------------------------------------------------ errors


class ProblemOut(Schema):
    path: str = Field(description="where in the document, e.g. blood_pressure[0].systolic")
    message: str


class InvalidOut(Schema):
    """400: the request was rejected whole; every problem is listed by its path."""

    errors: list[ProblemOut]


class ErrorOut(Schema):
    """401, 403, 404, 409, 413: what went wrong, in the words the web page uses."""

    error: str
    errors: list[ProblemOut] = Field(default_factory=list, description="409: the record's problems, by path")


ERRORS: dict[int, type[Schema]] = {400: InvalidOut, 401: ErrorOut, 403: ErrorOut, 413: ErrorOut}
NOT_FOUND: dict[int, type[Schema]] = {**ERRORS, 404: ErrorOut}

# ------------------------------------------------------------------------------------------------ intake

_ANSWERS = {
    section: {
        "type": "object",
        "additionalProperties": False,
        "properties": {name: {"type": "string", "enum": list(values)} for name, values in fields.items()},
    }
    for section, fields in SECTIONS.items()
    if section != "treatment_history"
}

# One administration of a measure, as an intake document's `measures[]` and the body of POST
# /patients/{id}/measures hold it. The server checks more (the item count of each instrument, the C-SSRS
# skip logic, the date against assessed_on or today: docs/intake-format.md, "measures").
MEASURE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "measure",
    "description": "One administration of a rating measure: its answers only; the score is always computed.",
    "required": ["instrument", "administered_on", "answers"],
    "additionalProperties": False,
    "properties": {
        "instrument": {"type": "string", "enum": list(INSTRUMENTS)},
        "administered_on": {"type": "string", "format": "date"},
        "answers": {
            "oneOf": [
                {
                    "type": "array",
                    "description": "PHQ-9 (9 items) or GAD-7 (7 items), each a whole number 0 to 3",
                    "items": {"type": "integer", "minimum": ITEM_MIN, "maximum": ITEM_MAX},
                    "minItems": min(m.item_count for m in INSTRUMENTS.values() if m.summed),
                    "maxItems": max(m.item_count for m in INSTRUMENTS.values() if m.summed),
                },
                {
                    "type": "object",
                    "description": "C-SSRS screener: true, false, or null for a question not asked",
                    "additionalProperties": False,
                    "properties": {key: {"type": ["boolean", "null"]} for key in CSSRS_QUESTIONS},
                },
            ]
        },
    },
}

# The request body of POST /intakes and /screen. The server checks far more than this (bounds, dates,
# ICD-10 codes, every problem by path: docs/intake-format.md); the schema says the shape.
INTAKE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "ketamine-intake/1",
    "description": "An intake document (docs/intake-format.md). Absent answers mean unknown.",
    "required": ["format", "assessed_on", "patient"],
    "additionalProperties": False,
    "properties": {
        "format": {"type": "string", "enum": [INTAKE_FORMAT]},
        "assessed_on": {"type": "string", "format": "date"},
        "patient": {
            "type": "object",
            "required": ["mrn", "given_name", "family_name", "date_of_birth"],
            "properties": {
                "mrn": {"type": "string", "pattern": "^[A-Za-z0-9-]{1,32}$"},
                "given_name": {"type": "string", "maxLength": 100},
                "family_name": {"type": "string", "maxLength": 100},
                "date_of_birth": {"type": "string", "format": "date"},
                "sex_at_birth": {"type": "string"},
                "weight_kg": {"type": "number"},
                "height_cm": {"type": "number"},
                "pregnancy": {"type": "string"},
            },
        },
        "diagnoses": {"type": "array", "items": {"type": "object"}},
        "treatment_history": {"type": "object"},
        "medications": {"type": "object"},
        "blood_pressure": {"type": "array", "items": {"type": "object"}},
        **_ANSWERS,
        "measures": {"type": "array", "items": MEASURE_SCHEMA},
    },
}
INTAKE_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": INTAKE_SCHEMA}}}}


class AsOf(Schema):
    assessed_on: date | None = Field(
        None, ge=EARLIEST, le=LATEST, description="the document's assessed_on (default: today)"
    )


class IntakeStoredOut(Schema):
    patient_id: int
    mrn: str
    created: bool = Field(description="true when a new patient was created, false when one was updated")


# ------------------------------------------------------------------------------------------------ measures

MEASURE_BODY = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": MEASURE_SCHEMA}}}
}


class MeasurePage(Schema):
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)


class MeasureScoreOut(Schema):
    total: int | None = Field(description="the sum of the items; null for the C-SSRS screener")
    band: str = Field(
        description="the severity band (minimal, mild, moderate, moderately severe, severe), or the C-SSRS "
        "risk level (none, low, moderate, high)"
    )
    item9: int | None = Field(description="the PHQ-9 self-harm item on its own; null for the other measures")
    imminent: bool | None = Field(
        description="C-SSRS: intent, a plan with intent, or behaviour in the past 3 months; null otherwise"
    )
    summary: str = Field(description="e.g. PHQ-9 14 (moderate); item 9: 1")


class MeasureOut(Schema):
    id: int
    instrument: Literal["phq9", "gad7", "cssrs_screener"]
    instrument_name: str = Field(description="PHQ-9, GAD-7 or C-SSRS screener")
    administered_on: date
    answers: list[int] | dict[str, bool | None] = Field(
        description="as entered: the items in order, or every C-SSRS question (null: not asked)"
    )
    entered_by: str | None = Field(description="the username of whoever entered it; null if unknown")
    created_at: datetime
    score: MeasureScoreOut = Field(description="computed from the answers every time, never stored")


class MeasureListOut(Schema):
    count: int
    limit: int
    offset: int
    measures: list[MeasureOut] = Field(description="most recently administered first")


# ------------------------------------------------------------------------------------------------ screenings


def _optional_text(max_length: int) -> Any:
    """A string the database can store, possibly empty: bounded, no NUL, no lone surrogate."""
    return Annotated[str, StringConstraints(max_length=max_length), AfterValidator(_storable)]


class OverrideIn(Schema):
    rule: text(40) = Field(description="the rule code of a finding of this screening, e.g. BP-STAGE2")
    reason: _optional_text(OVERRIDE_REASON_MAX) = Field(
        "", description="why the finding is set aside, in words (required unless reason_code is given)"
    )
    reason_code: _optional_text(40) = Field(
        "", description="one of the rule's coded override reasons, when it offers them"
    )


class SuggestionIn(Schema):
    rule: text(40) = Field(description="the rule code of a finding of this screening")
    note: text(OVERRIDE_REASON_MAX) = Field(description="the clinician's note for the physician")


class SuggestionOut(Schema):
    id: int
    rule: str
    note: str
    suggested_by: str
    created_at: datetime


class OverrideOut(Schema):
    id: int
    rule: str
    severity: str
    reason: str
    reason_code: str | None
    overridden_by: str
    created_at: datetime
    needs_cosign: bool
    cosigned_by: str | None
    cosigned_at: datetime | None
    in_force: bool = Field(description="false while a needed co-signature is missing")


class SignoffIn(Schema):
    decision: Literal["cleared", "not_cleared"] = Field(
        description="cleared: proceed with the infusion series under this screening (only on an eligible, "
        "current screening); not_cleared: allowed on any screening"
    )
    note: _optional_text(NOTE_MAX) = Field("", description="optional")
    checklist: list[int] = Field(
        default_factory=list,
        max_length=100,
        description="the positions (from 0) of the report's consult checklist items done; each at most once",
    )


class SignoffOut(Schema):
    id: int
    signed_by: str
    signed_at: datetime
    decision: Literal["cleared", "not_cleared"] | None = Field(
        description="null: signed before decisions were recorded (not a clearance)"
    )
    note: str
    effective_verdict: str | None = Field(description="the effective verdict when the decision was signed")
    acknowledged: list[str] = Field(description="the precaution findings a clearance acknowledged")
    checklist: list[int] = Field(description="the positions of the consult checklist items ticked as done")


class RulesetRef(Schema):
    version: str
    sha256: str


class ScreeningOut(Schema):
    id: int
    patient_id: int
    created_at: datetime
    assessed_on: date
    verdict: str = Field(description="the engine's verdict, as the report says")
    effective_verdict: str = Field(description="the verdict with findings set aside by overrides in force")
    decision: Literal["cleared", "not_cleared", "legacy"] | None = Field(
        description="the physician's decision; null while none is recorded"
    )
    current: bool = Field(description="the record still gives this intake, within the validity and BP window")
    not_current_reasons: list[str] = Field(description="why it is not current, in words")
    override_policy: dict[str, Literal["none", "reason", "cosign"]] = Field(
        description="what a physician may do with each finding: none, reason, or reason and a co-signature"
    )
    ruleset: RulesetRef
    engine_version: str
    report: dict[str, Any] = Field(description="the ketamine-screening/1 report (docs/report-format.md)")
    overrides: list[OverrideOut]
    suggestions: list[SuggestionOut]
    signoff: SignoffOut | None


class PdfOut(Schema):
    screening_id: int
    status: Literal["none", "queued", "rendering", "ready", "failed", "outdated"]
    error: str = ""
    sha256: str = ""
    download: str | None = Field(None, description="the download path, once the PDF is ready")


# ------------------------------------------------------------------------------------------------ rule sets

# The body of POST /rulesets/{id}/impact; screening.impact_forms.ImpactScopeForm checks it, as on the page.
IMPACT_SCOPE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "impact preview scope",
    "description": "The `limit` most recent screenings (default 500), of those assessed from `date_from` to "
    "`date_to` (both inclusive, either may be left out) when given.",
    "additionalProperties": False,
    "properties": {
        "limit": {"type": ["integer", "null"], "minimum": 1, "maximum": 5000},
        "date_from": {"type": ["string", "null"], "format": "date"},
        "date_to": {"type": ["string", "null"], "format": "date"},
    },
}
IMPACT_SCOPE_BODY = {
    "requestBody": {"required": False, "content": {"application/json": {"schema": IMPACT_SCOPE_SCHEMA}}}
}


class RulesetIdOut(Schema):
    id: int
    version: str
    sha256: str


class ImpactScopeOut(Schema):
    kind: Literal["last", "range"] = Field(
        description="last: the `limit` most recent screenings; range: the most recent assessed within the dates"
    )
    limit: int
    date_from: date | None = None
    date_to: date | None = None


class ImpactPreviewOut(Schema):
    id: int
    status: Literal["queued", "running", "done", "failed"]
    scope: ImpactScopeOut
    total: int = Field(description="screenings in the scope")
    processed: int
    stale: bool = Field(description="the rule set changed after the preview was computed")
    result: dict[str, Any] = Field(
        description="done: {evaluated, transitions: [{old, new, count, screenings, more}], changed_verdicts, "
        "rules: [{code, newly_firing, no_longer_firing, screenings_newly, more_newly, screenings_no_longer, "
        "more_no_longer}], unscreenable: {count, screenings, more}, baseline}; or {too_few, minimum} when "
        "the scope holds fewer screenings than may be shown. Screening ids only, never patient data."
    )


class ImpactOut(Schema):
    ruleset: RulesetIdOut
    preview: ImpactPreviewOut | None = Field(description="the latest preview of the rule set; null: none yet")
