"""Rule sets as data: parsing, validation with named fields, and the canonical content hash."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .predicates import Compiled, compile_predicate, validate_predicate
from .problems import Problem
from .protocol import DEFAULT_MEASURE_WINDOW_DAYS, DEFAULT_VALIDITY_DAYS, ChecklistItem, Protocol
from .protocol_data import day_of_items, day_of_problems, validate_protocol, validate_sources
from .severity import (
    ALLOWED_OVERRIDE,
    NEVER_OVERRIDDEN,
    OVERRIDE_SETTINGS,
    SEVERITIES,
    SEVERITY_RANK,
    override_policy,
)

RULE_CODE = re.compile(r"^[A-Z]+(?:-[A-Z0-9]+)+$")


class RuleSetInvalid(ValueError):
    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("; ".join(self.errors))

    @property
    def errors(self) -> list[Problem]:
        """Each problem as one line, "path: message"."""
        return [str(problem) for problem in self.problems]


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    title: str
    action: str
    sources: tuple[str, ...]
    predicate: dict[str, Any]
    enabled: bool = True
    # the predicate compiled when the rule set is parsed (None: compiled on each evaluation)
    test: Compiled | None = field(default=None, compare=False, repr=False)
    override: str = ""  # explicit override setting; "" takes the severity's default (see `policy`)
    override_reasons: tuple[OverrideReason, ...] = ()

    @property
    def policy(self) -> str:
        """none | reason | cosign: what a physician may do with this rule's finding."""
        return override_policy(self.code, self.severity, self.override)


@dataclass(frozen=True)
class OverrideReason:
    """A coded reason a rule offers for setting its finding aside (as CDS Hooks cards offer them)."""

    code: str
    display: str


@dataclass(frozen=True)
class RuleSet:
    version: str
    rules: tuple[Rule, ...]
    protocol: Protocol = field(default_factory=Protocol)
    sha256: str = ""

    @cached_property
    def plan(self) -> tuple[tuple[int, int, Rule, Any, Any], ...]:
        """The enabled rules in order, each with its position, its severity's rank (for sorting) and its
        compiled evaluator and parameters (None, None: compiled when it runs)."""
        return tuple(
            (
                position,
                SEVERITY_RANK[rule.severity],
                rule,
                *((rule.test.run, rule.test.params) if rule.test else (None, None)),
            )
            for position, rule in enumerate(self.rules)
            if rule.enabled
        )

    @cached_property
    def match_codes(self) -> frozenset[str] | None:
        """Every code the compiled medication matchers name, so that an evaluation indexes only those; None
        when a rule is not compiled (its matchers are unknown until it runs, so everything is indexed)."""
        codes: set[str] = set()
        for rule in self.rules:
            if rule.test is None:
                return None
            codes |= _matcher_codes(rule.test)
        return frozenset(codes)


def _matcher_codes(compiled: Compiled) -> set[str]:
    codes = set(compiled.params.get("match", ())) | set(compiled.params.get("exclude", ()))
    for value in compiled.params.values():
        for sub in value if isinstance(value, tuple) else (value,):
            if isinstance(sub, Compiled):
                codes |= _matcher_codes(sub)
    return codes


def canonical_content(data: dict[str, Any]) -> dict[str, Any]:
    """The part of a rule set document that its hash covers: protocol, rules (with their test cases) and
    the test baseline; not the version label or the note."""
    return {
        "protocol": data.get("protocol", {}),
        "rules": data.get("rules", []),
        "test_baseline": data.get("test_baseline", {}),
    }


