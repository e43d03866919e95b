"""The printable day-of sheet of an infusion (issue 18): what it shows, read once from the record into frozen
rows (`day_sheet`), its fingerprint, its HTML and PDF; and its life as a file a Celery worker renders
(request, render, state, download), as the screening report's PDF does (screening.services).

A sheet can be printed at any stage: before dosing it is the bedside form (blank cells and signature lines
to fill by hand). A sheet shows the record as it stood when it was rendered; its fingerprint is the hash
of everything it shows, so once anything on it would read differently (an answer, a reading, a signature,
the decision itself) the file is outdated: it is never served as current, and a request renders a new one.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from core.audit import audit_record
from core.files import StorageUnavailable, StoredFileAltered, StoredFileMissing, file_present, read_stored_row
from rules.selectors import engine_ruleset
from screening.currency import screening_currency
from screening.engine.evaluate import dose_range
from screening.engine.facts import age_in_years
from screening.pdf import html_to_pdf
from screening.presentation import verdict_display
from screening.review import display_name
from screening.selectors import review_state

from .checks import day_of_items, infusion_decision
from .decision import status_text
from .models import Infusion, InfusionSheetPdf
from .tasks import render_day_sheet_task

log = logging.getLogger(__name__)

RASS_TEXT = {
    4: "combative",
    3: "very agitated",
    2: "agitated",
    1: "restless",
    0: "alert and calm",
    -1: "drowsy",
    -2: "light sedation",
    -3: "moderate sedation",
    -4: "deep sedation",
    -5: "unarousable",
}
ALTERED = "the file does not match its checksum; print it again"
STUCK = (InfusionSheetPdf.Status.QUEUED, InfusionSheetPdf.Status.RENDERING)


class SheetRefused(ValueError):
    """No sheet can be downloaded now (the message says why and what to do)."""


# ------------------------------------------------------------------------------------------ what it shows


@dataclass(frozen=True)
class ChecklistRow:
    text: str
    answer: str  # "yes" | "no" | "" (not answered: boxes to tick by hand)


@dataclass(frozen=True)
class VitalRow:
    label: str
    systolic: int | None
    diastolic: int | None
    heart_rate: int | None
    time: str  # "09:05", or "" (not recorded)


@dataclass(frozen=True)
class SignatureRow:
    role: str
    name: str  # "" : not signed in the system, a line to sign by hand
    at: str


@dataclass(frozen=True)
class DaySheet:
    infusion_id: int
    infusion_on: str
    stage: str
    patient_name: str
    mrn: str
    date_of_birth: str
    age: int
    sex_at_birth: str
    screening_id: int
    screening_on: str
    screening_verdict: str
    screening_decision: str
    screening_signed: str  # "doc1, 2026-11-20 10:02" or ""
    screening_current: bool
    ruleset_version: str
    weight_kg: str
    dose_range: str
    authorized_dose: str
    go_reason: str
    checklist: tuple[ChecklistRow, ...]
    vitals: tuple[VitalRow, ...]
    mean_before: str
    dose_given: str
    started_at: str
    rass: str
    dissociation: str
    adverse_events: str
    decision_basis: str
    decision_status: str
    decision_text: str
    reasons: tuple[str, ...]
    outcome: str
    hold_reason: str
    discharged_at: str
    escort_name: str
    signatures: tuple[SignatureRow, ...]


def _clock(moment: datetime | None) -> str:
    return f"{timezone.localtime(moment):%H:%M}" if moment else ""


def _stamp(moment: datetime | None) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}" if moment else ""


def _mg(value) -> str:
    return f"{float(value):g} mg" if value is not None else ""


def _name(user) -> str:
    return display_name(user) if user is not None else ""


def _vitals(infusion: Infusion) -> tuple[VitalRow, ...]:
    at40 = infusion.started_at + timedelta(minutes=40) if infusion.started_at else None
    rows = (
        ("Before dosing", "pre", infusion.checked_at),
        ("Before dosing, second reading", "pre2", infusion.checked_at),
        ("About 40 minutes", "at40", at40),
        ("At discharge", "discharge", infusion.discharged_at),
    )
    vitals = []
    for label, prefix, moment in rows:
        systolic, diastolic, heart_rate = infusion.readings(prefix)
        recorded = systolic is not None
        time = ("~" if prefix == "at40" else "") + _clock(moment) if recorded and moment else ""
        vitals.append(VitalRow(label, systolic, diastolic, heart_rate, time))
    return tuple(vitals)


def _decision(infusion: Infusion) -> tuple[str, str, tuple[str, ...], str]:
    """(basis, status, reasons in words, mean before dosing): the decision as the physician authorized it or
    as the record was signed with (stored), else as it stands now (infusions.checks)."""
    stored = infusion.decision or {}
    if stored.get("status"):
        basis = "As the physician authorized it" if infusion.authorized_at else "As signed"
        reasons = (
            *stored.get("holds", []),
            *(f"Missing: {m}" for m in stored.get("missing", [])),
            *stored.get("needs_physician", []),
        )
        return basis, stored["status"], tuple(reasons), stored.get("mean_bp") or ""
    decision = infusion_decision(infusion)
    mean = decision.as_dict()["mean_bp"] or ""
    return f"Now ({timezone.localdate():%Y-%m-%d})", decision.status, decision.reasons, mean


def day_sheet(infusion: Infusion) -> DaySheet:
    """Everything the sheet shows, read from the record as it stands."""
    patient, screening = infusion.patient, infusion.screening
    ruleset = engine_ruleset(screening.ruleset)
    state = review_state(screening)
    signoff = state.signoff
    dose = dose_range(float(infusion.weight_kg), ruleset.protocol) if infusion.weight_kg is not None else None
    answers = infusion.checklist or {}
    basis, status, reasons, mean = _decision(infusion)
    # whether the screening cleared the patient on the day of a signed record; of one still open, today
    on = infusion.infusion_on if infusion.signed_at else timezone.localdate()
    dissociation = ""
    if infusion.dissociation is not None:
        dissociation = f"{infusion.dissociation} ({infusion.get_dissociation_scale_display()})"
    return DaySheet(
        infusion_id=infusion.pk,
        infusion_on=f"{infusion.infusion_on:%Y-%m-%d}",
        stage=infusion.stage,
        patient_name=patient.full_name,
        mrn=patient.mrn,
        date_of_birth=f"{patient.date_of_birth:%Y-%m-%d}",
        age=age_in_years(patient.date_of_birth, infusion.infusion_on),
        sex_at_birth=patient.get_sex_at_birth_display(),
        screening_id=screening.pk,
        screening_on=f"{screening.assessed_on:%Y-%m-%d}",
        screening_verdict=verdict_display(state.effective)["label"],
        screening_decision=state.decision_text,
        screening_signed=f"{signoff.signer_name}, {_stamp(signoff.signed_at)}" if signoff else "",
        screening_current=screening_currency(screening, on).current,
        ruleset_version=screening.ruleset_version,
        weight_kg=f"{float(infusion.weight_kg):g} kg" if infusion.weight_kg is not None else "",
        dose_range=(
            f"{dose.low_mg:g}–{dose.high_mg:g} mg ({ruleset.protocol.dose_mg_per_kg_low:g}–"
            f"{ruleset.protocol.dose_mg_per_kg_high:g} mg/kg), IV over {dose.minutes[0]}–{dose.minutes[1]} min"
            if dose
            else ""
        ),
        authorized_dose=_mg(infusion.authorized_dose_mg),
        go_reason=infusion.go_reason,
        checklist=tuple(
            ChecklistRow(item.text, answers.get(item.key, ""))
            for item in day_of_items(screening, ruleset, infusion.infusion_on)
        ),
        vitals=_vitals(infusion),
        mean_before=mean,
        dose_given=_mg(infusion.dose_given_mg),
        started_at=_clock(infusion.started_at),
        rass=f"{infusion.rass:+d} ({RASS_TEXT[infusion.rass]})" if infusion.rass is not None else "",
        dissociation=dissociation,
        adverse_events=infusion.adverse_events,
        decision_basis=basis,
        decision_status=status,
        decision_text=status_text(status, authorized=infusion.authorized_at is not None),
        reasons=reasons,
        outcome=infusion.get_outcome_display() if infusion.outcome else "",
        hold_reason=infusion.hold_reason,
        discharged_at=_clock(infusion.discharged_at),
        escort_name=infusion.escort_name,
        signatures=(
            SignatureRow("Checked by (clinician)", _name(infusion.checked_by), _stamp(infusion.checked_at)),
            SignatureRow(
                "Authorized by (physician)",
                _name(infusion.authorized_by),
                _stamp(infusion.authorized_at),
            ),
            SignatureRow("Record signed by", infusion.signer_name, _stamp(infusion.signed_at)),
        ),
    )


def sheet_fingerprint(sheet: DaySheet) -> str:
    text = json.dumps(asdict(sheet), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _infusion(infusion_id: int) -> Infusion:
    return Infusion.objects.select_related(
        "patient", "screening__ruleset", "checked_by", "authorized_by"
    ).get(pk=infusion_id)


def current_fingerprint(infusion_id: int) -> str:
    return sheet_fingerprint(day_sheet(_infusion(infusion_id)))


def sheet_html(sheet: DaySheet, *, printed_at: datetime) -> str:
    return render_to_string("infusions/sheet_pdf.html", {"sheet": sheet, "printed_at": _stamp(printed_at)})


def sheet_pdf_bytes(sheet: DaySheet, *, printed_at: datetime) -> bytes:
    return html_to_pdf(sheet_html(sheet, printed_at=printed_at))


# ------------------------------------------------------------------------------------ the file, by a worker


def _latest(infusion_id: int) -> InfusionSheetPdf | None:
    return InfusionSheetPdf.objects.filter(infusion_id=infusion_id).order_by("-pk").first()


def _is_stale(row: InfusionSheetPdf) -> bool:
    """Queued or rendering for longer than a render may last: its worker died or its message was lost."""
    return (
        row.status in STUCK and (timezone.now() - row.updated_at).total_seconds() > settings.PDF_STUCK_SECONDS
    )


def _file_exists(row: InfusionSheetPdf) -> bool:
    return file_present(row.file)


def sheet_state(infusion_id: int) -> tuple[InfusionSheetPdf | None, str]:
    """The infusion's latest sheet (if any) and its status as users see it: none, queued, rendering, ready,
    failed, stalled (queued or rendering past PDF_STUCK_SECONDS: its worker died; a request queues it again)
    or outdated (the record changed after it was rendered)."""
    row = _latest(infusion_id)
    if row is None:
        return None, "none"
    if _is_stale(row):
        return row, "stalled"
    if row.status == InfusionSheetPdf.Status.READY and row.fingerprint != current_fingerprint(infusion_id):
        return row, "outdated"
    return row, row.status


@transaction.atomic
def sheet_request(*, infusion: Infusion, user) -> InfusionSheetPdf:
    """Queue the sheet: a new one when there is none or the record changed since the last; the same one
    again after a failure, a stuck render or a lost file. The task is sent after commit with the sheet's id
    only. Every request is in the audit trail."""
    audit_record(action="export", user=user, obj=infusion, detail="day-of sheet requested")
    Infusion.objects.select_for_update().only("pk").get(pk=infusion.pk)  # one request at a time
    row = _latest(infusion.pk)
    ready = row is not None and row.status == InfusionSheetPdf.Status.READY
    if row is None or (ready and _file_exists(row) and row.fingerprint != current_fingerprint(infusion.pk)):
        row = InfusionSheetPdf.objects.create(infusion=infusion, requested_by=user)
    elif row.status == InfusionSheetPdf.Status.FAILED or _is_stale(row) or (ready and not _file_exists(row)):
        row.status, row.error, row.attempts, row.requested_by = InfusionSheetPdf.Status.QUEUED, "", 0, user
        row.save(update_fields=["status", "error", "attempts", "requested_by", "updated_at"])
    else:
        return row  # queued, rendering, or ready and current: nothing to do
    sheet_id = row.pk
    transaction.on_commit(lambda: render_day_sheet_task.delay(sheet_id))
    return row


def sheet_render(*, sheet_id: int) -> InfusionSheetPdf:
    """Render and store the sheet of the record as it stands. Idempotent: a ready sheet whose file exists
    is left alone (an outdated one too: it stays what was printed; a request makes a new one); a failed one
    waits for a request (this is a late duplicate of its message)."""
    with transaction.atomic():
        row = InfusionSheetPdf.objects.select_for_update().get(pk=sheet_id)
        if row.status == InfusionSheetPdf.Status.FAILED or (
            row.status == InfusionSheetPdf.Status.READY and _file_exists(row)
        ):
            return row
        row.status = InfusionSheetPdf.Status.RENDERING
        row.attempts += 1
        row.save(update_fields=["status", "attempts", "updated_at"])
        sheet = day_sheet(_infusion(row.infusion_id))
    content = sheet_pdf_bytes(sheet, printed_at=timezone.now())
    with transaction.atomic():
        row = InfusionSheetPdf.objects.select_for_update().get(pk=sheet_id)
        row.file.save(f"infusion-{row.infusion_id}-sheet-{row.pk}.pdf", ContentFile(content), save=False)
        row.sha256 = hashlib.sha256(content).hexdigest()
        row.fingerprint = sheet_fingerprint(sheet)
        row.status, row.error = InfusionSheetPdf.Status.READY, ""
        row.save(update_fields=["file", "sha256", "fingerprint", "status", "error", "updated_at"])
    log.info("day-of sheet ready sheet_id=%s bytes=%s", row.pk, len(content))
    return row


def sheet_mark_failed(*, sheet_id: int, error: str) -> None:
    InfusionSheetPdf.objects.filter(pk=sheet_id).exclude(status=InfusionSheetPdf.Status.READY).update(
        status=InfusionSheetPdf.Status.FAILED, error=error[:300], updated_at=timezone.now()
    )
    log.warning("day-of sheet failed sheet_id=%s error=%s", sheet_id, error[:300])


def sheet_for_download(infusion_id: int) -> tuple[InfusionSheetPdf, bytes, str]:
    """The ready, current sheet of an infusion, its bytes (checked against the sha256 recorded when it was
    rendered) and its download name (ids and dates only, no PHI). Raises SheetRefused when there is none:
    not requested, still rendering, failed, outdated, its file is gone or altered (then it is marked failed),
    or the store cannot be reached."""
    row, status = sheet_state(infusion_id)
    if row is None or status != "ready":
        why = "the record changed since it was printed" if status == "outdated" else f"status: {status}"
        raise SheetRefused(f"The day-of sheet is not ready ({why}): print it, then wait for it.")
    try:
        content = read_stored_row(row, ALTERED)
    except StoredFileMissing:
        raise SheetRefused("The day-of sheet's file is missing: print it again.") from None
    except StoredFileAltered:  # marked failed
        log.warning("day-of sheet altered sheet_id=%s", row.pk)
        raise SheetRefused("The day-of sheet's file does not match its checksum: print it again.") from None
    except StorageUnavailable:
        raise SheetRefused("The file store cannot be reached just now: try again in a moment.") from None
    infusion = row.infusion
    return row, content, f"infusion-{infusion.pk}-{infusion.infusion_on:%Y%m%d}-sheet.pdf"
