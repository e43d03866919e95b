"""Engine benchmark: median time of evaluate() with the default rule set for a patient with 20 medications
and 10 blood pressure readings. Pure Python, no database. Run: make bench"""

import json
import statistics
import sys
import timeit
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from formulary.lookup import Formulary  # noqa: E402
from screening.engine import ruleset_from_data  # noqa: E402
from screening.engine.evaluate import evaluate  # noqa: E402
from screening.engine.facts import BloodPressureReading, Diagnosis, Facts, Medication  # noqa: E402

MEDICATIONS = [
    "Klonopin",
    "lamotrigine",
    "sertraline",
    "Seroquel",
    "gabapentin",
    "lithium carbonate",
    "Adderall",
    "lisinopril",
    "amlodipine",
    "metformin",
    "levothyroxine",
    "atorvastatin",
    "omeprazole",
    "Xanax",
    "trazodone",
    "bupropion",
    "propranolol",
    "melatonin",
    "Zzyzxol",
    "naltrexone",
]


def facts(formulary: Formulary) -> Facts:
    start = datetime(2026, 11, 18, 8, 0, tzinfo=timezone(timedelta(hours=-7)))
    readings = tuple(
        BloodPressureReading(start + timedelta(hours=7 * i), 130 + i, 82 + i % 3, 70) for i in range(10)
    )
    meds = tuple(
        Medication(name=n, dose_mg=1.0 + i, times_per_day=1 + i % 3, drug=formulary.resolve(n))
        for i, n in enumerate(MEDICATIONS)
    )
    return Facts(
        mrn="BENCH-1",
        name="Bench Patient",
        date_of_birth=date(1980, 5, 5),
        sex_at_birth="female",
        weight_kg=70.0,
        diagnoses=(Diagnosis("F33.2", "active", "severe"), Diagnosis("F41.1")),
        failed_antidepressant_trials=3,
        medications_reconciled=True,
        medications=meds,
        blood_pressure=readings,
        answers={"pregnancy": "not_pregnant", "suicidal_ideation": "passive"},
    )


def floor_ruleset(data: dict):
    """The same rule set with every predicate made trivial (an age test that never holds): what evaluate()
    costs around the rules (context, the loop, the medication rows, the report), measured in the same run."""
    trivial = {"kind": "age", "params": {"max": 0}}
    return ruleset_from_data({**data, "rules": [{**rule, "predicate": trivial} for rule in data["rules"]]})


def main() -> None:
    data = json.loads((ROOT / "fixtures" / "ruleset-default.json").read_text())
    ruleset, floor = ruleset_from_data(data), floor_ruleset(data)
    formulary = Formulary(json.loads((ROOT / "fixtures" / "formulary.json").read_text())["entries"])
    patient = facts(formulary)
    as_of = date(2026, 11, 20)
    report = evaluate(patient, ruleset, as_of)
    assert not evaluate(patient, floor, as_of).findings
    # rounds alternate the two, so a machine that speeds up or slows down mid-run moves both alike
    rounds, number = 15, 1000
    real, base = [], []
    for _ in range(rounds):
        real.append(timeit.timeit(lambda: evaluate(patient, ruleset, as_of), number=number) / number * 1000)
        base.append(timeit.timeit(lambda: evaluate(patient, floor, as_of), number=number) / number * 1000)
    real.sort()
    median, floor_median = statistics.median(real), statistics.median(base)
    print(
        f"rules: {len(ruleset.rules)}  medications: {len(patient.medications)}  readings: {len(patient.blood_pressure)}"
    )
    print(f"findings: {len(report.findings)}  verdict: {report.verdict}")
    print(
        f"evaluate(): median {median:.3f} ms, best {real[0]:.3f} ms, worst {real[-1]:.3f} ms  "
        f"({rounds} runs x {number} calls)"
    )
    print(
        f"trivial-predicate floor: median {floor_median:.3f} ms; evaluate() is {median / floor_median:.1f}x the floor"
    )


if __name__ == "__main__":
    main()
