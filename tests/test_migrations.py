"""An existing database migrates forward with nothing lost. tests/data/before-the-moves.sqlite3.gz is a
database built on 2026-12-02 by the migrations of that time, stopped before the formulary and the rule
sets left the screening app (core 0002, patients 0002, screening 0007), and filled by the code of that
time: the default rule set and formulary, the demo patients and accounts, a screening of every patient,
an override of a contraindication with its co-signature, and a sign-off. It is a frozen snapshot, so
later model changes cannot rewrite what "before" means; every later migration must carry it forward.

How it was made: `migrate` to the three migrations above on a scratch SQLite file, `load_defaults`,
`load_demo`, `create_demo_accounts`, then the FILL below in `manage.py shell`, then `VACUUM` and gzip."""

import gzip
import json
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT

SNAPSHOT = ROOT / "tests" / "data" / "before-the-moves.sqlite3.gz"

FILL = """
from django.contrib.auth.models import User
from patients.models import Patient
from screening.services import finding_override, override_cosign, screening_run, screening_sign  # of that time
first = User.objects.get(username="clinician")
second = User.objects.get(username="clinician2")
screenings = [screening_run(patient=p, requested_by=first) for p in Patient.objects.all()]
worst = next(s for s in screenings if s.verdict == "contraindicated")
rule = next(f["rule"] for f in worst.report["findings"] if f["severity"] == "contraindicated")
override = finding_override(screening=worst, rule=rule, reason="migration test", user=first)
override_cosign(override=override, user=second)
screening_sign(screening=worst, user=first)
"""

COUNT = """
import json
from django.db import connection
tables = ["patients_patient", "patients_historicalpatient", "patients_medicationentry", "screening_screening",
          "screening_findingoverride", "screening_signoff", "screening_ruleset", "screening_rule",
          "screening_historicalrule", "screening_formularyentry", "screening_formularystamp"]
with connection.cursor() as cursor:
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")
        counts[table] = cursor.fetchone()[0]
print(json.dumps(counts))
"""

READ_THROUGH_THE_MOVED_MODELS = """
import json
from formulary.models import FormularyEntry
from formulary.selectors import current_formulary
from patients.models import MedicationEntry
from rules.models import Rule, RuleSet
from rules.selectors import active_ruleset, engine_ruleset
from screening.models import Screening
signed = Screening.objects.get(signoff__isnull=False)
print(json.dumps({
    "rulesets": RuleSet.objects.count(),
    "rules": Rule.objects.count(),
    "rule_history": Rule.history.count(),
    "formulary": FormularyEntry.objects.count(),
    "resolves": current_formulary().lookup("Klonopin").drug.generic,
    "linked_medications": MedicationEntry.objects.filter(formulary_entry__isnull=False).count(),
    "signed_screening_ruleset": signed.ruleset.version,
    "overrides_of_signed": signed.overrides.filter(cosignature__isnull=False).count(),
    "active_compiles": len(engine_ruleset(active_ruleset()).rules),
}))
"""


@pytest.fixture
def scratch(tmp_path):
    database = tmp_path / "old.sqlite3"
    with gzip.open(SNAPSHOT, "rb") as packed, database.open("wb") as out:
        shutil.copyfileobj(packed, out)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DJANGO_ENV_FILE": "",
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{database}",
    }

    def manage(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
        return done.stdout

    return manage


def test_a_database_from_before_the_moves_migrates_forward_with_nothing_lost(scratch):
    assert "[ ] 0008" in scratch("showmigrations", "screening")  # the snapshot is from before the moves
    before = json.loads(scratch("shell", "-c", COUNT).strip().splitlines()[-1])

    scratch("migrate", "--noinput")

    after = json.loads(scratch("shell", "-c", COUNT).strip().splitlines()[-1])
    assert after == before
    assert before["screening_signoff"] == 1
    moved = json.loads(scratch("shell", "-c", READ_THROUGH_THE_MOVED_MODELS).strip().splitlines()[-1])
    assert moved == {
        "rulesets": before["screening_ruleset"],
        "rules": before["screening_rule"],
        "rule_history": before["screening_historicalrule"],
        "formulary": before["screening_formularyentry"],
        "resolves": "clonazepam",
        "linked_medications": moved["linked_medications"],
        "signed_screening_ruleset": "2026.1",
        "overrides_of_signed": 1,
        "active_compiles": before["screening_rule"],
    }
    assert moved["linked_medications"] > 0
