"""The intake's answers and measures as QuestionnaireResponses (docs/fhir.md, "Export notes").

The intake questionnaire has one item per answer FHIR has no standard place for, in one fixed order
(INTAKE_ITEMS, also the order of the `ketamine-intake-1` Questionnaire); every answer is written, `unknown`
included, so that an import never has to guess; only the number of failed trials, when not known, is an
item without an answer (its type, integer, has no "unknown").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from screening.engine.measures import CSSRS_QUESTIONS, INSTRUMENTS, ITEMS
from screening.engine.vocabulary import SECTIONS, UNKNOWN

from . import codes
from .export_base import Resource, answer_coding, words

FAILED_TRIALS = "treatment_history.failed_antidepressant_trials"
RECONCILED = "medications.reconciled"


@dataclass(frozen=True)
class IntakeItem:
    """One answer of the intake questionnaire: its linkId (`section.answer`), its FHIR item type and, for a
    choice, the values it takes."""

    link_id: str
    type: str  # choice | integer | boolean
    values: tuple[str, ...] = ()

    @property
    def section(self) -> str:
        return self.link_id.split(".", 1)[0]

    @property
    def name(self) -> str:
        return self.link_id.split(".", 1)[1]

    @property
    def text(self) -> str:
        return words(self.name)


def _intake_items() -> tuple[IntakeItem, ...]:
    found = [IntakeItem(FAILED_TRIALS, "integer")]
    for section, fields in SECTIONS.items():
        if section == "cardiovascular":  # after the psychiatric answers, as the intake document has it
            found.append(IntakeItem(RECONCILED, "boolean"))
        found += [IntakeItem(f"{section}.{name}", "choice", values) for name, values in fields.items()]
    return tuple(found)


INTAKE_ITEMS = _intake_items()


def _answers(item: IntakeItem, intake: dict[str, Any]) -> list[dict[str, Any]]:
    """The item's answer, of the type the Questionnaire declares; a number not known has none (an integer
    item cannot say "unknown"; the import reads no answer as unknown)."""
    value = (intake.get(item.section) or {}).get(item.name)
    if item.type == "boolean":
        return [{"valueBoolean": bool(value)}]  # absent: not reconciled (the intake's own default)
    if item.type == "integer":
        return [{"valueInteger": value}] if value is not None else []
    return [{"valueCoding": answer_coding(value or UNKNOWN)}]


def _item(item: IntakeItem, intake: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {"linkId": item.link_id, "text": item.text}
    answers = _answers(item, intake)
    if answers:
        found["answer"] = answers
    return found


def intake_response(intake: dict[str, Any], subject: dict) -> Resource:
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": codes.INTAKE_QUESTIONNAIRE,
        "status": "completed",
        "subject": subject,
        "authored": intake["assessed_on"],
        "item": [_item(item, intake) for item in INTAKE_ITEMS],
    }


def measure_link_ids(instrument: str) -> tuple[str, ...]:
    """PHQ-9 and GAD-7: "1", "2", ... (the answer's place); the C-SSRS screener: its answer keys."""
    if INSTRUMENTS[instrument].summed:
        return tuple(str(n) for n in range(1, INSTRUMENTS[instrument].item_count + 1))
    return CSSRS_QUESTIONS


def _measure_items(measure: dict[str, Any]) -> list[dict[str, Any]]:
    instrument, answers = measure["instrument"], measure["answers"]
    labels = ITEMS[instrument]
    found = []
    for i, link_id in enumerate(measure_link_ids(instrument)):
        item: dict[str, Any] = {"linkId": link_id, "text": labels[i]}
        if INSTRUMENTS[instrument].summed:
            item["answer"] = [{"valueInteger": answers[i]}]
        elif answers.get(link_id) is not None:  # a question not asked has no answer
            item["answer"] = [{"valueBoolean": answers[link_id]}]
        found.append(item)
    return found


def measure_responses(intake: dict[str, Any], subject: dict) -> list[tuple[str, Resource]]:
    return [
        (
            f"QuestionnaireResponse/measure/{i}",
            {
                "resourceType": "QuestionnaireResponse",
                "questionnaire": codes.MEASURE_QUESTIONNAIRE + measure["instrument"],
                "status": "completed",
                "subject": subject,
                "authored": measure["administered_on"],
                "item": _measure_items(measure),
            },
        )
        for i, measure in enumerate(intake.get("measures") or [])
    ]