def content_sha256(data: dict[str, Any]) -> str:
    text = json.dumps(canonical_content(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _validate_tests(tests: Any, where: str) -> list[Problem]:
    if not isinstance(tests, list):
        return [Problem(where, "must be a list of test cases")]
    errors = []
    for i, case in enumerate(tests):
        path = f"{where}[{i}]"
        if not isinstance(case, dict):
            errors.append(Problem(path, "must be an object with name, intake and fires"))
            continue
        errors += [
            Problem(f"{path}.{key}", "unknown field")
            for key in sorted(set(case) - {"name", "intake", "fires"})
        ]
        if not isinstance(case.get("fires"), bool):
            errors.append(Problem(f"{path}.fires", "must be true or false"))
        if not isinstance(case.get("intake", {}), dict):
            errors.append(
                Problem(f"{path}.intake", "must be an object (merged onto the rule set's test_baseline)")
            )
        if not isinstance(case.get("name", ""), str):
            errors.append(Problem(f"{path}.name", "must be text"))
    return errors


OVERRIDE_REASON_CODE = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


def _validate_override(rule: dict[str, Any], where: str) -> list[Problem]:
    """`override` is optional (absent: the severity's default) and limited by severity; `override_reasons`
    are optional coded reasons, only on a rule that can be overridden."""
    errors = []
    setting = rule.get("override")
    severity = rule.get("severity")
    if setting is not None:
        if setting not in OVERRIDE_SETTINGS:
            errors.append(
                Problem(f"{where}.override", f"{setting!r} is not one of {', '.join(OVERRIDE_SETTINGS)}")
            )
        elif rule.get("code") in NEVER_OVERRIDDEN and setting != "none":
            errors.append(
                Problem(f"{where}.override", f"{rule['code']} is never set aside (criteria.md): only none")
            )
        elif severity in ALLOWED_OVERRIDE and setting not in ALLOWED_OVERRIDE[severity]:
            errors.append(
                Problem(
                    f"{where}.override",
                    f"a {severity} finding allows only {' or '.join(ALLOWED_OVERRIDE[severity])}",
                )
            )
    reasons = rule.get("override_reasons", [])
    if not isinstance(reasons, list):
        return errors + [Problem(f"{where}.override_reasons", "must be a list of {code, display}")]
    seen: set[str] = set()
    for i, reason in enumerate(reasons):
        path = f"{where}.override_reasons[{i}]"
        if not isinstance(reason, dict) or set(reason) != {"code", "display"}:
            errors.append(Problem(path, "must be an object with code and display"))
            continue
        code, display = reason["code"], reason["display"]
        if not (isinstance(code, str) and OVERRIDE_REASON_CODE.match(code)):
            errors.append(Problem(f"{path}.code", f"{code!r} is not a reason code like patient_declined"))
        elif code in seen:
            errors.append(Problem(f"{path}.code", "duplicate reason code"))
        else:
            seen.add(code)
        if not (isinstance(display, str) and display.strip() and len(display) <= 200):
            errors.append(Problem(f"{path}.display", "required text, at most 200 characters"))
    explicit = setting if isinstance(setting, str) else ""
    if (
        reasons
        and isinstance(rule.get("code"), str)
        and severity in ALLOWED_OVERRIDE
        and override_policy(rule["code"], severity, explicit) == "none"
    ):
        errors.append(Problem(f"{where}.override_reasons", "this rule's finding cannot be overridden"))
    return errors


def validate_rule(rule: Any, where: str) -> list[Problem]:
    if not isinstance(rule, dict):
        return [Problem(where, "must be an object")]
    errors = []
    allowed = {
        "code",
        "severity",
        "title",
        "action",
        "sources",
        "enabled",
        "predicate",
        "tests",
        "override",
        "override_reasons",
    }
    for key in sorted(set(rule) - allowed):
        errors.append(Problem(f"{where}.{key}", "unknown field"))
    code = rule.get("code")
    if not (isinstance(code, str) and RULE_CODE.match(code)):
        errors.append(Problem(f"{where}.code", f"{code!r} is not a rule code like BP-STAGE2"))
    if rule.get("severity") not in SEVERITIES:
        errors.append(
            Problem(f"{where}.severity", f"{rule.get('severity')!r} is not one of {', '.join(SEVERITIES)}")
        )
    for text_field in ("title", "action"):
        value = rule.get(text_field)
        if not (isinstance(value, str) and value.strip()):
            errors.append(Problem(f"{where}.{text_field}", "required text"))
    errors += validate_sources(rule.get("sources"), f"{where}.sources")
    errors += _validate_tests(rule.get("tests", []), f"{where}.tests")
    if not isinstance(rule.get("enabled", True), bool):
        errors.append(Problem(f"{where}.enabled", "must be true or false"))
    errors += _validate_override(rule, where)
    if "predicate" not in rule:
        errors.append(Problem(f"{where}.predicate", "required"))
    else:
        errors += validate_predicate(rule["predicate"], f"{where}.predicate")
    return errors


def validate_ruleset_data(data: Any) -> list[str]:
    """Every problem of a rule-set document as one line, "path: message" (for messages and logs)."""
    return [str(problem) for problem in ruleset_problems(data)]


def ruleset_problems(data: Any) -> list[Problem]:
    """Every problem of a rule-set document, each with its path (rules[3] (BP-STAGE2).predicate.kind)."""
    if not isinstance(data, dict):
        return [Problem("rule set", "must be a JSON object")]
    errors = []
    allowed = {"format", "version", "note", "protocol", "rules", "test_baseline"}
    for key in sorted(set(data) - allowed):
        errors.append(Problem(key, "unknown field"))
    if data.get("format", "ketamine-ruleset/1") != "ketamine-ruleset/1":
        errors.append(Problem("format", f"{data.get('format')!r} is not ketamine-ruleset/1"))
    version = data.get("version")
    if not (isinstance(version, str) and 1 <= len(version) <= 40):
        errors.append(Problem("version", "required, 1-40 characters"))
    errors += validate_protocol(data.get("protocol"))
    if not isinstance(data.get("test_baseline", {}), dict):
        errors.append(Problem("test_baseline", "must be an intake object"))
    rules = data.get("rules")
    if not isinstance(rules, list) or not rules:
        errors.append(Problem("rules", "must be a non-empty list"))
        return errors
    if isinstance(data.get("protocol"), dict) and "day_of_checklist" in data["protocol"]:
        codes = {r.get("code") for r in rules if isinstance(r, dict)}
        errors += day_of_problems(data["protocol"]["day_of_checklist"], codes)
    seen: set[str] = set()
    for i, rule in enumerate(rules):
        label = rule.get("code") if isinstance(rule, dict) else None
        where = f"rules[{i}]" + (f" ({label})" if isinstance(label, str) else "")
        errors += validate_rule(rule, where)
        if isinstance(label, str):
            if label in seen:
                errors.append(Problem(f"{where}.code", "duplicate rule code"))
            seen.add(label)
    return errors


def ruleset_from_data(data: dict[str, Any]) -> RuleSet:
    """Parse a validated rule set document into the engine's frozen form. Raises RuleSetInvalid."""
    problems = ruleset_problems(data)
    if problems:
        raise RuleSetInvalid(problems)
    p = data["protocol"]
    protocol = Protocol(
        dose_mg_per_kg_low=float(p["dose_mg_per_kg"][0]),
        dose_mg_per_kg_high=float(p["dose_mg_per_kg"][1]),
        infusion_minutes=(p["infusion_minutes"][0], p["infusion_minutes"][1]),
        dose_sources=tuple(p.get("dose_sources", [])),
        bp_window_days=p["bp_window_days"],
        measure_window_days=p.get("measure_window_days", DEFAULT_MEASURE_WINDOW_DAYS),
        validity_days=p.get("validity_days", DEFAULT_VALIDITY_DAYS),
        checklist=tuple(
            ChecklistItem(i["text"], tuple(i.get("sources", []))) for i in p.get("checklist", [])
        ),
        day_of_checklist=day_of_items(p.get("day_of_checklist", [])),
    )
    rules = tuple(
        Rule(
            code=r["code"],
            severity=r["severity"],
            title=r["title"],
            action=r["action"],
            sources=tuple(r["sources"]),
            predicate=r["predicate"],
            enabled=r.get("enabled", True),
            test=compile_predicate(r["predicate"]),
            override=r.get("override", ""),
            override_reasons=tuple(
                OverrideReason(x["code"], x["display"]) for x in r.get("override_reasons", [])
            ),
        )
        for r in data["rules"]
    )
    return RuleSet(version=data["version"], rules=rules, protocol=protocol, sha256=content_sha256(data))
