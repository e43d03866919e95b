"""evaluate(facts, ruleset, as_of): the whole clinical core. Pure: same input, same report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from .context import BloodPressureSummary, Context
from .facts import Facts
from .predicates import evaluate_predicate
from .protocol import ChecklistItem, Protocol
from .ruleset import RuleSet
from .severity import NO_DOSE_VERDICTS, SEVERITY_RANK, verdict_for

ENGINE_VERSION = "1.0.0"


# Findings and medication rows are made on every evaluation (about 30 each time): NamedTuples, immutable
# like the frozen dataclasses elsewhere, are several times cheaper to create.
class Finding(NamedTuple):
    rule: str
    severity: str
    title: str
    evidence: str
    action: str
    sources: tuple[str, ...]


class MedicationAnalysis(NamedTuple):
    name: str
    generic: str | None
    atc: str | None
    classes: tuple[str, ...]
    daily_mg: float | None
    diazepam_eq_mg: float | None
    rules: tuple[str, ...]


@dataclass(frozen=True)
class DoseRange:
    weight_kg: float
    low_mg: float
    high_mg: float
    minutes: tuple[int, int]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Report:
    verdict: str
    mrn: str
    name: str
    age: int | None
    assessed_on: date
    findings: tuple[Finding, ...]
    medications: tuple[MedicationAnalysis, ...]
    blood_pressure: BloodPressureSummary | None
    dose: DoseRange | None
    checklist: tuple[ChecklistItem, ...]
    ruleset_version: str
    ruleset_sha256: str
    engine_version: str = ENGINE_VERSION

    @property
    def rule_codes(self) -> tuple[str, ...]:
        return tuple(f.rule for f in self.findings)


_UNRESOLVED = (None, None, ())  # generic, ATC code and classes of a medication not in the formulary


def dose_range(weight_kg: float | None, protocol: Protocol) -> DoseRange | None:
    """The protocol's dose range for a weight (None when the weight is not recorded). evaluate() shows it
    for every verdict but contraindicated and not a candidate; a report whose contraindication a physician
    set aside shows it from here."""
    if weight_kg is None:
        return None
    return DoseRange(
        weight_kg=weight_kg,
        low_mg=_round_mg(weight_kg * protocol.dose_mg_per_kg_low),
        high_mg=_round_mg(weight_kg * protocol.dose_mg_per_kg_high),
        minutes=protocol.infusion_minutes,
        sources=protocol.dose_sources,
    )


def _round_mg(value: float) -> float:
    return float(Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def evaluate(facts: Facts, ruleset: RuleSet, as_of: date) -> Report:
    ctx = Context(facts, ruleset.protocol, as_of, ruleset.match_codes)
    findings: list[tuple[int, int, Finding]] = []
    rules_by_medication: dict[int, list[str]] = {}
    for position, rank, rule, run, params in ruleset.plan:
        try:
            hit = run(ctx, params) if run is not None else evaluate_predicate(ctx, rule.predicate)
        except Exception as exc:  # noqa: BLE001 - fail closed: a broken rule is shown, never a silent pass
            findings.append(
                (
                    SEVERITY_RANK["missing"],
                    position,
                    Finding(
                        rule=rule.code,
                        severity="missing",
                        title=f"Rule could not be evaluated: {rule.title}",
                        evidence=f"{type(exc).__name__} while evaluating {rule.predicate.get('kind')}",
                        action="Screen this point by hand and report the rule to the rules administrator.",
                        sources=rule.sources,
                    ),
                )
            )
            continue
        if hit is None:
            continue
        findings.append(
            (
                rank,
                position,
                Finding(rule.code, rule.severity, rule.title, hit.evidence, rule.action, rule.sources),
            )
        )
        for index in hit.medications:
            rules_by_medication.setdefault(index, []).append(rule.code)
    findings.sort()  # by severity, then rule-set order (positions are unique, so Findings never compare)
    ordered = tuple(f for _, _, f in findings)
    verdict = verdict_for(f.severity for f in ordered)

    equivalent = ctx.diazepam_equivalent
    medications = tuple(
        MedicationAnalysis(
            med.name,
            *(med.drug.analysis_columns if med.drug is not None else _UNRESOLVED),
            med.daily_mg,
            equivalent(i) if med.drug is not None and med.drug.diazepam_10mg_equivalent_mg else None,
            tuple(rules_by_medication.get(i, ())),
        )
        for i, med in enumerate(facts.medications)
    )

    p = ruleset.protocol
    dose = dose_range(facts.weight_kg, p) if verdict not in NO_DOSE_VERDICTS else None

    return Report(
        verdict=verdict,
        mrn=facts.mrn,
        name=facts.name,
        age=ctx.age,
        assessed_on=as_of,
        findings=ordered,
        medications=medications,
        blood_pressure=ctx.bp_summary,
        dose=dose,
        checklist=p.checklist,
        ruleset_version=ruleset.version,
        ruleset_sha256=ruleset.sha256,
    )
