"""The screening's conclusions as FHIR: the RiskAssessment (the verdict in force, the engine's when it
differs, the sign-off), one DetectedIssue per finding (its overrides and co-signatures as mitigations) and
the Provenance (rule set, formulary, engine, signer). docs/fhir.md, "Export notes"."""

from __future__ import annotations

from typing import Any

from screening.engine.ruleset import Rule
from screening.models import FindingOverride
from screening.presentation import verdict_display
from screening.review import set_aside
from screening.selectors import ReviewState

from . import codes
from .export_base import Resource, Urls, coding, concept, instant

ASSESSMENT = "Ketamine pre-infusion screening"
PARTICIPANT_NAMES = {"assembler": "Assembler", "attester": "Attester"}


def _verdict_label(verdict: str) -> str:
    return verdict_display(verdict)["label"]


def risk_assessment(state: ReviewState, *, subject: dict, basis: list[dict]) -> Resource:
    """The outcome: the verdict in force after the overrides in force (its one coding: two codings would
    read as two meanings of one outcome). The engine's own verdict, only when the two differ, in the
    engine-verdict extension, with the findings set aside as the rationale."""
    screening = state.screening
    in_force = state.effective
    outcome: dict[str, Any] = {
        "coding": [coding(codes.VERDICTS, in_force, _verdict_label(in_force))],
        "text": _verdict_label(in_force),
    }
    prediction: dict[str, Any] = {"outcome": outcome}
    if in_force != screening.verdict:
        engine = coding(
            codes.VERDICTS,
            screening.verdict,
            f"Engine verdict before overrides: {_verdict_label(screening.verdict)}",
        )
        prediction["extension"] = [{"url": codes.EXT_ENGINE_VERDICT, "valueCoding": engine}]
        aside = ", ".join(sorted(set_aside(screening, state.overrides)))
        prediction["rationale"] = (
            f"Findings set aside by physicians' overrides in force: {aside}. "
            f"The engine's verdict was {screening.verdict}."
        )
    resource: Resource = {
        "resourceType": "RiskAssessment",
        "status": "final" if state.signoff is not None else "preliminary",
        "code": {"text": ASSESSMENT},
        "subject": subject,
        "occurrenceDateTime": screening.assessed_on.isoformat(),
        "basis": basis,
        "prediction": [prediction],
    }
    dose = state.dose()
    if dose:
        low, high = dose["minutes"]
        resource["mitigation"] = (
            f"Dose range {dose['low_mg']} to {dose['high_mg']} mg (weight {dose['weight_kg']} kg), "
            f"infused over {low} to {high} minutes."
        )
    if state.signoff is not None:
        signoff = state.signoff
        resource["performer"] = {"display": signoff.signer_name}
        text = f"{state.decision_text}." + (f" {signoff.note}" if signoff.note else "")
        resource["note"] = [
            {"authorString": signoff.signer_name, "time": instant(signoff.signed_at), "text": text}
        ]
    return resource


def _override_state(override: FindingOverride, counted: set[str]) -> str:
    if override.rule in counted:
        return "in force"
    if override.legacy:
        return "recorded before overrides followed each rule's setting: not in force"
    if override.needs_cosign and override.cosigned_at is None:
        return "awaiting a second physician's co-signature: not in force"
    return "not in force"


def _reason_display(override: FindingOverride, rule: Rule | None) -> str:
    if not override.reason_code:
        return ""
    offered = {r.code: r.display for r in rule.override_reasons} if rule is not None else {}
    return offered.get(override.reason_code, override.reason_code)


