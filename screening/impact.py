"""Impact preview: re-evaluate the stored intake snapshots of recent screenings under a draft rule set."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction

from formulary.lookup import Formulary
from formulary.selectors import current_formulary
from rules.models import RuleSet
from rules.selectors import engine_ruleset

from .engine import RuleSet as EngineRuleSet
from .engine import evaluate
from .intake import IntakeInvalid, facts_from_intake, validate_intake
from .models import ImpactPreview, Screening
from .tasks import impact_preview_task

log = logging.getLogger(__name__)
PROGRESS_EVERY = 25


def impact_compute(
    screenings: Iterable[Screening],
    ruleset: EngineRuleSet,
    formulary: Formulary,
    baseline: EngineRuleSet | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Each stored intake snapshot evaluated under `baseline` (the active set; without one, the stored
    result) and under the draft, on its own assessment date and with today's formulary, so that the
    transitions show what the draft changes and nothing else."""
    transitions: Counter[tuple[str, str]] = Counter()
    affected, unscreenable = [], []
    for count, screening in enumerate(screenings, start=1):
        try:
            facts = facts_from_intake(
                validate_intake(screening.intake), formulary.resolve, formulary.is_ambiguous
            )
            new = evaluate(facts, ruleset, screening.assessed_on)
            old = evaluate(facts, baseline, screening.assessed_on) if baseline is not None else None
        except IntakeInvalid as exc:
            unscreenable.append({"screening": screening.pk, "problems": exc.errors[:3]})
            continue
        old_verdict = old.verdict if old is not None else screening.verdict
        old_codes = set(old.rule_codes if old is not None else screening.rule_codes)
        new_codes = set(new.rule_codes)
        transitions[(old_verdict, new.verdict)] += 1
        if new.verdict != old_verdict or old_codes != new_codes:
            affected.append(
                {
                    "screening": screening.pk,
                    "patient": screening.patient_id,
                    "mrn": screening.patient.mrn,
                    "old": old_verdict,
                    "new": new.verdict,
                    "added": sorted(new_codes - old_codes),
                    "removed": sorted(old_codes - new_codes),
                }
            )
        if progress and count % PROGRESS_EVERY == 0:
            progress(count)
    return {
        "transitions": [
            {"old": old, "new": new, "count": n}
            for (old, new), n in sorted(transitions.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "changed_verdicts": sum(n for (old, new), n in transitions.items() if old != new),
        "affected": affected,
        "unscreenable": unscreenable,
    }


@transaction.atomic
def impact_preview_start(*, ruleset: RuleSet, user, limit: int = 500) -> ImpactPreview:
    preview = ImpactPreview.objects.create(
        ruleset=ruleset, ruleset_sha256=ruleset.sha256, requested_by=user, limit=limit
    )
    preview_id = preview.pk
    transaction.on_commit(lambda: impact_preview_task.delay(preview_id))
    return preview


def impact_preview_run(*, preview_id: int) -> ImpactPreview:
    preview = ImpactPreview.objects.select_related("ruleset").get(pk=preview_id)
    if preview.status == ImpactPreview.Status.DONE:
        return preview
    screenings = list(
        Screening.objects.select_related("patient")
        .only("id", "verdict", "rule_codes", "intake", "assessed_on", "patient__id", "patient__mrn")
        .order_by("-created_at", "-pk")[: preview.limit]
    )
    ImpactPreview.objects.filter(pk=preview_id).update(
        status=ImpactPreview.Status.RUNNING, total=len(screenings), processed=0
    )

    def progress(done: int) -> None:
        ImpactPreview.objects.filter(pk=preview_id).update(processed=done)

    active = RuleSet.objects.filter(is_active=True).prefetch_related("rules").first()
    baseline = engine_ruleset(active) if active is not None else None
    result = impact_compute(
        screenings, engine_ruleset(preview.ruleset), current_formulary(), baseline, progress
    )
    result["baseline"] = active.version if active is not None else "stored results"
    ImpactPreview.objects.filter(pk=preview_id).update(
        status=ImpactPreview.Status.DONE, processed=len(screenings), result=result
    )
    log.info("impact preview done preview_id=%s screenings=%s", preview_id, len(screenings))
    preview.refresh_from_db()
    return preview


def impact_preview_fail(*, preview_id: int, error: str) -> None:
    ImpactPreview.objects.filter(pk=preview_id).update(status=ImpactPreview.Status.FAILED, error=error[:300])
