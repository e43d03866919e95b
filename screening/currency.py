"""Whether a screening is current (criteria.md, "Overrides, sign-off and validity"): the patient's record
still gives the same intake (one hash), the screening is younger than its rule set's `validity_days`,
its blood pressure is still inside the window, and no later screening of the patient supersedes it.
Checked on read; a screening that is not current says why, in words."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from patients.models import Patient
from patients.selectors import intake_document, patient_records

from .compiled import screening_ruleset
from .intake import IntakeInvalid, describe_changes, intake_sha256, validate_intake
from .models import Screening
from .record_reader import record_reader


class Currency:
    """Whether a screening is current and, if not, why. Saying what changed in the record (describe_changes)
    costs more than knowing that it changed, so the reasons are worked out when first read: a list that
    weighs 300 screenings shows the reasons of 25."""

    __slots__ = ("_explain", "_reasons", "current")

    def __init__(self, current: bool, reasons: tuple[str, ...] = (), explain=None):
        self.current = current
        self._reasons = None if explain is not None else tuple(reasons)
        self._explain = explain

    @property
    def reasons(self) -> tuple[str, ...]:
        if self._reasons is None:
            self._reasons = tuple(self._explain())
        return self._reasons

    @property
    def text(self) -> str:
        return "current" if self.current else "not current: " + "; ".join(self.reasons)

    def __eq__(self, other) -> bool:
        return isinstance(other, Currency) and (self.current, self.reasons) == (other.current, other.reasons)

    __hash__ = None

    def __repr__(self) -> str:
        return f"Currency(current={self.current}, reasons={self.reasons!r})"


@dataclass(frozen=True)
class _RecordNow:
    """A patient's record as it would be screened today: validated once, however many screenings of the
    patient are checked against it."""

    intake: dict | None
    sha256: str
    problems: tuple[str, ...]

    @classmethod
    def of(cls, record: Patient, today: date) -> _RecordNow:
        try:
            # validated, as the stored snapshot was: both are hashed in the same form
            now = validate_intake(intake_document(record, today))
        except IntakeInvalid as exc:
            return cls(None, "", tuple(exc.errors))
        return cls(now, intake_sha256(now), ())


class _RecordsNow:
    """The records as they would be screened today, of the patients whose record changed since their
    screening was stored (its record_version differs). An unchanged record is never read: the screening's
    own snapshot is that record. Those needed to decide currency (`needed`) are read and validated together
    the first time one is needed; those needed only to say why a screening is not current are read in
    chunks of CHUNK in the screenings' order (a list shows the reasons of its first rows only)."""

    CHUNK = 25

    def __init__(self, records: dict[int, Patient], today: date, needed: set[int], wanted: list[int]):
        self.records, self.today = records, today
        self.needed, self.wanted = needed, list(dict.fromkeys(wanted))
        self.now: dict[int, _RecordNow] = {}

    def get(self, patient_id: int) -> _RecordNow:
        if patient_id not in self.now:
            if patient_id in self.needed:
                batch = self.needed - self.now.keys()
            else:
                at = self.wanted.index(patient_id)
                batch = set([pk for pk in self.wanted[at:] if pk not in self.now][: self.CHUNK])
            if missing := batch - self.records.keys():
                self.records.update(patient_records(missing))
            for pk in batch:
                self.now[pk] = _RecordNow.of(self.records[pk], self.today)
        return self.now[patient_id]


@dataclass(frozen=True)
class _Age:
    """What makes a screening not current without reading the record."""

    protocol: object
    made_on: date
    bp: dict | None
    superseded: bool
    too_old: bool
    bp_old: bool

    @classmethod
    def of(cls, screening: Screening, latest_id: int, today: date) -> _Age:
        protocol = screening_ruleset(screening).protocol
        made_on = timezone.localdate(screening.created_at)
        bp = (
            screening.report_bp if hasattr(screening, "report_bp") else screening.report.get("blood_pressure")
        )
        window_start = today - timedelta(days=protocol.bp_window_days)
        return cls(
            protocol,
            made_on,
            bp,
            superseded=screening.pk != latest_id,
            too_old=(today - made_on).days >= protocol.validity_days,
            bp_old=bool(bp) and date.fromisoformat(bp["day"]) < window_start,
        )

    @property
    def stale(self) -> bool:
        return self.superseded or self.too_old or self.bp_old


