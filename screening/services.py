"""Screening workflows that touch the database: load what the engine needs, run it."""

from __future__ import annotations

import hashlib
import logging
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from core.audit import audit_record
from core.files import StorageUnavailable, StoredFileAltered, StoredFileMissing, file_present, read_stored_row
from formulary.lookup import Formulary
from formulary.selectors import current_formulary
from patients.selectors import patient_facts, patient_record
from rules.selectors import active_ruleset, verified_engine_ruleset

from . import pdf as pdf_document  # a module reference: tests replace its renderer
from .engine import Report, evaluate, report_to_dict
from .engine import RuleSet as EngineRuleSet
from .intake import IntakeInvalid, facts_from_intake, intake_sha256, validate_intake
from .models import ReportPdf, Screening
from .record_reader import record_reader
from .review import ScreeningRefused
from .selectors import review_state
from .tasks import render_report_pdf_task


def intake_evaluate(
    *,
    intake: dict[str, Any],
    ruleset: EngineRuleSet | None = None,
    formulary: Formulary | None = None,
    as_of: date | None = None,
) -> Report:
    """Validate an intake document and evaluate it (against the active rule set unless one is given).

    Raises IntakeInvalid with every problem by path; stores nothing.
    """
    valid = validate_intake(intake)
    ruleset = ruleset or verified_engine_ruleset(active_ruleset())
    formulary = formulary or current_formulary()
    facts = facts_from_intake(valid, formulary.resolve, formulary.is_ambiguous)
    return evaluate(facts, ruleset, as_of or date.fromisoformat(valid["assessed_on"]))


# ------------------------------------------------------------------------------------------- screenings as records

log = logging.getLogger(__name__)


def unscreenable_message(exc: IntakeInvalid) -> str:
    """What the page and the API say when the stored record cannot be screened."""
    return "The record cannot be screened until these are corrected: " + "; ".join(exc.errors)


@transaction.atomic
def screening_run(*, patient, requested_by, as_of: date | None = None) -> Screening:
    """Evaluate the patient's current record and store the result as a new, immutable Screening.

    Raises IntakeInvalid when the stored record cannot be screened (each problem by path).
    """
    as_of = as_of or timezone.localdate()
    record = patient_record(patient.pk)
    ruleset_row = active_ruleset()
    formulary = current_formulary()
    intake, facts = patient_facts(record, as_of, formulary)
    report = evaluate(facts, verified_engine_ruleset(ruleset_row), as_of)
    document = report_to_dict(report)
    document["formulary"] = {"version": formulary.version, "sha256": formulary.sha256}
    screening = Screening.objects.create(
        patient=record,
        requested_by=requested_by,
        assessed_on=as_of,
        verdict=report.verdict,
        rule_codes=list(report.rule_codes),
        report=document,
        intake=intake,
        ruleset=ruleset_row,
        ruleset_version=report.ruleset_version,
        ruleset_sha256=report.ruleset_sha256,
        engine_version=report.engine_version,
        intake_sha256=intake_sha256(intake),
        record_version=record.record_version,  # read in the same statement as its lists: one snapshot
        record_reader=record_reader(),
        formulary_version=formulary.version,
        formulary_sha256=formulary.sha256,
    )
    log.info(
        "screening stored screening_id=%s patient_id=%s verdict=%s", screening.pk, record.pk, report.verdict
    )
    return screening


# ------------------------------------------------------------------------------------------- PDF export

STUCK_STATUSES = (ReportPdf.Status.QUEUED, ReportPdf.Status.RENDERING)
REQUEUED_NOTE = "re-queued automatically after an interrupted render"
PDF_ALTERED = "the file does not match its checksum; export it again"


def pdf_is_stale(pdf: ReportPdf) -> bool:
    """Queued or rendering for longer than a render may last (settings.PDF_STUCK_SECONDS, past the task's
    time limit): its worker died or its message was lost. pdf_sweep re-queues it; nobody needs to retry."""
    return (
        pdf.status in STUCK_STATUSES
        and (timezone.now() - pdf.updated_at).total_seconds() > settings.PDF_STUCK_SECONDS
    )


