"""The product's own FHIR definitions, served by the API (GET /api/v1/fhir/CodeSystem/{name} and
/fhir/Questionnaire/{name}): the rule-code, verdict and answer CodeSystems and the intake and measure
Questionnaires. No patient data. docs/fhir.md, "Export notes"."""

from __future__ import annotations

from typing import Any

from screening.engine.measures import CSSRS_FOLLOW_UPS, INSTRUMENTS, ITEM_MAX, ITEM_MIN, ITEMS
from screening.engine.ruleset import RuleSet as EngineRuleSet
from screening.engine.severity import SEVERITIES, VERDICTS
from screening.engine.vocabulary import PREGNANCY, SECTIONS
from screening.presentation import verdict_display

from . import codes
from .export_answers import INTAKE_ITEMS, measure_link_ids
from .export_base import answer_coding, words

PUBLISHER = "Ketamine pre-infusion screening"
CODE_SYSTEMS = ("rule-code", "verdict", "answer")
QUESTIONNAIRES = ("ketamine-intake-1", *(f"measure-{key}" for key in INSTRUMENTS))


def _code_system(url: str, name: str, title: str, concepts: list[dict], **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "CodeSystem",
        "url": url,
        **({"version": extra.pop("version")} if "version" in extra else {}),
        "name": name,
        "title": title,
        "status": "active",
        "publisher": PUBLISHER,
        "caseSensitive": True,
        "content": "complete",
        **extra,
        "count": len(concepts),
        "concept": concepts,
    }


def rule_code_system(ruleset: EngineRuleSet) -> dict[str, Any]:
    """The rules of `ruleset` (the active set): code, title as display, severity as a property."""
    concepts = [
        {
            "code": rule.code,
            "display": rule.title,
            "property": [{"code": "severity", "valueCode": rule.severity}],
        }
        for rule in ruleset.rules
    ]
    return _code_system(
        codes.RULE_CODES,
        "RuleCode",
        "Screening rule codes",
        concepts,
        version=ruleset.version,
        property=[
            {
                "code": "severity",
                "type": "code",
                "description": "The finding's severity: " + ", ".join(SEVERITIES),
            }
        ],
    )


def verdict_code_system() -> dict[str, Any]:
    concepts = [{"code": v, "display": verdict_display(v)["label"]} for v in VERDICTS]
    return _code_system(codes.VERDICTS, "Verdict", "Screening verdicts", concepts)


def answer_values() -> tuple[str, ...]:
    """Every categorical intake value, each once, in the vocabulary's order (the pregnancy values too)."""
    found: dict[str, None] = {}
    for fields in SECTIONS.values():
        for values in fields.values():
            found.update(dict.fromkeys(values))
    found.update(dict.fromkeys(PREGNANCY))
    return tuple(found)


def answer_code_system() -> dict[str, Any]:
    concepts = [{"code": value, "display": words(value)} for value in answer_values()]
    return _code_system(codes.ANSWERS, "IntakeAnswer", "Intake answers", concepts)


def code_system(name: str, ruleset: EngineRuleSet | None) -> dict[str, Any]:
    """`ruleset`: the active rule set, needed for rule-code only."""
    if name == "rule-code" and ruleset is not None:
        return rule_code_system(ruleset)
    if name == "verdict":
        return verdict_code_system()
    if name == "answer":
        return answer_code_system()
    raise KeyError(name)


def _questionnaire(url: str, name: str, title: str, items: list[dict]) -> dict[str, Any]:
    return {
        "resourceType": "Questionnaire",
        "url": url,
        "name": name,
        "title": title,
        "status": "active",
        "publisher": PUBLISHER,
        "subjectType": ["Patient"],
        "item": items,
    }


def intake_questionnaire() -> dict[str, Any]:
    """One item per intake answer, in the order the export writes them; a choice lists its values."""
    items = []
    for item in INTAKE_ITEMS:
        found: dict[str, Any] = {"linkId": item.link_id, "text": item.text, "type": item.type}
        if item.type == "choice":
            found["answerOption"] = [{"valueCoding": answer_coding(value)} for value in item.values]
        items.append(found)
    return _questionnaire(codes.INTAKE_QUESTIONNAIRE, "KetamineIntake1", "Ketamine intake answers", items)


def measure_questionnaire(instrument: str) -> dict[str, Any]:
    """PHQ-9 and GAD-7: integer items 0 to 3; the C-SSRS screener: yes/no items, the follow-ups enabled when
    their question is answered yes. The labels are short paraphrases, not the published wording."""
    measure = INSTRUMENTS[instrument]
    gate = {question: asked for asked, follow in CSSRS_FOLLOW_UPS.items() for question in follow}
    items = []
    for link_id, text in zip(measure_link_ids(instrument), ITEMS[instrument], strict=True):
        item: dict[str, Any] = {"linkId": link_id, "text": text}
        if measure.summed:
            item["type"] = "integer"
            item["required"] = True
            item["answerOption"] = [{"valueInteger": n} for n in range(ITEM_MIN, ITEM_MAX + 1)]
        else:
            item["type"] = "boolean"
            if link_id in gate:
                item["enableWhen"] = [{"question": gate[link_id], "operator": "=", "answerBoolean": True}]
        items.append(item)
    name = "Measure" + "".join(part.capitalize() for part in instrument.split("_"))
    return _questionnaire(codes.MEASURE_QUESTIONNAIRE + instrument, name, measure.name, items)


def questionnaire(name: str) -> dict[str, Any]:
    if name == "ketamine-intake-1":
        return intake_questionnaire()
    if name.startswith("measure-") and name.removeprefix("measure-") in INSTRUMENTS:
        return measure_questionnaire(name.removeprefix("measure-"))
    raise KeyError(name)
