"""The test bench of a rule set: every rule's cases run against the current formulary, once per content
and formulary. Results are stored (TestBenchRun), so a rule-set page, the publish check and `rules test`
read them until the draft's content or the formulary changes."""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError, IntegrityError, transaction

from formulary.selectors import stamped_formulary
from screening.engine import content_sha256, ruleset_from_data
from screening.engine.testbench import CaseResult, run_cases
from screening.intake import facts_from_intake, validate_intake

from .models import RuleSet, TestBenchRun

logger = logging.getLogger(__name__)


def _stored(results: list[CaseResult]) -> list[dict[str, Any]]:
    return [
        {
            "rule": r.rule,
            "name": r.name,
            "expected_fire": r.expected_fire,
            "fired": r.fired,
            "problem": r.problem,
        }
        for r in results
    ]


def _loaded(rows: list[dict[str, Any]]) -> list[CaseResult]:
    return [CaseResult(**row) for row in rows]


# Results are a pure function of the rule set's content and the formulary's content, so each process also
# keeps the latest runs by those two hashes (a new database with the same defaults reuses them).
_MEMO: dict[tuple[str, str], list[CaseResult]] = {}
_MEMO_MAX = 8


def ruleset_test_results(document: dict[str, Any], only: str | None = None) -> list[CaseResult]:
    """The test bench of a valid rule set document (every rule's cases, or one rule's): read from the
    stored run for this content and formulary, or run now and stored."""
    stamp, formulary = stamped_formulary()
    sha256 = content_sha256(document)
    # the formulary's content hash when it has a version (the same content gives the same results in any
    # database); else the cache stamp of this database's formulary
    key = formulary.sha256 or stamp
    stored = _read(sha256, key) if key else None
    if stored is not None:
        results = _loaded(stored)
    else:
        results = _MEMO.get((sha256, formulary.sha256)) if formulary.sha256 else None
        if results is None:
            results = run_cases(
                document,
                ruleset_from_data(document),
                lambda intake: facts_from_intake(
                    validate_intake(intake), formulary.resolve, formulary.is_ambiguous
                ),
            )
            if formulary.sha256:
                if len(_MEMO) >= _MEMO_MAX:
                    _MEMO.clear()
                _MEMO[(sha256, formulary.sha256)] = results
        if key:
            _store(document.get("version", ""), sha256, key, results)
    return [r for r in results if only is None or r.rule == only]


def _read(sha256: str, stamp: str) -> list[dict[str, Any]] | None:
    try:
        with transaction.atomic():
            runs = TestBenchRun.objects.filter(sha256=sha256, formulary_stamp=stamp)
            return runs.values_list("results", flat=True).first()
    except DatabaseError as exc:
        # the stored runs are a cache: a database that cannot give them (its table not migrated yet, a
        # read-only replica) means the cases run again, never that a rule set goes untested
        logger.warning("test bench: stored runs unreadable (%s), running the cases", type(exc).__name__)
        return None


def _store(version: str, sha256: str, stamp: str, results: list[CaseResult]) -> None:
    """Keep this run; a draft's runs of content it no longer has are dropped (a published set's content
    never changes, and a file tested from the command line may share a label it does not own)."""
    try:
        with transaction.atomic():
            if RuleSet.objects.filter(version=version, status=RuleSet.Status.DRAFT).exists():
                TestBenchRun.objects.filter(version=version).exclude(sha256=sha256).delete()
            TestBenchRun.objects.create(
                sha256=sha256, formulary_stamp=stamp, version=version[:40], results=_stored(results)
            )
    except IntegrityError:
        pass  # another request stored the same run first: the results are the same
    except DatabaseError as exc:
        logger.warning("test bench: run not stored (%s)", type(exc).__name__)
