"""Request and response shapes of the infusion operations of /api/v1/ (issue 18; they make the OpenAPI
schema). The body fields of each step are written once, in the tables below: the JSON schema of the step's
body, the checking of its JSON types and the record's response fields all derive from them. The bounds are
the services' (infusions.services), checked there and refused in the page's words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field, create_model

from .schemas import MeasureScoreOut

INTEGER, NUMBER, TEXT, MOMENT, DAY = "integer", "number", "text", "moment", "day"
CHECKLIST_PREFIX = "checklist_"
ANSWERS = ("yes", "no")
STAGES = Literal["check", "authorized", "given", "discharged", "signed"]


@dataclass(frozen=True)
class BodyField:
    kind: str  # INTEGER, NUMBER, TEXT, MOMENT or DAY: the JSON type the body gives (null: not given)
    description: str
    choices: tuple[str, ...] = ()


def _reading(prefix: str, when: str) -> dict[str, BodyField]:
    return {
        f"{prefix}_systolic": BodyField(INTEGER, f"{when}: systolic, mmHg (60 to 300; with the diastolic)"),
        f"{prefix}_diastolic": BodyField(INTEGER, f"{when}: diastolic, mmHg (30 to 200; below the systolic)"),
        f"{prefix}_heart_rate": BodyField(INTEGER, f"{when}: heart rate, per minute (20 to 250; optional)"),
    }


CHECK_FIELDS = {
    "weight_kg": BodyField(NUMBER, "today's weight, kg (25 to 350, one decimal)"),
    **_reading("pre", "before dosing"),
    **_reading("pre2", "before dosing, a second reading (optional; the decision reads the mean)"),
}
AUTHORIZE_FIELDS = {
    "dose_mg": BodyField(NUMBER, "the dose authorized, mg: within today's range (protocol mg/kg x weight)"),
    "reason": BodyField(TEXT, "required when the decision needs the physician's go; at most 2000 characters"),
}
MONITOR_FIELDS = {
    "dose_given_mg": BodyField(NUMBER, "the dose given, mg: at most the authorized dose"),
    "started_at": BodyField(MOMENT, "when the infusion started, on the infusion day (with a UTC offset)"),
    **_reading("at40", "at about 40 minutes"),
    "rass": BodyField(INTEGER, "sedation, RASS -5 to +4"),
    "dissociation_scale": BodyField(TEXT, "rating (0-10, the default) or cadss (0-92)", ("rating", "cadss")),
    "dissociation": BodyField(INTEGER, "dissociation on that scale"),
    "adverse_events": BodyField(TEXT, "in words; at most 2000 characters"),
}
DISCHARGE_FIELDS = {
    **_reading("discharge", "at discharge"),
    "discharged_at": BodyField(MOMENT, "when the patient left, on the infusion day, after the start"),
    "escort_name": BodyField(TEXT, "the escort who takes the patient home (required; 200 characters)"),
}
SIGN_FIELDS = {
    "hold_reason": BodyField(
        TEXT, "held: why (default: the decision's reasons; required when nothing holds it)"
    ),
}

START_FIELDS = {"infusion_on": BodyField(DAY, "today (the default) or a day up to 60 days ahead")}
_JSON_TYPE = {INTEGER: "integer", NUMBER: "number", TEXT: "string", MOMENT: "string", DAY: "string"}
_PYTHON_TYPE = {INTEGER: int | None, NUMBER: float | None, TEXT: str, MOMENT: datetime | None}


def _json_schema(spec: BodyField) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": [_JSON_TYPE[spec.kind], "null"], "description": spec.description}
    if spec.kind in (MOMENT, DAY):
        schema["format"] = "date-time" if spec.kind == MOMENT else "date"
    if spec.choices:
        schema["enum"] = [*spec.choices, None]
    return schema


def body(title: str, description: str, fields: dict[str, BodyField], **extra: Any) -> dict[str, Any]:
    """The operation's `openapi_extra`: its JSON body, every field optional (absent or null: not given)."""
    schema = {
        "type": "object",
        "title": title,
        "description": description,
        "additionalProperties": False,
        "properties": {name: _json_schema(spec) for name, spec in fields.items()},
        **extra,
    }
    return {"requestBody": {"required": False, "content": {"application/json": {"schema": schema}}}}


