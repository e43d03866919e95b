"""Severities, worst first, and the verdict each one gives (criteria.md, 'Severities and the verdict')."""

SEVERITIES = ("contraindicated", "not_candidate", "missing", "defer", "review", "precaution", "info")

VERDICT_FOR_SEVERITY = {
    "contraindicated": "contraindicated",
    "not_candidate": "not_a_candidate",
    "missing": "needs_information",
    "defer": "deferred",
    "review": "clinician_review",
    "precaution": "eligible_with_precautions",
    "info": "eligible",
}
VERDICTS = tuple(VERDICT_FOR_SEVERITY.values())
ELIGIBLE = "eligible"
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}

# Verdicts for which the dose range is not shown.
NO_DOSE_VERDICTS = frozenset({"contraindicated", "not_a_candidate"})


def verdict_for(severities) -> str:
    worst = min((SEVERITY_RANK[s] for s in severities), default=SEVERITY_RANK["info"])
    return VERDICT_FOR_SEVERITY[SEVERITIES[worst]]


# What may be overridden (criteria.md, "Overrides, sign-off and validity"): a rule's `override` setting.
#   none   - the finding cannot be set aside
#   reason - a physician sets it aside with a reason
#   cosign - a physician's reason, in force once a second, different physician co-signs
OVERRIDE_SETTINGS = ("none", "reason", "cosign")
DEFAULT_OVERRIDE = {
    "contraindicated": "cosign",
    "not_candidate": "none",
    "missing": "none",
    "defer": "reason",
    "review": "reason",
    "precaution": "none",  # followed, and acknowledged at sign-off
    "info": "none",
}
# The two absolute contraindications that criteria.md never lets anyone set aside, even with a co-signature;
# they apply to a rule with no explicit setting (rule set 2026.1 was published without one).
NEVER_OVERRIDDEN = frozenset({"PREG-PREGNANT", "MED-KETAMINE-ALLERGY"})
# The settings each severity may be given explicitly: nothing turns "we don't know" (missing), "outside
# the protocol" (not_candidate), a precaution or a note into something set aside, and a contraindication
# is never set aside by one physician alone.
ALLOWED_OVERRIDE = {
    "contraindicated": ("none", "cosign"),
    "not_candidate": ("none",),
    "missing": ("none",),
    "defer": ("none", "reason", "cosign"),
    "review": ("none", "reason", "cosign"),
    "precaution": ("none",),
    "info": ("none",),
}


def override_policy(code: str, severity: str, explicit: str = "") -> str:
    """The override setting of a rule: its explicit one, else its severity's default (criteria.md). The
    two absolute contraindications are never set aside, whatever a rule set says, and a setting that the
    severity does not allow (validation refuses it) reads as none."""
    if code in NEVER_OVERRIDDEN:
        return "none"
    setting = explicit or DEFAULT_OVERRIDE.get(severity, "none")
    return setting if setting in ALLOWED_OVERRIDE.get(severity, ("none",)) else "none"
