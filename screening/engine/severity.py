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
