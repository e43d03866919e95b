"""Impact preview: re-evaluate the stored intake snapshots of a scope of screenings under a draft rule set.

What a rules admin reads back says what a change does, never who it touches: counts of verdict transitions
and of rules newly firing or no longer firing, each with the ids of the screenings behind it (a link to a
screening page is only followed by someone whose role may read it). No patient id, MRN, name, date of
birth, age or answer is kept in the result, and a preview over fewer than RULES_IMPACT_MIN_SCREENINGS
screenings is refused as a whole: a small cohort would let a count point at a person.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from functools import cache
from typing import Any, NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from formulary.lookup import Formulary
from formulary.selectors import current_formulary
from rules.models import RuleSet
from rules.selectors import engine_ruleset

from .engine import Comparison, Facts
from .engine import RuleSet as EngineRuleSet
from .intake import IntakeInvalid, Problem, facts_from_intake, validate_intake
from .models import ImpactPreview, Screening
from .tasks import impact_preview_task

log = logging.getLogger(__name__)
# The page polls the progress every 2 seconds, and a preview of 5,000 takes about one: a write per 25
# screenings cost more than the rest of the run (issue 16).
PROGRESS_EVERY = 500
# Screenings read from the database per round trip, so that a preview never holds its whole scope in memory.
CHUNK_SIZE = 1000
# How many screenings a preview may cover (the most recent ones, within the date range if one is given).
LIMIT_MIN, LIMIT_MAX, LIMIT_DEFAULT = 1, 5000, 500
# At most this many screening ids are listed per row; the rest is counted in `more`.
IDS_PER_ROW = 200


class StoredScreening(NamedTuple):
    """The columns of a screening that a preview reads (no patient, no report)."""

    pk: int
    assessed_on: date
    verdict: str
    rule_codes: list[str]
    intake: dict[str, Any]
    intake_sha256: str


STORED_COLUMNS = StoredScreening._fields


def _ids(ids: list[int]) -> tuple[list[int], int]:
    ordered = sorted(ids)
    return ordered[:IDS_PER_ROW], max(0, len(ordered) - IDS_PER_ROW)


def stored_facts(screening, resolve, ambiguous) -> Facts:
    """The engine facts of a stored intake snapshot, validated again by today's validator (fail closed: a
    snapshot stored under looser rules than today's is unscreenable, never read with its unknown values as
    "no"). A snapshot that cannot be read raises IntakeInvalid."""
    intake = validate_intake(screening.intake)
    try:
        return facts_from_intake(intake, resolve, ambiguous)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise IntakeInvalid([Problem("document", "is not a readable ketamine-intake/1 snapshot")]) from exc


def impact_compute(
    screenings: Iterable[Screening | StoredScreening],
    ruleset: EngineRuleSet,
    formulary: Formulary,
    baseline: EngineRuleSet | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Each stored intake snapshot evaluated under `baseline` (the active set; without one, the stored
    result) and under the draft, on its own assessment date and with today's formulary, so that the
    transitions show what the draft changes and nothing else. The result holds counts and screening ids
    only: no patient id, MRN, name, date of birth, age, answer or problem message (which can quote one).

    Both sets are compiled before (engine_ruleset) and compared in one pass per screening (the predicates
    they share run once); each medication name is resolved once per run."""
    comparison = Comparison(ruleset) if baseline is None else Comparison(ruleset, baseline)
    resolve, ambiguous = cache(formulary.resolve), cache(formulary.is_ambiguous)
    transitions: defaultdict[tuple[str, str], list[int]] = defaultdict(list)
    newly: defaultdict[str, list[int]] = defaultdict(list)
    no_longer: defaultdict[str, list[int]] = defaultdict(list)
    unscreenable: list[int] = []
    evaluated = 0
    for count, screening in enumerate(screenings, start=1):
        try:
            facts = stored_facts(screening, resolve, ambiguous)
        except IntakeInvalid:
            unscreenable.append(screening.pk)
        else:
            evaluated += 1
            new, *old = comparison.outcomes(facts, screening.assessed_on)
            old_verdict, old_codes = (
                (old[0].verdict, old[0].rule_codes)
                if old
                else (screening.verdict, frozenset(screening.rule_codes))
            )
            transitions[(old_verdict, new.verdict)].append(screening.pk)
            for code in new.rule_codes - old_codes:
                newly[code].append(screening.pk)
            for code in old_codes - new.rule_codes:
                no_longer[code].append(screening.pk)
        if progress and count % PROGRESS_EVERY == 0:
            progress(count)

    def transition_row(old: str, new: str, ids: list[int]) -> dict[str, Any]:
        shown, more = _ids(ids)
        return {"old": old, "new": new, "count": len(ids), "screenings": shown, "more": more}

    def rule_row(code: str) -> dict[str, Any]:
        newly_shown, newly_more = _ids(newly[code])
        no_longer_shown, no_longer_more = _ids(no_longer[code])
        return {
            "code": code,
            "newly_firing": len(newly[code]),
            "no_longer_firing": len(no_longer[code]),
            "screenings_newly": newly_shown,
            "more_newly": newly_more,
            "screenings_no_longer": no_longer_shown,
            "more_no_longer": no_longer_more,
        }

    unscreenable_shown, unscreenable_more = _ids(unscreenable)
    return {
        "evaluated": evaluated,
        "transitions": [
            transition_row(old, new, ids)
            for (old, new), ids in sorted(transitions.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        ],
        "changed_verdicts": sum(len(ids) for (old, new), ids in transitions.items() if old != new),
        "rules": [rule_row(code) for code in sorted(set(newly) | set(no_longer))],
        "unscreenable": {
            "count": len(unscreenable),
            "screenings": unscreenable_shown,
            "more": unscreenable_more,
        },
    }


def impact_minimum() -> int:
    return settings.RULES_IMPACT_MIN_SCREENINGS


def too_few(count: int) -> dict[str, int]:
    """The whole result of a preview over too few screenings to be shown without identifying someone."""
    return {"too_few": count, "minimum": impact_minimum()}


@transaction.atomic
def impact_preview_start(
    *,
    ruleset: RuleSet,
    user,
    limit: int = LIMIT_DEFAULT,
    date_from: date | None = None,
    date_to: date | None = None,
) -> ImpactPreview:
    """Queue a preview of the `limit` most recent screenings, of those assessed from `date_from` to `date_to`
    (both inclusive, either open) when given. The scope is validated by screening.impact_forms first."""
    if not LIMIT_MIN <= limit <= LIMIT_MAX:
        raise ValueError(f"limit {limit} is outside {LIMIT_MIN} to {LIMIT_MAX}")
    if date_from is not None and date_to is not None and date_from > date_to:
        raise ValueError("date_from is after date_to")
    preview = ImpactPreview.objects.create(
        ruleset=ruleset,
        ruleset_sha256=ruleset.sha256,
        requested_by=user,
        limit=limit,
        date_from=date_from,
        date_to=date_to,
    )
    preview_id = preview.pk
    transaction.on_commit(lambda: impact_preview_task.delay(preview_id))
    return preview


def _scope(preview: ImpactPreview) -> QuerySet:
    """The preview's screenings, most recent first, as StoredScreening columns."""
    screenings = Screening.objects.all()
    if preview.date_from is not None:
        screenings = screenings.filter(assessed_on__gte=preview.date_from)
    if preview.date_to is not None:
        screenings = screenings.filter(assessed_on__lte=preview.date_to)
    return screenings.order_by("-created_at", "-pk").values_list(*STORED_COLUMNS)[: preview.limit]


def _stored(scope: QuerySet) -> Iterator[StoredScreening]:
    """The scope streamed CHUNK_SIZE rows at a time (a server-side cursor on PostgreSQL)."""
    for row in scope.iterator(chunk_size=CHUNK_SIZE):
        yield StoredScreening(*row)


def impact_preview_run(*, preview_id: int) -> ImpactPreview:
    preview = ImpactPreview.objects.select_related("ruleset").get(pk=preview_id)
    if preview.status == ImpactPreview.Status.DONE:
        return preview
    scope = _scope(preview)
    total = scope.count()
    ImpactPreview.objects.filter(pk=preview_id).update(
        status=ImpactPreview.Status.RUNNING, total=total, processed=0
    )

    def progress(done: int) -> None:
        ImpactPreview.objects.filter(pk=preview_id).update(processed=done)

    if total < impact_minimum():  # not worth computing: it could not be shown
        result = too_few(total)
    else:
        active = RuleSet.objects.filter(is_active=True).first()  # its rules are read only to compile it
        baseline = engine_ruleset(active) if active is not None else None
        result = impact_compute(
            _stored(scope), engine_ruleset(preview.ruleset), current_formulary(), baseline, progress
        )
        # what was read: a screening stored while the preview ran may have moved the most recent `limit`
        total = result["evaluated"] + result["unscreenable"]["count"]
        if result["evaluated"] < impact_minimum():  # the unscreenable ones left too few
            result = too_few(result["evaluated"])
        else:
            result["baseline"] = active.version if active is not None else "stored results"
    ImpactPreview.objects.filter(pk=preview_id).update(
        status=ImpactPreview.Status.DONE, total=total, processed=total, result=result
    )
    log.info("impact preview done preview_id=%s screenings=%s", preview_id, total)
    preview.refresh_from_db()
    return preview


def impact_preview_fail(*, preview_id: int, error: str) -> None:
    ImpactPreview.objects.filter(pk=preview_id).update(status=ImpactPreview.Status.FAILED, error=error[:300])


def impact_result_shown(preview: ImpactPreview) -> dict[str, Any]:
    """The result as it may be shown today: a stored result over fewer screenings than the minimum now in
    force (computed under a lower one, or before there was one) is withheld like a new one would be."""
    result = preview.result or {}
    if preview.status != ImpactPreview.Status.DONE or "too_few" in result:
        return result
    evaluated = result.get("evaluated", preview.total)
    return too_few(evaluated) if evaluated < impact_minimum() else result


def impact_preview_summary(preview: ImpactPreview | None, ruleset: RuleSet) -> dict[str, Any] | None:
    """What the page and the API show of a preview: its scope, progress, staleness and shown result."""
    if preview is None:
        return None
    return {
        "id": preview.pk,
        "status": preview.status,
        "scope": preview.scope,
        "total": preview.total,
        "processed": preview.processed,
        "stale": preview.ruleset_sha256 != ruleset.sha256,
        "result": impact_result_shown(preview),
    }


def impact_preview_latest(ruleset: RuleSet) -> ImpactPreview | None:
    return ImpactPreview.objects.filter(ruleset=ruleset).first()
