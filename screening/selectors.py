"""Reads of screenings for the pages, the PDF and the API: the review state (effective verdict, decision,
current or not, what blocks a clearance) of one screening or of a page of them, in a fixed number of
queries."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Exists, F, OuterRef, QuerySet, Subquery

from core.nested_read import Annotation, Child, Joined, NestedRead
from patients.models import Patient

from .compiled import screening_ruleset, with_rulesets
from .currency import Currency, newest_screening_id, screening_currencies
from .engine.evaluate import dose_range
from .engine.report_json import dose_to_dict
from .engine.severity import NO_DOSE_VERDICTS
from .models import FindingOverride, OverrideSuggestion, Screening, SignOff
from .presentation import verdict_display
from .review import clearance_blockers, effective_verdict


@dataclass
class ReviewState:
    """Everything a page shows about where a screening's review stands."""

    screening: Screening
    overrides: list[FindingOverride]
    signoff: SignOff | None
    currency: Currency
    suggestions: list[OverrideSuggestion] | None = field(default_factory=list)  # None: not read

    @property
    def effective(self) -> str:
        return effective_verdict(self.screening, self.overrides)

    @property
    def changed_by_overrides(self) -> bool:
        return self.effective != self.screening.verdict

    @property
    def decision(self) -> str:
        """cleared | not_cleared | legacy (signed before decisions) | pending (not signed)"""
        if self.signoff is None:
            return "pending"
        return self.signoff.decision or "legacy"

    @property
    def decision_text(self) -> str:
        return DECISION_TEXT[self.decision]

    @property
    def superseded(self) -> bool:
        """A signed screening that is no longer current: not to be used for clearance."""
        return self.signoff is not None and not self.currency.current

    @property
    def pending_cosign(self) -> list[FindingOverride]:
        return [o for o in self.overrides if not o.legacy and not o.in_force]

    @property
    def clear_blockers(self) -> list[str]:
        return clearance_blockers(self.screening, self.overrides, self.currency)

    def dose(self) -> dict[str, Any] | None:
        """The dose range for the effective verdict: the stored one, or (when overrides in force lifted a
        contraindication) computed from the same protocol and weight."""
        if self.effective in NO_DOSE_VERDICTS:
            return None
        if self.screening.report.get("dose"):
            return self.screening.report["dose"]
        protocol = screening_ruleset(self.screening).protocol
        return dose_to_dict(dose_range(self.screening.intake["patient"].get("weight_kg"), protocol))

    def as_api(self) -> dict[str, Any]:
        return {
            "effective_verdict": self.effective,
            "decision": None if self.decision == "pending" else self.decision,
            "current": self.currency.current,
            "not_current_reasons": list(self.currency.reasons),
        }


DECISION_TEXT = {
    "pending": "Awaiting a physician's decision",
    "cleared": "Cleared to proceed",
    "not_cleared": "Not cleared",
    "legacy": "Signed before decisions were recorded: not a clearance",
}


def _signoff(screening: Screening) -> SignOff | None:
    try:
        return screening.signoff
    except SignOff.DoesNotExist:
        return None


def with_review_flags(screenings: QuerySet[Screening], *, suggestions: bool = False) -> QuerySet[Screening]:
    """The screenings, each read with whether it has overrides (and suggestions): review_states then reads
    none of a list in which none has any, the common case, one query fewer."""
    flags = {"has_overrides": Exists(FindingOverride.objects.filter(screening=OuterRef("pk")))}
    if suggestions:
        flags["has_suggestions"] = Exists(OverrideSuggestion.objects.filter(screening=OuterRef("pk")))
    return screenings.annotate(**flags)


def without_documents(screenings: QuerySet[Screening]) -> QuerySet[Screening]:
    """The screenings for a list, read without their intake and report (a few kB of JSON each, most of the
    cost of reading a row) but with the report's blood pressure, which currency reads: review_states reads
    the reports of those with overrides, and currency the intakes of those whose record changed, each in one
    query and only when needed (Screening.load_documents). A row whose verdict no override changes shows
    its stored verdict, the one its findings give."""
    return screenings.defer("intake", "report").annotate(report_bp=F("report__blood_pressure"))


def _report_bp(alias: str) -> str:
    if connection.vendor == "postgresql":
        return f"{alias}.\"report\" -> 'blood_pressure'"
    return f"json(json_extract({alias}.\"report\", '$.blood_pressure'))"


def _has_any(model) -> Callable[[str], str]:
    """Whether the screening has any row of `model` (FindingOverride, OverrideSuggestion), in SQL."""
    table = model._meta.db_table
    return lambda alias: f'EXISTS (SELECT 1 FROM "{table}" o WHERE o."screening_id" = {alias}."id")'  # noqa: S608


