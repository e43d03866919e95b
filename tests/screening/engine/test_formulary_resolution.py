"""The engine with drugs resolved through the real formulary (fixtures/formulary.json)."""

import json
from functools import cache

import pytest

from formulary.lookup import Formulary
from screening.engine.facts import Medication

from .builders import FORMULARY_PATH, screen, taking

BENZODIAZEPINE_ATC = ("N05BA", "N05CD", "N03AE")


@cache
def formulary() -> Formulary:
    return Formulary(json.loads(FORMULARY_PATH.read_text(encoding="utf-8"))["entries"])


def typed(name: str, dose_mg: float | None = 1, times_per_day: int | None = 1) -> Medication:
    return Medication(name=name, dose_mg=dose_mg, times_per_day=times_per_day, drug=formulary().resolve(name))


@pytest.mark.parametrize(
    ("name", "rules"),
    [
        ("Klonopin", ("MEDS-BENZO-HIGH", "MEDS-CNS-DEPRESSANT")),
        ("LORazepam 1 mg tablet", ("MEDS-BENZO-HIGH", "MEDS-CNS-DEPRESSANT")),
        ("Lamictal XR", ("MEDS-LAMOTRIGINE",)),
        ("Auvelity", ("MEDS-NMDA-ANTAGONIST",)),
        ("Nuedexta", ("MEDS-NMDA-ANTAGONIST",)),
        ("Namenda", ("MEDS-NMDA-ANTAGONIST",)),
        ("Theo-24", ("MEDS-THEOPHYLLINE",)),
        ("Seroquel XR", ("MEDS-ATTENUATING", "MEDS-CNS-DEPRESSANT")),
        ("Neurontin", ("MEDS-ATTENUATING", "MEDS-CNS-DEPRESSANT")),
        ("OxyContin", ("MEDS-CNS-DEPRESSANT",)),
        ("Ambien", ("MEDS-CNS-DEPRESSANT",)),
        ("Emsam", ("MEDS-MAOI",)),
        ("Concerta", ("MEDS-STIMULANT",)),
        ("Zoloft", ("MEDS-COMPATIBLE",)),
        ("Effexor XR", ("MEDS-COMPATIBLE",)),
        ("lithium carbonate ER", ("MEDS-COMPATIBLE",)),
        ("Depakote", ("MEDS-COMPATIBLE",)),
        ("Versed", ("MEDS-UNRECOGNIZED", "MEDS-CNS-DEPRESSANT")),
        ("Grandma's tonic", ("MEDS-UNRECOGNIZED",)),
    ],
)
def test_typed_name_resolves_to_the_rules_of_its_class(name, rules):
    assert screen(taking(typed(name))).medications[0].rules == rules


def test_clonazepam_by_brand_gets_its_diazepam_equivalent():
    analysis = screen(taking(typed("Klonopin", 0.5, 2))).medications[0]

    assert (analysis.generic, analysis.daily_mg, analysis.diazepam_eq_mg) == ("clonazepam", 1.0, 20.0)


def test_every_formulary_benzodiazepine_sits_under_a_benzodiazepine_atc_code():
    # The benzodiazepine dose rules match by ATC (criteria.md); the class alone would not reach them.
    misplaced = [
        e["generic"]
        for e in formulary().entries
        if "benzodiazepine" in e.get("classes", ())
        and not any(code.startswith(BENZODIAZEPINE_ATC) for code in e["atc"])
    ]

    assert misplaced == []