def _mitigations(finding: dict[str, Any], overrides, counted: set[str], rule: Rule | None) -> list[dict]:
    """The rule's action, then each override of the finding (author, date, reason) and its co-signature."""
    found: list[dict[str, Any]] = [{"action": {"text": finding["action"]}}]
    set_aside_code = coding(codes.DETECTED_ISSUE_MITIGATION, *codes.MITIGATION_OVERRIDE)
    for override in overrides:
        text = f"Set aside by a physician ({_override_state(override, counted)}). Reason: {override.reason}"
        coded = _reason_display(override, rule)
        if coded:
            text += f" (coded reason: {coded})"
        found.append(
            {
                "action": {"coding": [set_aside_code], "text": text},
                "date": instant(override.created_at),
                "author": {"display": override.overridden_by_name},
            }
        )
        if override.cosigned_at is not None:
            found.append(
                {
                    "action": {
                        "coding": [set_aside_code],
                        "text": "Override co-signed by a second physician.",
                    },
                    "date": instant(override.cosigned_at),
                    "author": {"display": override.cosigned_by_name},
                }
            )
    return found


def detected_issues(
    state: ReviewState, *, urls: Urls, rules: dict[str, Rule], medications: list[dict[str, Any] | None]
) -> list[tuple[str, Resource]]:
    """One DetectedIssue per finding, in the report's order (worst first). `medications`: the report's
    row of each MedicationStatement (None when not matched), for `implicated`."""
    screening = state.screening
    counted = set_aside(screening, state.overrides)
    found = []
    for finding in screening.report["findings"]:
        code = finding["rule"]
        resource: Resource = {
            "resourceType": "DetectedIssue",
            "status": "final",
            "code": {
                "coding": [
                    {
                        "system": codes.RULE_CODES,
                        "version": screening.ruleset_version,  # a code's meaning is its rule set's
                        "code": code,
                        "display": finding["title"],
                    }
                ],
                "text": finding["title"],
            },
            "severity": codes.DETECTED_ISSUE_SEVERITY[finding["severity"]],
            "patient": urls.ref("Patient"),
            "identifiedDateTime": instant(screening.created_at),
        }
        implicated = [
            urls.ref(f"MedicationStatement/{i}")
            for i, row in enumerate(medications)
            if row is not None and code in (row.get("rules") or [])
        ]
        if implicated:
            resource["implicated"] = implicated
        resource["detail"] = finding["evidence"]
        if finding.get("sources"):
            resource["evidence"] = [
                {"code": [concept(codes.SOURCES, source) for source in finding["sources"]]}
            ]
        overrides = [o for o in state.overrides if o.rule == code]
        resource["mitigation"] = _mitigations(finding, overrides, counted, rules.get(code))
        found.append((f"DetectedIssue/{code}", resource))
    return found


def _entity(system: str, sha256: str, label: str, version: str) -> dict[str, Any]:
    return {
        "extension": [{"url": codes.EXT_VERSION, "valueString": version}],
        "role": "source",
        "what": {"identifier": {"system": system, "value": sha256}, "display": label},
    }


def _agent(kind: str, who: dict[str, Any]) -> dict[str, Any]:
    return {"type": concept(codes.PROVENANCE_PARTICIPANT, kind, PARTICIPANT_NAMES[kind]), "who": who}


def provenance(state: ReviewState, *, targets: list[dict]) -> Resource:
    """What made the screening: the rule set and formulary (by sha256, with their version labels), the
    engine (by version) and, once signed, the physician who signed."""
    screening = state.screening
    entities = [
        _entity(
            codes.RULESET_SHA256,
            screening.ruleset_sha256,
            f"Rule set {screening.ruleset_version}",
            screening.ruleset_version,
        )
    ]
    if screening.formulary_version is not None:
        entities.append(
            _entity(
                codes.FORMULARY_SHA256,
                screening.formulary_sha256,
                f"Formulary version {screening.formulary_version}",
                str(screening.formulary_version),
            )
        )
    agents = [
        _agent(
            "assembler",
            {
                "identifier": {"system": codes.ENGINE_VERSION, "value": screening.engine_version},
                "display": f"Screening engine {screening.engine_version}",
            },
        )
    ]
    if state.signoff is not None:
        agents.append(_agent("attester", {"display": state.signoff.signer_name}))
    return {
        "resourceType": "Provenance",
        "target": targets,
        "recorded": instant(screening.created_at),
        "agent": agents,
        "entity": entities,
    }
