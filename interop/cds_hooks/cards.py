"""The cards of a screening (docs/cds-hooks.md, "Cards"): one summary card with the verdict, what was not
read and what was assumed, then one card per finding that is more than a note (severity `info`), each with
its rule's evidence, action, sources and, when its rule lets a physician set it aside, the rule's coded
override reasons. Every card links to the patient's record in the app (or to the page that adds one).

Text from the EHR or the rule set goes through `md()`, so nothing it holds becomes Markdown or HTML.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from interop.fhir import codes
from rules.sources import cited
from screening.engine import Finding, Report
from screening.engine import RuleSet as EngineRuleSet
from screening.engine.ruleset import Rule
from screening.presentation import SEVERITY_WORDS, verdict_display

from .schemas import SUMMARY_MAX

CODE_MAX = 200  # a path shown as inline code (its keys may be the client's text)
UNREAD_SHOWN = 50  # what was not read, listed on the summary card: the first ones, then a count
CARD_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, f"{codes.CANONICAL}/cds-hooks/card")
# A rule's coded override reasons (rule set data: `override_reasons`), offered on its finding's card.
OVERRIDE_REASONS = codes.OVERRIDE_REASONS
INDICATOR_OF_VERDICT = {
    "contraindicated": "critical",
    "not_a_candidate": "critical",
    "needs_information": "warning",
    "deferred": "warning",
    "clinician_review": "warning",
    "eligible_with_precautions": "info",
    "eligible": "info",
}
INDICATOR_OF_SEVERITY = {
    "contraindicated": "critical",
    "not_candidate": "critical",
    "missing": "warning",
    "defer": "warning",
    "review": "warning",
    "precaution": "info",
}  # `info` findings have no card of their own: the summary lists them
OVERRIDE_WORDS = {
    "reason": "A physician may set it aside in the app, with a reason.",
    "cosign": "A physician may set it aside in the app, with a reason and a second physician's co-signature.",
}
NOT_SET_ASIDE = {  # a finding whose rule's override setting is `none`, by severity
    "missing": "Cannot be set aside: record what is missing, then screen again.",
    "precaution": "Not set aside: followed, and acknowledged at sign-off.",
}
NOTHING_STORED = (
    "Screened on the EHR's data as sent; nothing was stored. The review, overrides and sign-off happen in "
    "the app, on its own record of the patient."
)
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+!|~])")


def md(text: Any) -> str:
    """Text shown as itself in Markdown: its special characters escaped, on one line."""
    return _MARKDOWN.sub(r"\\\1", " ".join(str(text).split()))


def code(text: Any) -> str:
    """Text shown as inline code (a path): no backtick can end it early and, on one line, no blank line
    can end its paragraph; cut short past CODE_MAX characters."""
    shown = " ".join(str(text).replace("`", "'").split())
    return "`" + (shown if len(shown) <= CODE_MAX else shown[:CODE_MAX] + "...") + "`"


def short(text: str) -> str:
    return text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 1].rstrip() + "…"


@dataclass(frozen=True)
class Frame:
    """What every card of one answer shares: the hook instance, the source's label and URL, the link."""

    hook_instance: str
    label: str
    app_url: str
    link: dict[str, str]

    def card_id(self, slot: str) -> str:
        """The same hook instance and slot always give the same card id (the hook instance is random)."""
        return str(uuid.uuid5(CARD_NAMESPACE, f"{self.hook_instance}|{slot}"))

    def card(self, slot: str, summary: str, indicator: str, detail: str, topic: dict | None) -> dict:
        source = {"label": self.label, "url": self.app_url, **({"topic": topic} if topic else {})}
        return {
            "uuid": self.card_id(slot),
            "summary": short(summary),
            "indicator": indicator,
            "detail": detail,
            "source": source,
            "links": [self.link],
        }


def not_run_card(frame: Frame, reasons: list[str], notes: list[str]) -> dict:
    detail = "\n".join(
        [
            "**The screening could not run:**",
            "",
            *(f"- {reason}" for reason in reasons),
            *_section("Also noted", notes),
            "",
            "Nothing was stored.",
        ]
    )
    return frame.card("summary", "Ketamine screening could not run: see the details", "warning", detail, None)


def report_cards(
    frame: Frame,
    report: Report,
    ruleset: EngineRuleSet,
    *,
    unread: list[dict[str, str]],
    assumed: list[str],
    dates: list[str] = (),
) -> list[dict]:
    """`dates`: Markdown lines, when each part of the EHR's data was recorded (shown on the summary)."""
    rules = {rule.code: rule for rule in ruleset.rules}
    return [
        _summary_card(frame, report, unread, assumed, list(dates)),
        *(
            _finding_card(frame, f, rules.get(f.rule))
            for f in report.findings
            if f.severity in INDICATOR_OF_SEVERITY
        ),
    ]


def _summary_card(
    frame: Frame, report: Report, unread: list[dict[str, str]], assumed: list[str], dates: list[str]
) -> dict:
    label = verdict_display(report.verdict)["label"]
    findings = [
        f"- **{md(f.rule)}** ({SEVERITY_WORDS.get(f.severity, f.severity)}): {md(f.title)}"
        for f in report.findings
    ]
    detail = "\n".join(
        [
            f"**{md(label)}** (rule set {md(report.ruleset_version)}, assessed "
            f"{report.assessed_on.isoformat()}, engine {md(report.engine_version)})",
            *_section("Dates of the EHR's data", [f"- {line}" for line in dates]),
            *_section("Findings", findings or ["none"]),
            *_section(
                f"Not read from the EHR record ({len(unread)})",
                [f"- {code(item['path'])}: {md(item['message'])}" for item in unread[:UNREAD_SHOWN]]
                + ([f"- and {len(unread) - UNREAD_SHOWN} more"] if len(unread) > UNREAD_SHOWN else []),
            ),
            *_section("Assumed", [f"- {line}" for line in assumed]),
            "",
            NOTHING_STORED,
        ]
    )
    topic = {"system": codes.VERDICTS, "code": report.verdict, "display": label}
    summary = f"Ketamine screening: {label}"
    return frame.card("summary", summary, INDICATOR_OF_VERDICT.get(report.verdict, "warning"), detail, topic)


def _finding_card(frame: Frame, finding: Finding, rule: Rule | None) -> dict:
    policy = rule.policy if rule is not None else "none"
    sources = [f"- {md(ident)}: {md(reference)}" for ident, reference in cited(finding.sources)]
    detail = "\n".join(
        [
            md(finding.evidence),
            "",
            f"**What to do:** {md(finding.action)}",
            "",
            f"**Override:** {_override_words(policy, finding.severity)}",
            *_section("Sources", sources),
        ]
    )
    topic = {"system": codes.RULE_CODES, "code": finding.rule, "display": finding.title}
    words = SEVERITY_WORDS.get(finding.severity, finding.severity)
    card = frame.card(
        finding.rule,
        f"{words[:1].upper()}{words[1:]}: {finding.title}",
        INDICATOR_OF_SEVERITY[finding.severity],
        detail,
        topic,
    )
    if policy != "none" and rule is not None and rule.override_reasons:
        card["overrideReasons"] = [
            {"system": OVERRIDE_REASONS, "code": r.code, "display": r.display} for r in rule.override_reasons
        ]
    return card


def _override_words(policy: str, severity: str) -> str:
    if policy in OVERRIDE_WORDS:
        return OVERRIDE_WORDS[policy]
    return NOT_SET_ASIDE.get(severity, "Cannot be set aside.")


def _section(title: str, lines: list[str]) -> list[str]:
    return ["", f"**{title}:**", "", *lines] if lines else []