def fingerprint_of(state) -> str:
    """What a PDF must show beyond the snapshot (a selectors.ReviewState): the sign-off and its decision,
    the overrides and their co-signatures, the suggestions, and whether the screening is still current."""
    if state.suggestions is None:
        raise ValueError("a fingerprint needs the suggestions: read the review state with suggestions=True")
    signed = None if state.signoff is None else (state.signoff.pk, state.signoff.decision)
    overrides = ";".join(f"{o.pk}:{o.cosigned_at}" for o in sorted(state.overrides, key=lambda o: o.pk))
    suggestions = ",".join(str(s.pk) for s in sorted(state.suggestions, key=lambda s: s.pk))
    text = f"signoff={signed};current={state.currency.current};suggestions={suggestions};{overrides}"
    return hashlib.sha256(text.encode()).hexdigest()


def review_fingerprint(screening_id: int) -> str:
    """The fingerprint of a screening as it stands (a PDF made before a change is outdated, and is
    rendered again)."""
    return fingerprint_of(review_state(Screening.objects.select_related("ruleset").get(pk=screening_id)))


def pdf_outdated(pdf: ReportPdf | None, state) -> bool:
    """A ready PDF that no longer shows the screening as it stands (for lists, from their review states)."""
    return (
        pdf is not None and pdf.status == ReportPdf.Status.READY and pdf.review_state != fingerprint_of(state)
    )


def pdf_is_outdated(pdf: ReportPdf) -> bool:
    """A ready PDF made before the screening was signed, overridden or co-signed."""
    return pdf.status == ReportPdf.Status.READY and pdf.review_state != review_fingerprint(pdf.screening_id)


def pdf_state(
    screening_id: int, *, screening: Screening | None = None, state=None
) -> tuple[ReportPdf | None, str]:
    """The screening's PDF row (if any) and its status as users see it: none, queued, rendering, ready,
    failed or outdated (made before a review step). A stuck render stays queued or rendering: pdf_sweep
    re-queues it, so it is not offered for a retry. `screening`: read with its PDF (select_related), so
    the row is not read again; `state`: its review state (selectors.review_states, with suggestions), so
    the fingerprint is not read again."""
    if screening is not None and Screening.pdf.is_cached(screening):
        pdf = getattr(screening, "pdf", None)
    else:
        pdf = ReportPdf.objects.select_related("screening").filter(screening_id=screening_id).first()
    if pdf is None:
        return None, "none"
    if pdf_outdated(pdf, state) if state is not None else pdf_is_outdated(pdf):
        return pdf, "outdated"
    return pdf, pdf.status


class PdfStoreUnavailable(ScreeningRefused):
    """The PDF's store could not be read just now: nothing is wrong with the PDF (the API answers 503)."""


def pdf_for_download(screening_id: int) -> tuple[ReportPdf, bytes, str]:
    """The ready, current PDF of a screening, its bytes (checked against the sha256 recorded when it was
    rendered) and its download name (ids and dates only, no PHI).

    Raises ScreeningRefused when there is none: not requested, still rendering, failed, made before the
    latest review step (outdated), its file is gone or altered (then it is marked failed), or the store
    cannot be reached.
    """
    pdf, status = pdf_state(screening_id)
    if pdf is None or status != "ready":
        raise ScreeningRefused(f"The PDF is not ready (status: {status}); export it, then wait for it.")
    try:
        content = read_stored_row(pdf, PDF_ALTERED)
    except StoredFileMissing:
        raise ScreeningRefused("The PDF file is missing; export it again.") from None
    except StoredFileAltered:  # marked failed
        log.warning("pdf altered pdf_id=%s screening_id=%s", pdf.pk, screening_id)
        raise ScreeningRefused("The PDF file does not match its checksum: export it again.") from None
    except StorageUnavailable:
        raise PdfStoreUnavailable(
            "The file store cannot be reached just now; try again in a moment."
        ) from None
    screening = pdf.screening
    return pdf, content, f"screening-{screening.pk}-{screening.created_at:%Y%m%d}.pdf"


@transaction.atomic
def pdf_request(*, screening: Screening, user) -> ReportPdf:
    """Queue the PDF (or a retry after failure). The task is sent after commit, with the id only. Every
    request is in the audit trail (the row keeps only the latest requester)."""
    audit_record(action="export", user=user, obj=screening, detail="PDF requested")
    pdf, created = ReportPdf.objects.select_for_update().get_or_create(
        screening=screening, defaults={"requested_by": user}
    )
    if not created and (pdf.status == ReportPdf.Status.FAILED or pdf_is_stale(pdf) or pdf_is_outdated(pdf)):
        pdf.status = ReportPdf.Status.QUEUED
        pdf.error = ""
        pdf.attempts = 0  # a new request: pdf_sweep counts its renders afresh
        pdf.requested_by = user
        pdf.save(update_fields=["status", "error", "attempts", "requested_by", "updated_at"])
    elif not created:
        return pdf  # queued, rendering or ready: nothing to do
    pdf_id = pdf.pk
    transaction.on_commit(lambda: render_report_pdf_task.delay(pdf_id))
    return pdf