START_BODY = body("infusion start", "Open the day-of record of an infusion.", START_FIELDS)
CHECK_BODY = body(
    "day-of check",
    "The checks before dosing; a later check replaces an earlier one (a field left out is cleared). "
    "`checklist_<key>`: yes or no, for each day-of item the infusion asks (`checklist` of the record).",
    CHECK_FIELDS,
    patternProperties={
        f"^{CHECKLIST_PREFIX}[a-z0-9_]+$": {"type": ["string", "null"], "enum": [*ANSWERS, None]}
    },
)
AUTHORIZE_BODY = body("authorization", "A physician authorizes today's dose.", AUTHORIZE_FIELDS)
MONITOR_BODY = body("monitoring", "The dose given and the observations during the infusion.", MONITOR_FIELDS)
DISCHARGE_BODY = body("discharge", "The reading at discharge, the time, the escort.", DISCHARGE_FIELDS)
SIGN_BODY = body("signature", "Close the record, once: given once discharged, else held.", SIGN_FIELDS)

# ------------------------------------------------------------------------------------------------ responses


class DecisionOut(Schema):
    status: Literal["go", "physician", "hold", "incomplete"] = Field(
        description="go; physician: held until a physician gives the go with a reason; hold; incomplete"
    )
    text: str
    holds: list[str] = Field(description="what holds the infusion, in words")
    missing: list[str] = Field(description="what is not recorded yet (nothing unknown reads as no problem)")
    needs_physician: list[str] = Field(description="what a physician weighs before giving the go")
    dose_range_mg: list[float] | None = Field(description="[low, high] for today's weight; null without it")
    mean_bp: str | None = Field(description="the mean of the readings before dosing, e.g. 129/83")


class ChecklistItemOut(Schema):
    key: str = Field(description="answered in the check's body as checklist_<key>")
    text: str
    answer: Literal["yes", "no"] | None


class DayMeasureOut(Schema):
    instrument: Literal["phq9", "gad7", "cssrs_screener"]
    instrument_name: str
    administered_on: date
    answers: list[int] | dict[str, bool | None]
    score: MeasureScoreOut = Field(description="computed from the answers every time, never stored")


class StepOut(Schema):
    at: datetime
    by: str | None = Field(description="the username of whoever recorded it")
    stage: STAGES = Field(description="where the record stood after this change")


class _InfusionBase(Schema):
    id: int
    patient_id: int
    screening_id: int = Field(description="the screening signed cleared that the infusion was started under")
    infusion_on: date
    stage: STAGES
    created_by: str
    created_at: datetime
    checklist: list[ChecklistItemOut] = Field(description="the day-of items the screening asks, with answers")
    measures: list[DayMeasureOut] = Field(
        description="the measures taken on the infusion day, each with its computed score"
    )
    checked_by: str | None
    checked_at: datetime | None
    decision: DecisionOut = Field(
        description="go or hold now, from the record and the screening; a signed record's is the one it was "
        "signed with"
    )
    authorized_by: str | None
    authorized_at: datetime | None
    recorded_decision: DecisionOut | None = Field(
        description="the decision as the physician authorized it, or as the record was signed held; null before"
    )
    outcome: Literal["given", "held"] | None
    signed_by: str | None
    signer_name: str = Field(description="the signer's name as signed")
    signed_at: datetime | None
    history: list[StepOut] = Field(description="every change of the record: when, by whom; oldest first")


def _out_type(spec: BodyField) -> Any:
    if spec.choices:
        return Literal[spec.choices] | None
    return _PYTHON_TYPE[spec.kind]


InfusionOut = create_model(
    "InfusionOut",
    __base__=_InfusionBase,
    __doc__="An infusion record: every field of its steps, under the names the step bodies use.",
    authorized_dose_mg=(float | None, Field(description="the dose the physician authorized")),
    go_reason=(str, Field(description="the physician's reason for the go, when one was needed")),
    hold_reason=(str, Field(description="a held infusion's reason")),
    **{
        name: (_out_type(spec), Field(description=spec.description))
        for fields in (CHECK_FIELDS, MONITOR_FIELDS, DISCHARGE_FIELDS)
        for name, spec in fields.items()
    },
)


class InfusionSummaryOut(Schema):
    id: int
    infusion_on: date
    stage: STAGES
    outcome: Literal["given", "held"] | None
    screening_id: int
    decision_status: Literal["go", "physician", "hold", "incomplete"] = Field(
        description="as authorized or signed; for an open record, now"
    )
    authorized_dose_mg: float | None
    dose_given_mg: float | None
    signed_at: datetime | None


class SeriesOut(Schema):
    given: int = Field(description="infusions given")
    baseline: int | None = Field(
        description="the PHQ-9 total at baseline (the first given infusion's screening)"
    )
    latest: int | None = Field(description="the latest PHQ-9 total on the infusion records")
    responded: bool | None = Field(description="a drop of 50% or more; null: it cannot be judged")
    reassess: bool = Field(description="three infusions or more without a response: reassess the plan")
    text: str


class InfusionListOut(Schema):
    count: int
    infusions: list[InfusionSummaryOut] = Field(description="most recent first")
    series: SeriesOut