_has_overrides = _has_any(FindingOverride)
_has_suggestions = _has_any(OverrideSuggestion)


def _newest_of_its_patient(alias: str) -> str:
    """The id of the latest screening of the screening's patient, in the order every read uses (the
    screening_patient_newest index), as currency.newest_screening_id."""
    table = Screening._meta.db_table
    return (
        f'(SELECT n."id" FROM "{table}" n WHERE n."patient_id" = {alias}."patient_id" '  # noqa: S608
        'ORDER BY n."created_at" DESC, n."id" DESC LIMIT 1)'
    )


# the patient page counts a patient's screenings up to here ("more than 100"): a walk of the patient's index
# entries that stops here (up to 1,000 cost the 5,000-screening page 0.1 ms more than the 5-screening one)
COUNT_CAP = 100


def _screening_count(alias: str) -> str:
    table = Screening._meta.db_table
    return (
        f'(SELECT COUNT(*) FROM (SELECT 1 FROM "{table}" n WHERE n."patient_id" = {alias}."id" '  # noqa: S608
        f"LIMIT {COUNT_CAP + 1}) n)"
    )


# The patient page's history read with the patient's record (patients.selectors.PAGE_RECORD, registered in
# ScreeningConfig.ready): the latest screenings as without_documents and with_review_flags read them, with
# their sign-offs, one more than the page shows (for the last row's changes), and the patient's count.
def latest_screenings_child(count: int) -> Child:
    """A patient's latest `count` screenings as a list read with the patient (core.nested_read), each as
    without_documents and with_review_flags read it, with its sign-off."""
    return Child(
        "screenings",
        ordering=("-created_at", "-pk"),
        fields=tuple(f.name for f in Screening._meta.concrete_fields if f.name not in ("intake", "report")),
        limit=count,
        joined=(Joined("signoff"),),
        annotations=(Annotation("report_bp", _report_bp), Annotation("has_overrides", _has_overrides, bool)),
    )


HISTORY_ON_PATIENT_PAGE = 10
LATEST_WITH_RECORD = latest_screenings_child(HISTORY_ON_PATIENT_PAGE + 1)
SCREENING_COUNT = Annotation("screening_count", _screening_count)


def _known_none(screenings: list[Screening], flag: str) -> bool:
    """Every screening was read with `flag` (with_review_flags) and none has any."""
    return all(hasattr(s, flag) for s in screenings) and not any(getattr(s, flag) for s in screenings)


def review_states(
    screenings: Iterable[Screening], records=None, *, suggestions: bool = True, latest=None, versions=None
) -> dict[int, ReviewState]:
    """The review state of each screening, by id: overrides, sign-offs and currency read once for all
    (`records`: the patients' full records, by id, when the caller holds them; `latest`, `versions`: each
    patient's latest screening id and record version, when the caller has read them). Sign-offs read with
    the screenings (select_related) are not read again. `suggestions=False`: lists that never show the
    suggestions skip reading them."""
    screenings = list(screenings)
    if not screenings:
        return {}
    with_rulesets(screenings)
    ids = [s.pk for s in screenings]
    overrides: dict[int, list[FindingOverride]] = {pk: [] for pk in ids}
    if not _known_none(screenings, "has_overrides"):
        for o in (
            FindingOverride.objects.filter(screening_id__in=ids)
            .select_related("cosignature")
            .order_by("created_at", "pk")
        ):
            overrides[o.screening_id].append(o)
        Screening.load_documents([s for s in screenings if overrides[s.pk]], "report")
    if all(Screening.signoff.is_cached(s) for s in screenings):  # read with the screenings
        signoffs = {s.pk: s.signoff for s in screenings if _signoff(s) is not None}
    else:
        signoffs = {s.screening_id: s for s in SignOff.objects.filter(screening_id__in=ids)}
    noted: dict[int, list[OverrideSuggestion] | None] = {pk: [] if suggestions else None for pk in ids}
    if suggestions and not _known_none(screenings, "has_suggestions"):
        for note in OverrideSuggestion.objects.filter(screening_id__in=ids).order_by("created_at", "pk"):
            noted[note.screening_id].append(note)
    currencies = screening_currencies(screenings, records=records, latest=latest, versions=versions)
    return {
        s.pk: ReviewState(s, overrides[s.pk], signoffs.get(s.pk), currencies[s.pk], noted[s.pk])
        for s in screenings
    }


