"""A plain-text summary of a report for the terminal."""

from .engine import Report
from .engine.predicates import fmt_number
from .presentation import verdict_display  # the page's words for each verdict


def report_text(report: Report) -> str:
    lines = [
        f"VERDICT: {verdict_display(report.verdict)['label'].upper()} ({report.verdict})",
        f"Patient: {report.name} ({report.mrn}), age {report.age}, assessed {report.assessed_on.isoformat()}",
        f"Rule set {report.ruleset_version} sha256 {report.ruleset_sha256[:12]}..., engine {report.engine_version}",
        "",
        "Findings:" if report.findings else "Findings: none",
    ]
    for f in report.findings:
        lines.append(f"  [{f.severity}] {f.rule}: {f.title}")
        if f.evidence:
            lines.append(f"      evidence: {f.evidence}")
        lines.append(f"      action:   {f.action}  ({', '.join(f.sources)})")
    if report.medications:
        lines += ["", "Medications:"]
        for m in report.medications:
            daily = f"{fmt_number(m.daily_mg)} mg/day" if m.daily_mg is not None else "dose unknown"
            generic = f"{m.generic} {m.atc}" if m.generic else "NOT IN FORMULARY"
            eq = f", {fmt_number(m.diazepam_eq_mg)} mg diazepam-eq" if m.diazepam_eq_mg is not None else ""
            lines.append(f"  {m.name}: {generic}, {daily}{eq}  {' '.join(m.rules)}")
    bp = report.blood_pressure
    lines += [
        "",
        f"Blood pressure: {fmt_number(bp.shown_systolic)}/{fmt_number(bp.shown_diastolic)} mmHg "
        f"(mean of {bp.readings} on {bp.day.isoformat()})"
        if bp
        else "Blood pressure: no recent reading",
    ]
    d = report.dose
    lines.append(
        f"Dose range: {fmt_number(d.low_mg)}-{fmt_number(d.high_mg)} mg IV over "
        f"{d.minutes[0]}-{d.minutes[1]} min ({fmt_number(d.weight_kg)} kg)"
        if d
        else "Dose range: not shown"
    )
    return "\n".join(lines)
