"""What a patient's record still needs before a screening can conclude (issue 17): each requirement met or
not, with where to fix it. It counts what the patient page can show at a glance (a diagnosis, the weight,
a reconciled medication list, a blood pressure reading inside the active rule set's window, every answer
section); the engine still decides, and says what is missing in its findings.

Fail closed: without an active rule set the window is unknown, so the blood pressure requirement is not met."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.urls import reverse
from django.utils import timezone

from patients.models import Patient
from patients.selectors import section_completeness
from rules.selectors import NoActiveRuleSet, active_ruleset, compiled_ruleset, engine_ruleset


@dataclass(frozen=True)
class Requirement:
    label: str
    met: bool
    href: str  # where to fix it: a section of the patient page or the page that edits it


@dataclass(frozen=True)
class Readiness:
    requirements: tuple[Requirement, ...]
    unknown_answers: int = 0  # over every answer section

    @property
    def met(self) -> int:
        return sum(r.met for r in self.requirements)

    @property
    def total(self) -> int:
        return len(self.requirements)

    @property
    def complete(self) -> bool:
        return self.met == self.total

    @property
    def missing(self) -> list[Requirement]:
        return [r for r in self.requirements if not r.met]


def _bp_window_days(patient: Patient) -> int | None:
    """The active rule set's window, from the set read with the record (ScreeningConfig.ready) when this
    process has compiled it, else from the active set's row."""
    read = getattr(patient, "nested", {})
    if "active_ruleset" in read:
        if read["active_ruleset"] is None:
            return None
        compiled = compiled_ruleset(read["active_ruleset"].version, read["active_ruleset"].sha256)
        if compiled is not None:
            return compiled.protocol.bp_window_days
    try:
        return engine_ruleset(active_ruleset()).protocol.bp_window_days
    except NoActiveRuleSet:
        return None


def screening_readiness(patient: Patient, today: date | None = None) -> Readiness:
    """`patient`: the full record (patients.selectors.patient_record), read again for nothing."""
    today = today or timezone.localdate()
    page = reverse("patients:detail", args=[patient.pk])
    window = _bp_window_days(patient)
    if window is None:
        bp = Requirement(
            "A blood pressure reading (no active rule set: its window is unknown)",
            False,
            f"{page}#blood-pressure",
        )
    else:
        earliest = today - timedelta(days=window)
        recent = any(earliest <= timezone.localdate(r.taken_at) <= today for r in patient.bp_readings.all())
        bp = Requirement(
            f"A blood pressure reading in the last {window} days", recent, f"{page}#blood-pressure"
        )
    requirements = [
        Requirement(
            "Weight recorded", patient.weight_kg is not None, reverse("patients:edit", args=[patient.pk])
        ),
        Requirement(
            "An active diagnosis",
            any(d.status == "active" for d in patient.diagnoses.all()),
            f"{page}#diagnoses",
        ),
        Requirement(
            "Medication list attested as complete", patient.medications_reconciled, f"{page}#medications"
        ),
        bp,
    ]
    sections = section_completeness(patient)
    for key, section in sections.items():
        label = section.label.capitalize() + (
            " answers" if section.complete else f" answers ({section.unknown} of {section.total} unknown)"
        )
        # answered in place on the patient page (its section page remains for a browser without scripts)
        requirements.append(Requirement(label, section.complete, f"{page}#section-{key}"))
    return Readiness(tuple(requirements), sum(s.unknown for s in sections.values()))
