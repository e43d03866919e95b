"""An existing database migrates forward with nothing lost when models move between apps (the formulary
and the rule sets left the screening app with their tables). A scratch database is migrated to the state
before the moves, filled with the demo patients, screenings, an override, a co-signature and a sign-off,
then migrated to the end; every row is still there and readable through the moved models."""

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

BEFORE_THE_MOVES = (
    ("core", "0002_api_tokens"),
    ("patients", "0002_mrn_unique_ignoring_case"),
    ("screening", "0007_formulary_stamp"),
)

FILL = """
from django.contrib.auth.models import User
from patients.models import Patient
from screening.services import finding_override, override_cosign, screening_run, screening_sign
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
    "overrides_of_signed": signed.overrides.filter(cosigned_by__isnull=False).count(),
    "active_compiles": len(engine_ruleset(active_ruleset()).rules),
}))
"""


@pytest.fixture
def scratch(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DJANGO_ENV_FILE": "",
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'old.sqlite3'}",
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
    for app, migration in BEFORE_THE_MOVES:
        scratch("migrate", app, migration, "--noinput")
    scratch("load_defaults")
    scratch("load_demo")
    scratch("create_demo_accounts")
    scratch("shell", "-c", FILL)
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