def screening_pdf_bytes(screening: Screening) -> bytes:
    """The consult PDF of a screening as it stands: its snapshot with its review (overrides, decision,
    current or superseded)."""
    return pdf_document.render_screening_pdf(screening, review=review_state(screening))


def pdf_render(*, pdf_id: int) -> ReportPdf:
    """Render and store the PDF. Idempotent: a ready PDF whose file exists is left alone."""
    with transaction.atomic():
        pdf = ReportPdf.objects.select_for_update().select_related("screening").get(pk=pdf_id)
        state = review_fingerprint(pdf.screening_id)
        if pdf.status == ReportPdf.Status.READY and pdf.review_state == state and file_present(pdf.file):
            return pdf
        if pdf.status == ReportPdf.Status.FAILED:
            # only a request (Retry) queues a failed PDF again; this is a late duplicate of its message
            return pdf
        pdf.status = ReportPdf.Status.RENDERING
        pdf.attempts += 1
        pdf.save(update_fields=["status", "attempts", "updated_at"])
    content = screening_pdf_bytes(pdf.screening)
    with transaction.atomic():
        pdf = ReportPdf.objects.select_for_update().get(pk=pdf_id)
        pdf.file.save(f"screening-{pdf.screening_id}.pdf", ContentFile(content), save=False)
        pdf.sha256 = hashlib.sha256(content).hexdigest()
        pdf.review_state = state
        pdf.status = ReportPdf.Status.READY
        pdf.error = ""
        pdf.save(update_fields=["file", "sha256", "review_state", "status", "error", "updated_at"])
    log.info("pdf ready pdf_id=%s screening_id=%s bytes=%s", pdf.pk, pdf.screening_id, len(content))
    return pdf


def pdf_mark_failed(*, pdf_id: int, error: str) -> None:
    ReportPdf.objects.filter(pk=pdf_id).exclude(status=ReportPdf.Status.READY).update(
        status=ReportPdf.Status.FAILED, error=error[:300], updated_at=timezone.now()
    )
    log.warning("pdf failed pdf_id=%s error=%s", pdf_id, error[:300])


def pdf_sweep() -> dict[str, int]:
    """Re-queue the PDFs stuck in queued or rendering past settings.PDF_STUCK_SECONDS (their worker was
    killed, or their message was lost), so that no one has to press Retry; after settings.PDF_MAX_ATTEMPTS
    renders started without finishing, mark one failed (then Retry is offered). Run every minute by celery
    beat (task screening.pdf_sweep) or cron (manage.py pdf_sweep). Idempotent: a re-queued PDF is not stuck
    again until PDF_STUCK_SECONDS have passed, and rendering a ready PDF again does nothing."""
    cutoff = timezone.now() - timedelta(seconds=settings.PDF_STUCK_SECONDS)
    requeued = failed = 0
    with transaction.atomic():
        stuck = ReportPdf.objects.select_for_update(skip_locked=True).filter(
            status__in=STUCK_STATUSES, updated_at__lt=cutoff
        )
        for pdf in stuck.order_by("pk"):
            if pdf.attempts >= settings.PDF_MAX_ATTEMPTS:
                pdf.status = ReportPdf.Status.FAILED
                pdf.error = f"rendering did not finish after {pdf.attempts} attempts; use Retry"
                pdf.save(update_fields=["status", "error", "updated_at"])
                log.warning("pdf failed pdf_id=%s attempts=%s (stuck)", pdf.pk, pdf.attempts)
                failed += 1
                continue
            pdf.status = ReportPdf.Status.QUEUED
            pdf.error = REQUEUED_NOTE  # shown beside the spinner until the render succeeds
            pdf.save(update_fields=["status", "error", "updated_at"])
            log.warning("pdf stuck, re-queued pdf_id=%s attempts=%s", pdf.pk, pdf.attempts)
            transaction.on_commit(lambda pdf_id=pdf.pk: render_report_pdf_task.delay(pdf_id))
            requeued += 1
    return {"requeued": requeued, "failed": failed}
