"""The product's QuestionnaireResponses onto the intake (docs/fhir.md): the intake questionnaire's answers
by linkId (`section.answer`), `medications.reconciled`, and one measure (PHQ-9, GAD-7, C-SSRS screener) per
measure questionnaire. An answer FHIR does not carry stays absent, which the intake reads as unknown.
"""

from __future__ import annotations

from typing import Any

from screening.engine.measures import INSTRUMENTS
from screening.engine.vocabulary import UNKNOWN

from . import codes, export_answers
from .read_values import Reading, day_of, items, obj, text

ANSWERED = ("completed", "amended")
VALUE_OF = {"choice": "valueCoding", "integer": "valueInteger", "boolean": "valueBoolean"}
# linkId -> (intake section, answer, the FHIR answer type that carries it): the export's questionnaire items
INTAKE_ITEMS: dict[str, tuple[str, str, str]] = {
    item.link_id: (item.section, item.name, VALUE_OF[item.type]) for item in export_answers.INTAKE_ITEMS
}


def canonical(resource: dict[str, Any]) -> str:
    """The questionnaire a response answers, without a `|version`."""
    return (text(resource.get("questionnaire")) or "").split("|", 1)[0]


def is_intake(resource: dict[str, Any]) -> bool:
    return canonical(resource) == codes.INTAKE_QUESTIONNAIRE


def is_measure(resource: dict[str, Any]) -> bool:
    return canonical(resource).startswith(codes.MEASURE_QUESTIONNAIRE)


def answered_items(resource: dict[str, Any], path: str) -> list[tuple[str, dict[str, Any], str]]:
    """Every item with a linkId, nested or not, in document order: (linkId, item, its path)."""
    found = []
    stack = [(item, f"{path}.item[{i}]") for i, item in enumerate(items(resource.get("item")))]
    stack.reverse()
    while stack:
        item, where = stack.pop()
        item = obj(item)
        found.append((text(item.get("linkId")) or "", item, where))
        children = [(child, f"{where}.item[{i}]") for i, child in enumerate(items(item.get("item")))]
        for j, answer in enumerate(items(item.get("answer"))):
            nested = items(obj(answer).get("item"))
            children += [(child, f"{where}.answer[{j}].item[{i}]") for i, child in enumerate(nested)]
        stack.extend(reversed(children))
    return found


def _value(reading: Reading, item: dict[str, Any], where: str, kind: str) -> tuple[Any, str] | None:
    """The one answer of an item, of the type expected; None (and listed) for anything else."""
    answers = items(item.get("answer"))
    if not answers:
        return None
    if len(answers) > 1:
        reading.skip(where, f"item {item.get('linkId')!r}: more than one answer; unknown")
        return None
    answer = obj(answers[0])
    said = obj(answer.get("valueCoding"))
    if kind != "valueCoding" and said.get("system") == codes.ANSWERS and said.get("code") == UNKNOWN:
        return None  # a number or a yes/no answered "unknown": absent, as the intake writes it
    if kind not in answer:
        reading.skip(where, f"item {item.get('linkId')!r}: not answered with {kind}; unknown")
        return None
    if kind != "valueCoding":
        return answer[kind], f"{where}.answer[0].{kind}"
    coding = obj(answer["valueCoding"])
    if coding.get("system") != codes.ANSWERS:
        reading.skip(where, f"item {item.get('linkId')!r}: not a code of {codes.ANSWERS}; unknown")
        return None
    return coding.get("code"), f"{where}.answer[0].valueCoding.code"


def _answered(reading: Reading, resource: dict[str, Any], path: str, what: str) -> bool:
    if resource.get("status") in ANSWERED:
        return True
    reading.skip(path, f"QuestionnaireResponse ({what}): status {resource.get('status')!r}: not mapped")
    return False


def read_intake_answers(reading: Reading, resource: dict[str, Any], path: str) -> str | None:
    """The intake questionnaire's answers; answers its `authored` day (the assessment date), if any."""
    if not _answered(reading, resource, path, "intake"):
        return None
    seen: dict[str, str] = {}
    for link_id, item, where in answered_items(resource, path):
        if link_id not in INTAKE_ITEMS:
            if "answer" in item:
                reading.skip(where, f"intake questionnaire: item {link_id[:60]!r} not mapped")
            continue
        if link_id in seen:
            reading.refuse(where, f"linkId {link_id!r} is answered twice (also at {seen[link_id]})")
            continue
        seen[link_id] = where
        section, name, kind = INTAKE_ITEMS[link_id]
        found = _value(reading, item, where, kind)
        if found is not None:
            reading.intake.setdefault(section, {})[name], origin = found
            reading.origin(f"{section}.{name}", origin)
    return day_of(resource.get("authored")) or resource.get("authored")


def read_measure(reading: Reading, resource: dict[str, Any], path: str) -> None:
    instrument = canonical(resource).removeprefix(codes.MEASURE_QUESTIONNAIRE)
    if instrument not in INSTRUMENTS:
        reading.skip(
            path,
            f"QuestionnaireResponse: measure {instrument[:40]!r} is not PHQ-9, GAD-7 or "
            "the C-SSRS screener; not mapped",
        )
        return
    if not _answered(reading, resource, path, instrument):
        return
    link_ids = export_answers.measure_link_ids(instrument)
    kind = "valueBoolean" if instrument == "cssrs_screener" else "valueInteger"
    measures = reading.intake.setdefault("measures", [])
    at = f"measures[{len(measures)}]"
    values: dict[str, Any] = {}
    for link_id, item, where in answered_items(resource, path):
        if link_id not in link_ids:
            reading.skip(where, f"{INSTRUMENTS[instrument].name}: item {link_id!r} not mapped")
            continue
        if link_id in values:
            reading.refuse(where, f"linkId {link_id!r} is answered twice")
            continue
        found = _value(reading, item, where, kind)
        values[link_id] = None if found is None else found[0]
        position = f"[{link_ids.index(link_id)}]" if kind == "valueInteger" else f".{link_id}"
        reading.origin(f"{at}.answers{position}", where if found is None else found[1])
    answers: Any = (
        {key: values.get(key) for key in link_ids if values.get(key) is not None}
        if kind == "valueBoolean"
        else [values.get(key) for key in link_ids]
    )
    authored = resource.get("authored")
    measures.append(
        {"instrument": instrument, "administered_on": day_of(authored) or authored, "answers": answers}
    )
    reading.origin(at, path)
    reading.origin(f"{at}.administered_on", f"{path}.authored")
    reading.origin(f"{at}.answers", path)
