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
from rules.selectors import engine_ruleset

from .intake import IntakeInvalid, describe_changes, intake_sha256, validate_intake
from .models import Screening


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


def _currency(screening: Screening, record: _RecordNow, latest_id: int, today: date) -> Currency:
    protocol = engine_ruleset(screening.ruleset).protocol
    made_on = timezone.localdate(screening.created_at)
    bp = screening.report.get("blood_pressure")
    superseded = screening.pk != latest_id
    unscreenable = record.intake is None
    changed = not unscreenable and record.sha256 != screening.intake_sha256
    too_old = (today - made_on).days >= protocol.validity_days
    bp_old = bool(bp) and date.fromisoformat(bp["day"]) < today - timedelta(days=protocol.bp_window_days)
    if not (superseded or unscreenable or changed or too_old or bp_old):
        return Currency(True)

    def reasons() -> list[str]:
        said: list[str] = []
        if superseded:
            said.append(f"a later screening (#{latest_id}) supersedes it")
        if unscreenable:
            said.append("the record can no longer be screened (" + "; ".join(record.problems) + ")")
        elif changed:
            said.extend(describe_changes(screening.intake, record.intake) or ["the record changed"])
        if too_old:
            said.append(f"older than {protocol.validity_days} days (screened {made_on.isoformat()})")
        if bp_old:
            said.append(f"blood pressure of {bp['day']} is more than {protocol.bp_window_days} days old")
        return said

    return Currency(False, explain=reasons)


def latest_screening_ids(patient_ids) -> dict[int, int]:
    """Each patient's latest screening id, by patient id (None: never screened), in one query."""
    latest = Screening.objects.filter(patient=OuterRef("pk")).order_by("-created_at", "-pk").values("pk")[:1]
    return dict(
        Patient.objects.filter(pk__in=list(patient_ids))
        .annotate(latest=Subquery(latest))
        .values_list("pk", "latest")
    )


def screening_currencies(
    screenings: Iterable[Screening],
    today: date | None = None,
    records: dict[int, Patient] | None = None,
    latest: dict[int, int] | None = None,
) -> dict[int, Currency]:
    """Currency of each screening, by id, in a fixed number of queries whatever their number: the patients'
    records and latest screening ids are read once for all of them. `records`: full records
    (patients.selectors.patient_record) the caller already holds, by patient id, not read again; `latest`:
    each patient's latest screening id (latest_screening_ids), when the caller has read it."""
    screenings = list(screenings)
    if not screenings:
        return {}
    today = today or timezone.localdate()
    patient_ids = {s.patient_id for s in screenings}
    records = dict(records or {})
    if missing := patient_ids - records.keys():
        records.update(patient_records(missing))
    if latest is None or not patient_ids <= latest.keys():
        latest = latest_screening_ids(patient_ids)
    now = {pk: _RecordNow.of(record, today) for pk, record in records.items()}
    return {s.pk: _currency(s, now[s.patient_id], latest[s.patient_id], today) for s in screenings}


def screening_currency(screening: Screening, today: date | None = None) -> Currency:
    return screening_currencies([screening], today)[screening.pk]
