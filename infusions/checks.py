"""What the screening that cleared a patient says about an infusion day (issue 18): whether it still clears
the patient, its rule set's blood-pressure thresholds and day-of checklist items, and its measure rules
re-applied to the measures taken since. The page, the API and the printed sheet read the decision from
`infusion_decision`, so they can never disagree."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from django.utils import timezone

from rules.selectors import engine_ruleset
from screening.bp_chart import bp_reference_lines
from screening.currency import screening_currency
from screening.engine import evaluate
from screening.engine.context import Context
from screening.engine.facts import MeasureFact
from screening.engine.measures import score as score_measure
from screening.engine.predicates import evaluate_predicate
from screening.engine.protocol import DayOfItem
from screening.engine.ruleset import RuleSet as EngineRuleSet
from screening.intake import IntakeInvalid, facts_from_intake, validate_intake
from screening.models import Screening, SignOff

from .decision import Decision, MeasureFinding, Reading, Threshold, decide, item_applies
from .models import Infusion

MEASURE_KINDS = frozenset({"cssrs_imminent", "phq9_item9_at_least"})


def _kinds(predicate: Any) -> set[str]:
    if not isinstance(predicate, dict):
        return set()
    found = {predicate.get("kind")}
    for value in (predicate.get("params") or {}).values():
        for sub in value if isinstance(value, list) else [value]:
            found |= _kinds(sub)
    return found


def measure_rule_codes(ruleset: EngineRuleSet) -> set[str]:
    """The rules of a set that read the measures (a measure predicate kind anywhere in their predicate)."""
    return {r.code for r in ruleset.rules if r.enabled and _kinds(r.predicate) & MEASURE_KINDS}


def _no_medications(name: str):
    return None  # the measure rules and the day-of predicates never read a medication


def screening_facts(screening: Screening):
    """The engine facts of the screening's own intake snapshot (the medications left unresolved)."""
    return facts_from_intake(validate_intake(screening.intake), _no_medications)


def clearance_problems(screening: Screening | None, today: date) -> tuple[str, ...]:
    """Why this screening does not clear the patient for an infusion today (empty: it does). Fail closed:
    no screening, no decision, a decision other than cleared, or a screening that is no longer current."""
    if screening is None:
        return ("The patient has no screening: screen the patient and have a physician sign it cleared.",)
    signoff = SignOff.objects.filter(screening=screening).first()
    when = f"The screening of {screening.assessed_on:%Y-%m-%d}"
    if signoff is None:
        return (f"{when} is not signed: a physician signs it cleared before any infusion.",)
    if signoff.decision != SignOff.Decision.CLEARED:
        return (f"{when} was signed not cleared.",)
    currency = screening_currency(screening, today)
    if not currency.current:
        return (f"{when} is {currency.text}: screen again and have a physician sign it cleared.",)
    return ()


def latest_screening(patient) -> Screening | None:
    return Screening.objects.filter(patient=patient).order_by("-created_at", "-pk").first()


UNREADABLE = (
    "The intake this screening evaluated cannot be read by today's validator: screen the patient again and "
    "have a physician sign it cleared."
)


def readable(screening: Screening) -> bool:
    """Whether today's validator still reads the screening's intake snapshot (a snapshot stored under an
    older format may not be): when it does not, the day is held and every checklist item is asked."""
    try:
        validate_intake(screening.intake)
    except IntakeInvalid:
        return False
    return True


def day_of_items(screening: Screening, ruleset: EngineRuleSet, on: date) -> tuple[DayOfItem, ...]:
    """The rule set's day-of checklist items this screening asks for, in the rule set's order (every item
    when its intake cannot be read: fail closed)."""
    codes = {f["rule"] for f in screening.report.get("findings", [])}
    ctx = None

    def holds(predicate) -> bool:
        nonlocal ctx
        try:
            ctx = ctx or Context(screening_facts(screening), ruleset.protocol, on)
        except IntakeInvalid:
            return True
        return evaluate_predicate(ctx, predicate) is not None

    return tuple(item for item in ruleset.protocol.day_of_checklist if item_applies(item, codes, holds))


def series_measures(infusion: Infusion) -> list[dict[str, Any]]:
    """The measures taken since the screening: those on this patient's infusion records under the same
    screening, up to this infusion's day."""
    rows = Infusion.objects.filter(
        patient_id=infusion.patient_id,
        screening_id=infusion.screening_id,
        infusion_on__lte=infusion.infusion_on,
    ).values_list("measures", flat=True)
    if infusion.pk is None:
        rows = [*rows, infusion.measures]
    return [m for measures in rows for m in measures or []]


def measure_findings(infusion: Infusion, ruleset: EngineRuleSet) -> tuple[MeasureFinding, ...]:
    """The screening's measure rules over the measures taken since it, as of the infusion day."""
    codes = measure_rule_codes(ruleset)
    measures = series_measures(infusion)
    if not codes or not measures or not readable(infusion.screening):
        return ()  # an unreadable intake holds the day (infusion_decision) before any measure is weighed
    facts = replace(
        screening_facts(infusion.screening),
        measures=tuple(
            MeasureFact(
                m["instrument"],
                date.fromisoformat(m["administered_on"]),
                score_measure(m["instrument"], m["answers"]),
            )
            for m in measures
        ),
    )
    report = evaluate(facts, ruleset, infusion.infusion_on)
    return tuple(
        MeasureFinding(f.rule, f.severity, f.title, f.evidence) for f in report.findings if f.rule in codes
    )


def _readings(infusion: Infusion) -> tuple[Reading, ...]:
    return tuple(
        Reading(s, d, hr)
        for s, d, hr in (infusion.readings("pre"), infusion.readings("pre2"))
        if s is not None and d is not None
    )


def infusion_decision(infusion: Infusion, today: date | None = None) -> Decision:
    """Go or hold for this infusion, now. A signed record keeps the decision it was signed with."""
    today = today or timezone.localdate()
    screening = infusion.screening
    ruleset = engine_ruleset(screening.ruleset)
    problems = clearance_problems(screening, today)
    newer = latest_screening(infusion.patient)
    if newer is not None and newer.pk != screening.pk and not problems:
        problems = ("A newer screening supersedes the one this infusion was started under: start again.",)
    if not readable(screening):
        problems = (*problems, UNREADABLE)
    if infusion.infusion_on != today:
        problems = (
            *problems,
            f"This check is for {infusion.infusion_on:%Y-%m-%d}; today is {today:%Y-%m-%d}.",
        )
    return decide(
        protocol=ruleset.protocol,
        weight_kg=float(infusion.weight_kg) if infusion.weight_kg is not None else None,
        readings=_readings(infusion),
        items=day_of_items(screening, ruleset, infusion.infusion_on),
        answers=infusion.checklist or {},
        thresholds=tuple(
            Threshold(t.systolic, t.diastolic, t.inclusive, t.severity, t.rule)
            for t in bp_reference_lines(ruleset.rules)
        ),
        measure_findings=measure_findings(infusion, ruleset),
        screening_problems=problems,
    )