def _currency(screening: Screening, age: _Age, record_now, latest_id: int, load_intakes=None) -> Currency:
    """`record_now`: None when the record is unchanged since the screening, else a call that gives it;
    `load_intakes`: reads the stored intakes of the changed screenings read without them, all at once."""
    protocol, made_on, bp = age.protocol, age.made_on, age.bp

    def record_state() -> tuple[bool, bool, _RecordNow | None]:
        """(unscreenable, changed, the record now)"""
        if record_now is None:
            return False, False, None
        record = record_now()
        if record.intake is None:
            return True, False, record
        return False, record.sha256 != screening.intake_sha256, record

    if not age.stale:
        unscreenable, changed, _ = record_state()
        if not (unscreenable or changed):
            return Currency(True)

    def reasons() -> list[str]:
        unscreenable, changed, record = record_state()
        said: list[str] = []
        if age.superseded:
            said.append(f"a later screening (#{latest_id}) supersedes it")
        if unscreenable:
            said.append("the record can no longer be screened (" + "; ".join(record.problems) + ")")
        elif changed:
            if load_intakes is not None:
                load_intakes()
            said.extend(describe_changes(screening.intake, record.intake) or ["the record changed"])
        if age.too_old:
            said.append(f"older than {protocol.validity_days} days (screened {made_on.isoformat()})")
        if age.bp_old:
            said.append(f"blood pressure of {bp['day']} is more than {protocol.bp_window_days} days old")
        return said

    return Currency(False, explain=reasons)


def _unchanged(screening: Screening, version_now: int, reader: str) -> bool:
    """The record is the one screened: the same version, read the same way (screening.record_reader)."""
    return (
        screening.record_version is not None
        and screening.record_version == version_now
        and bool(reader)
        and screening.record_reader == reader
    )


def newest_screening_id(patient: str) -> Subquery:
    """The id of the latest screening of the patient named by the outer query's field `patient` ("pk" on a
    patient, "patient_id" on a screening), in the order every read uses (the screening_patient_newest index)."""
    newest = Screening.objects.filter(patient=OuterRef(patient)).order_by("-created_at", "-pk")
    return Subquery(newest.values("pk")[:1])


def patients_now(patient_ids) -> tuple[dict[int, int | None], dict[int, int]]:
    """Each patient's latest screening id (None: never screened) and record version, by patient id, in
    one query."""
    rows = (
        Patient.objects.filter(pk__in=list(patient_ids))
        .annotate(latest=newest_screening_id("pk"))
        .values_list("pk", "latest", "record_version")
    )
    latest_ids, versions = {}, {}
    for pk, latest_id, version in rows:
        latest_ids[pk], versions[pk] = latest_id, version
    return latest_ids, versions


def latest_screening_ids(patient_ids) -> dict[int, int | None]:
    """Each patient's latest screening id, by patient id (None: never screened), in one query."""
    return patients_now(patient_ids)[0]


def screening_currencies(
    screenings: Iterable[Screening],
    today: date | None = None,
    records: dict[int, Patient] | None = None,
    latest: dict[int, int] | None = None,
    versions: dict[int, int] | None = None,
) -> dict[int, Currency]:
    """Currency of each screening, by id, in a fixed number of queries whatever their number: the
    patients' record versions and latest screening ids are read once for all of them, and the records
    only of the patients whose record changed since (together, and only when needed). `records`: full
    records (patients.selectors.patient_record) the caller already holds, by patient id, not read again;
    `latest`, `versions`: each patient's latest screening id and record version (patients_now), when the
    caller has read them after the records it holds."""
    screenings = list(screenings)
    if not screenings:
        return {}
    today = today or timezone.localdate()
    patient_ids = {s.patient_id for s in screenings}
    records = dict(records or {})
    # the versions now: read after any record the caller holds (a record's own version was read with its
    # row, before its lists, so it may be older than the lists it shows), never taken from the records
    versions = dict(versions or {})
    if latest is None or not patient_ids <= latest.keys():
        latest, versions = patients_now(patient_ids)
    elif missing := patient_ids - versions.keys():
        versions.update(Patient.objects.filter(pk__in=missing).values_list("pk", "record_version"))
    ages = {s.pk: _Age.of(s, latest[s.patient_id], today) for s in screenings}
    reader = record_reader()
    changed = [s for s in screenings if not _unchanged(s, versions[s.patient_id], reader)]
    needed = {s.patient_id for s in changed if not ages[s.pk].stale}
    now = _RecordsNow(records, today, needed, [s.patient_id for s in changed])
    changed_ids = {s.pk for s in changed}

    def load_intakes() -> None:  # once for all the changed screenings a list read without their intakes
        Screening.load_documents(changed, "intake")

    return {
        s.pk: _currency(
            s,
            ages[s.pk],
            (lambda pk=s.patient_id: now.get(pk)) if s.pk in changed_ids else None,
            latest[s.patient_id],
            load_intakes,
        )
        for s in screenings
    }


def screening_currency(screening: Screening, today: date | None = None) -> Currency:
    return screening_currencies([screening], today)[screening.pk]
