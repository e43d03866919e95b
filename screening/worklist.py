"""What waits for whom (the home page), and each patient's latest screening (the patient list).

Physicians: screenings awaiting a decision, and co-signatures awaiting them. Clinicians: patients never
screened, screenings no longer current, screenings that need information (with what is missing). Report
staff: signed reports without a current PDF. Each list reads a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Exists, OuterRef
from django.utils import timezone

from core.audit import audit_record
from core.nested_read import NestedRead
from core.roles import EDIT_RECORDS, READ_REPORTS, has_any_role, is_physician
from patients.models import Patient

from .models import FindingOverride, ReportPdf, Screening
from .presentation import verdict_display
from .selectors import latest_screenings_child, review_states, without_documents
from .services import pdf_outdated

# The worklist looks at screenings made in this many days: older ones are out of date anyway (the default
# validity is 30 days), and a patient not seen for longer is not waiting for anyone.
RECENT_DAYS = 60
SHOWN = 25  # rows per list; the heading gives the full count
# At most this many recent screenings are weighed for currency per list (newest first), so the home page
# stays fast in a large clinic.
SCANNED = 300


# "Never screened" counts at most this many (a count of every unscreened patient scans the patients table)
COUNT_CAP = 1000


@dataclass
class Worklist:
    title: str
    empty: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0
    capped: bool = False  # there are more than `total`

    @property
    def total_text(self) -> str:
        return f"more than {self.total:,}" if self.capped else f"{self.total:,}"


def _recent_latest():
    """Each patient's latest screening, among the screenings of the last RECENT_DAYS. Driven by the recent
    screenings (the created_at index, newest first) and a NOT EXISTS on the (patient, created_at) index, so
    the cost follows the recent screenings read, not the number of patients."""
    cutoff = timezone.now() - timedelta(days=RECENT_DAYS)
    same_patient = Screening.objects.filter(patient=OuterRef("patient_id"))
    # two NOT EXISTS rather than one with an OR: each is a bounded probe of the (patient, created_at) index
    later = same_patient.filter(created_at__gt=OuterRef("created_at"))
    tied = same_patient.filter(created_at=OuterRef("created_at"), pk__gt=OuterRef("pk"))
    # up to SCANNED screenings, read without their documents (selectors.without_documents): the intakes
    # are read for the rows shown only (_with_intakes), the reports for those with overrides (review_states)
    # and for the "needs information" rows shown (clinician_worklists)
    return without_documents(
        Screening.objects.filter(created_at__gte=cutoff).filter(~Exists(later), ~Exists(tied))
    ).select_related("patient")  # rule sets: review_states reads only those the process lacks


def _with_intakes(lists: list[Worklist]) -> None:
    """The intake documents of the screenings shown and not current, read in one query: what changed in
    the record is told from them (screening.currency), and no other row needs its document."""
    wanted = {
        row["screening"].pk: row["screening"]
        for worklist in lists
        for row in worklist.rows
        if "state" in row
        and not row["state"].currency.current
        and "intake" in row["screening"].get_deferred_fields()
    }
    for pk, intake in (
        Screening.objects.filter(pk__in=list(wanted)).values_list("pk", "intake") if wanted else ()
    ):
        wanted[pk].intake = intake


def _row(state, **extra) -> dict[str, Any]:
    screening = state.screening
    return {
        "screening": screening,
        "patient": screening.patient,
        "state": state,
        "verdict": verdict_display(state.effective),
        **extra,
    }


def physician_worklists(user) -> list[Worklist]:
    screenings = list(_recent_latest().filter(signoff__isnull=True).order_by("-created_at", "-pk")[:SCANNED])
    states = review_states(screenings, suggestions=False)
    awaiting = Worklist("Awaiting your decision", "No screening awaits a decision.")
    for screening in screenings:
        awaiting.rows.append(_row(states[screening.pk]))
    awaiting.total = len(awaiting.rows)
    awaiting.rows = awaiting.rows[:SHOWN]
    pending = (
        FindingOverride.objects.filter(
            policy="cosign", cosignature__isnull=True, screening__signoff__isnull=True
        )
        .exclude(overridden_by=user)
        .select_related("screening__patient")
        .order_by("created_at")
    )
    cosign = Worklist("Co-signatures awaiting you", "No override awaits your co-signature.")
    cosign.total = pending.count()
    cosign.rows = [
        {"override": o, "screening": o.screening, "patient": o.screening.patient} for o in pending[:SHOWN]
    ]
    return [cosign, awaiting]


def clinician_worklists() -> list[Worklist]:
    never = Patient.objects.filter(~Exists(Screening.objects.filter(patient=OuterRef("pk")))).order_by(
        "-created_at"
    )
    unscreened = Worklist("Never screened", "Every patient has been screened.")
    counted = never.order_by()[: COUNT_CAP + 1].count()
    unscreened.total, unscreened.capped = min(counted, COUNT_CAP), counted > COUNT_CAP
    unscreened.rows = [{"patient": p} for p in never[:SHOWN]]
    screenings = list(_recent_latest().order_by("-created_at", "-pk")[:SCANNED])
    states = review_states(screenings, suggestions=False)
    stale = Worklist("Screenings no longer current", "Every recent screening is current.")
    missing = Worklist("Screenings that need information", "No recent screening needs information.")
    for screening in screenings:
        state = states[screening.pk]
        if not state.currency.current:
            stale.rows.append(_row(state))
        elif state.effective == "needs_information":
            missing.rows.append(_row(state))
    for worklist in (stale, missing):
        worklist.total = len(worklist.rows)
        worklist.rows = worklist.rows[:SHOWN]
    # what each shown "needs information" row misses, from its report (one query for the rows shown)
    Screening.load_documents([row["screening"] for row in missing.rows], "report")
    for row in missing.rows:
        row["missing"] = [
            f["title"] for f in row["screening"].report["findings"] if f["severity"] == "missing"
        ]
    return [stale, missing, unscreened]


def report_staff_worklists() -> list[Worklist]:
    cutoff = timezone.now() - timedelta(days=RECENT_DAYS)
    signed = list(
        Screening.objects.filter(signoff__isnull=False, created_at__gte=cutoff)
        .select_related("patient", "pdf")
        .defer("intake")
        .order_by("-created_at", "-pk")[:SCANNED]
    )
    states = review_states(signed)  # pdf_outdated's fingerprint names the suggestions
    without = Worklist("Signed reports without a current PDF", "Every signed report has a current PDF.")
    for screening in signed:
        pdf = getattr(screening, "pdf", None)
        state = states[screening.pk]
        if pdf is None or pdf.status != ReportPdf.Status.READY or pdf_outdated(pdf, state):
            without.rows.append(_row(state, pdf=pdf))
    without.total = len(without.rows)
    without.rows = without.rows[:SHOWN]
    return [without]


def worklists_for(user) -> list[Worklist]:
    lists: list[Worklist] = []
    if is_physician(user):
        lists += physician_worklists(user)
    if has_any_role(user, EDIT_RECORDS):
        lists += clinician_worklists()
    if has_any_role(user, READ_REPORTS) and not has_any_role(user, EDIT_RECORDS):
        lists += report_staff_worklists()
    _with_intakes(lists)
    shown = sum(len(w.rows) for w in lists)
    if shown:  # the rows name patients: a read of PHI, in the audit trail like any list
        audit_record(action="view", user=user, object_type="worklist", detail=f"home, {shown} rows")
    return lists


# the listed patients' latest screenings, each with its sign-off and whether it has overrides, and each
# patient's record version now, in one query whose SQL is written once (core.nested_read)
LATEST_ON_LIST = latest_screenings_child(1)
LISTED_LATEST = NestedRead(Patient, fields=("record_version",), children=(LATEST_ON_LIST,))


def latest_screenings(patients) -> dict[int, dict[str, Any]]:
    """Each listed patient's latest screening with its effective verdict, decision and currency, in one
    query (the listed patients are not read again).

    When the listed rows carry their record version (patients.selectors.LIST_COLUMNS), each row's version
    is the one read with the row the list shows: a version equal to its screening's says the record is the
    one screened as the list shows it; any other is checked against the record read afterwards
    (screening.currency). Rows without it take the version read with their latest screening."""
    by_id = {p.pk: p for p in patients}
    if all(getattr(p, "nested_parts", {}).get("screenings") == LATEST_ON_LIST for p in by_id.values()):
        read = by_id  # read with the rows (the list's first page: patients.selectors.LIST_FIRST_PAGE)
    else:
        read = LISTED_LATEST.by_ids(by_id)
    screenings = [r.nested["screenings"][0] for r in read.values() if r.nested["screenings"]]
    versions = {
        pk: read[pk].record_version if "record_version" in row.get_deferred_fields() else row.record_version
        for pk, row in by_id.items()
        if pk in read
    }
    latest = dict.fromkeys(by_id) | {s.patient_id: s.pk for s in screenings}
    for screening in screenings:
        screening.patient = by_id[screening.patient_id]
    states = review_states(screenings, suggestions=False, latest=latest, versions=versions)
    return {s.patient_id: _row(states[s.pk]) for s in screenings}
