"""Reading a patient's infusion series (issue 18): the records, newest first, and the series' status."""

from __future__ import annotations

from django.db.models import QuerySet

from screening.engine.measures import score as score_measure

from .decision import SeriesStatus, series_status
from .models import Infusion

NEWEST_FIRST = ("-infusion_on", "-pk")


def patient_infusions(patient) -> QuerySet[Infusion]:
    """The patient's infusions, newest first, without their screenings: the series reads one screening's
    intake, and only once an infusion was given (patient_series)."""
    return Infusion.objects.filter(patient=patient).order_by(*NEWEST_FIRST)


def infusions_read_with(patient) -> list[Infusion]:
    """The infusions of a patient read by patients.selectors.patient_record, which reads them with the record
    (registered in InfusionsConfig.ready); of any other patient object, read now."""
    read = getattr(patient, "_prefetched_objects_cache", {}).get("infusions")
    return list(read if read is not None else patient_infusions(patient))


def _latest_phq9(measures) -> tuple[int, str] | None:
    phq9 = [m for m in measures if m.get("instrument") == "phq9"]
    if not phq9:
        return None
    latest = max(phq9, key=lambda m: m["administered_on"])
    return score_measure("phq9", latest["answers"]).total, latest["administered_on"]


def patient_series(patient, infusions: list[Infusion] | None = None) -> SeriesStatus:
    """How many infusions were given and whether the PHQ-9 shows a response: the baseline is the latest
    PHQ-9 in the intake of the screening the first given infusion ran under; the latest is the newest PHQ-9
    on the infusion records."""
    infusions = list(patient_infusions(patient) if infusions is None else infusions)
    given = sorted(
        (i for i in infusions if i.outcome == Infusion.Outcome.GIVEN), key=lambda i: (i.infusion_on, i.pk)
    )
    baseline = _latest_phq9(given[0].screening.intake.get("measures", [])) if given else None
    latest = _latest_phq9([m for i in infusions for m in i.measures or []])
    return series_status(
        given=len(given),
        baseline=baseline[0] if baseline else None,
        latest=latest[0] if latest else None,
        latest_on=latest[1] if latest else "",
    )