# The report page's screening in one query whose SQL is written once (core.nested_read): with its patient,
# who ran it (names only), its sign-off and PDF, whether it has overrides and suggestions, and its patient's
# latest screening (`latest_now`).
REPORT_READ = NestedRead(
    Screening,
    joined=(
        Joined("patient"),
        Joined("requested_by", ("username", "first_name", "last_name")),
        Joined("signoff"),
        Joined("pdf"),
    ),
    annotations=(
        Annotation("has_overrides", _has_overrides, bool),
        Annotation("has_suggestions", _has_suggestions, bool),
        Annotation("latest_now", _newest_of_its_patient),
    ),
)


def report_screening(pk: int) -> Screening:
    """The screening the report page shows (REPORT_READ): review_states and services.pdf_state then read
    none of what it holds again. Its rule set's row is read only when this process has not compiled that set
    yet (compiled.with_rulesets). Raises Screening.DoesNotExist."""
    screening = REPORT_READ.by_ids([pk]).get(int(pk))
    if screening is None:
        raise Screening.DoesNotExist(f"no screening {pk}")
    return screening


def report_review_state(screening: Screening) -> ReviewState:
    """The review state of a screening read by report_screening: its patient's record version is the one read
    with the patient row the report shows (the page holds no list of the record)."""
    patient_id = screening.patient_id
    return review_states(
        [screening],
        latest={patient_id: screening.latest_now},
        versions={patient_id: screening.patient.record_version},
    )[screening.pk]


def review_state(screening: Screening) -> ReviewState:
    return review_states([screening])[screening.pk]


def screening_for_review(pk: int) -> Screening:
    return Screening.objects.select_related("patient", "requested_by", "ruleset").get(pk=pk)


def screening_history(
    patient, *, offset: int = 0, limit: int = HISTORY_ON_PATIENT_PAGE, full_record: bool = False
) -> list[dict[str, Any]]:
    """`limit` of the patient's screenings, newest first from `offset`, each with the findings added and
    removed since the one before it, its effective verdict, decision and whether it is current. One row
    more than shown is read, for the last row's changes: the cost does not grow with the history.
    `full_record`: `patient` is its full record (patients.selectors.patient_record), not read again."""
    # read with the page record (LATEST_WITH_RECORD), never another read's shorter list (the patient list's)
    with_record = getattr(patient, "nested_parts", {}).get("screenings") == LATEST_WITH_RECORD
    if with_record and offset == 0 and limit == HISTORY_ON_PATIENT_PAGE:
        # in the same snapshot as the record: the newest is the first row
        screenings = list(patient.nested["screenings"])
        latest = {patient.pk: screenings[0].pk} if screenings else {}
        now = {"latest": latest, "versions": {patient.pk: patient.record_version}}
    else:
        # with each row, the patient's latest screening id and record version now: read in the same query,
        # after the record the page holds (screening.currency.patients_now reads the same two)
        version = Patient.objects.filter(pk=OuterRef("patient_id")).order_by().values("record_version")
        screenings = list(
            with_review_flags(without_documents(Screening.objects.filter(patient=patient)))
            .select_related("signoff")
            .annotate(latest_now=newest_screening_id("patient_id"), version_now=Subquery(version))
            .order_by("-created_at", "-pk")[offset : offset + limit + 1]
        )
        first = screenings[0] if screenings else None
        now = (
            {"latest": {patient.pk: first.latest_now}, "versions": {patient.pk: first.version_now}}
            if first is not None
            else {}
        )
    shown = screenings[:limit]
    states = review_states(
        shown,
        records={patient.pk: patient} if full_record else None,
        suggestions=False,  # the rows never show them
        **now,
    )
    rows = []
    for i, screening in enumerate(shown):
        codes = set(screening.rule_codes)
        before = set(screenings[i + 1].rule_codes) if i + 1 < len(screenings) else None
        state = states[screening.pk]
        rows.append(
            {
                "screening": screening,
                "state": state,
                "verdict": verdict_display(state.effective),
                "original": verdict_display(screening.verdict) if state.changed_by_overrides else None,
                "first": before is None,
                "added": sorted(codes - before) if before is not None else [],
                "removed": sorted(before - codes) if before is not None else [],
                "signed": state.signoff is not None,
            }
        )
    return rows


def screening_count(patient) -> int:
    """How many screenings the patient has: read with the patient page's record, where more than COUNT_CAP
    reads as COUNT_CAP + 1; else counted now."""
    counted = getattr(patient, "screening_count", None)
    return counted if counted is not None else Screening.objects.filter(patient=patient).count()


def count_text(count: int) -> str:
    return f"more than {COUNT_CAP:,}" if count > COUNT_CAP else f"{count:,}"
