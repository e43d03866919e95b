"""`manage.py screen`: a ketamine-intake/1 document in, a ketamine-screening/1 report out, on the default
rule set and formulary that `load_defaults` puts in the database."""

import json
import sqlite3
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from formulary.models import FormularyEntry
from rules.models import Rule, RuleSet
from tests.conftest import EXAMPLES, ROOT, child_env, database_url_for_test_db
from tests.defaults_snapshot import load_defaults_for_test

EXPECTED = json.loads((EXAMPLES / "expected.json").read_text(encoding="utf-8"))
SCREENED = sorted(name for name, expected in EXPECTED.items() if "verdict" in expected)
REJECTED = sorted(name for name, expected in EXPECTED.items() if "reject" in expected)


@pytest.fixture
def defaults(db):
    load_defaults_for_test()


def screen(path, *args: str) -> str:
    out = StringIO()
    call_command("screen", str(path), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def screen_json(path) -> dict:
    return json.loads(screen(path))


def rejection(path) -> tuple[int, str]:
    """Exit code and stderr of a screening that must not produce a report."""
    err = StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("screen", str(path), stdout=StringIO(), stderr=err)
    return exited.value.code, err.getvalue()


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def write(tmp_path, doc: dict):
    path = tmp_path / "intake.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


# -- the contract examples ---------------------------------------------------------------------------------


def test_expected_json_covers_every_example_document():
    documents = {path.stem for path in EXAMPLES.glob("*.json")} - {"expected"}

    assert documents == set(EXPECTED)
    assert SCREENED != []
    assert REJECTED != []


@pytest.mark.parametrize("name", SCREENED)
def test_each_example_gets_its_expected_verdict(defaults, name):
    assert screen_json(EXAMPLES / f"{name}.json")["verdict"] == EXPECTED[name]["verdict"]


@pytest.mark.parametrize("name", SCREENED)
def test_each_example_shows_every_expected_rule(defaults, name):
    fired = {finding["rule"] for finding in screen_json(EXAMPLES / f"{name}.json")["findings"]}

    assert set(EXPECTED[name]["has"]) <= fired


@pytest.mark.parametrize("name", REJECTED)
def test_a_rejected_example_exits_2_naming_the_bad_field(defaults, name):
    code, stderr = rejection(EXAMPLES / f"{name}.json")

    assert code == 2
    assert EXPECTED[name]["reject"] in stderr


def test_the_rejection_lists_every_problem_on_stderr(defaults, tmp_path):
    doc = example("eligible")
    doc["blood_pressure"][0]["systolic"] = 400
    doc["psychiatric"]["mania"] = "no"

    code, stderr = rejection(write(tmp_path, doc))

    assert code == 2
    assert "2 problem(s)" in stderr
    assert "blood_pressure[0].systolic: 400 is above 300" in stderr
    assert "psychiatric.mania: unknown field" in stderr


# -- output formats and bad files -------------------------------------------------------------------------


def test_text_format_prints_the_verdict(defaults):
    text = screen(EXAMPLES / "deferred-bp-and-benzodiazepine.json", "--format", "text")

    # the same words as the report page banner
    assert (
        text.splitlines()[0] == "VERDICT: DEFERRED: CORRECT THE LISTED PROBLEMS, THEN SCREEN AGAIN (deferred)"
    )
    assert "BP-STAGE2" in text


def test_invalid_json_exits_2(defaults, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"format": "ketamine-intake/1",', encoding="utf-8")

    code, stderr = rejection(path)

    assert code == 2
    assert "not valid JSON" in stderr


def test_a_json_value_that_is_not_an_object_exits_2(defaults, tmp_path):
    path = tmp_path / "list.json"
    path.write_text("[]", encoding="utf-8")

    code, stderr = rejection(path)

    assert code == 2
    assert "document: must be a JSON object" in stderr


def test_a_missing_file_is_a_command_error(defaults, tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        screen(tmp_path / "no-such-intake.json")


@pytest.mark.django_db
def test_without_an_active_rule_set_the_command_says_how_to_load_one():
    with pytest.raises(CommandError, match="load_defaults"):
        screen(EXAMPLES / "eligible.json")


# -- the ketamine-screening/1 report ---------------------------------------------------------------------


@pytest.fixture
def report(defaults) -> dict:
    return screen_json(EXAMPLES / "deferred-bp-and-benzodiazepine.json")


def test_the_report_has_the_top_level_keys_of_ketamine_screening_1(report):
    assert {
        "format",
        "verdict",
        "patient",
        "assessed_on",
        "findings",
        "medications",
        "blood_pressure",
        "dose",
        "ruleset",
    } <= set(report)
    assert report["format"] == "ketamine-screening/1"


def test_the_report_names_the_patient_and_the_day(report):
    assert report["patient"] == {"mrn": "KT-0002", "name": "Luis Romero", "age": 54}
    assert report["assessed_on"] == "2026-11-20"


def test_each_finding_has_rule_severity_title_evidence_action_and_sources(report):
    keys = {"rule", "severity", "title", "evidence", "action", "sources"}

    assert [keys <= set(finding) for finding in report["findings"]] == [True] * len(report["findings"])
    assert report["findings"] != []


def test_each_medication_shows_how_it_was_classified(report):
    klonopin = report["medications"][0]

    assert {"name", "generic", "atc", "classes", "daily_mg", "diazepam_eq_mg", "rules"} <= set(klonopin)
    assert (klonopin["name"], klonopin["generic"], klonopin["atc"]) == ("Klonopin", "clonazepam", "N03AE01")
    assert "MEDS-BENZO-HIGH" in klonopin["rules"]


def test_the_report_shows_blood_pressure_and_dose(report):
    assert {"systolic", "diastolic", "readings", "day"} <= set(report["blood_pressure"])
    assert report["blood_pressure"]["readings"] == 2
    assert {"weight_kg", "low_mg", "high_mg", "minutes"} <= set(report["dose"])
    assert report["dose"]["weight_kg"] == 74.0


def test_the_report_names_the_active_rule_set_by_version_and_hash(report):
    active = RuleSet.objects.get(is_active=True)

    assert report["ruleset"] == {"version": active.version, "sha256": active.sha256}
    assert len(active.sha256) == 64


# -- load_defaults ----------------------------------------------------------------------------------------


def test_load_defaults_is_idempotent(defaults):
    formulary_rows, rules = FormularyEntry.objects.count(), Rule.objects.count()

    call_command("load_defaults", stdout=StringIO())

    assert RuleSet.objects.count() == 1
    assert RuleSet.objects.filter(is_active=True).count() == 1
    assert (FormularyEntry.objects.count(), Rule.objects.count()) == (formulary_rows, rules)


# -- unresolved medications -------------------------------------------------------------------------------


def test_an_unresolved_medication_is_flagged_and_kept_in_the_report(defaults, tmp_path):
    doc = example("eligible")
    doc["medications"]["items"].append({"name": "Zzyzxitol", "dose_mg": 10, "times_per_day": 1})

    report = screen_json(write(tmp_path, doc))

    assert "MEDS-UNRECOGNIZED" in {finding["rule"] for finding in report["findings"]}
    unresolved = report["medications"][-1]
    assert (unresolved["name"], unresolved["generic"]) == ("Zzyzxitol", None)


def test_medications_typed_with_salt_release_and_dose_words_are_resolved(defaults, tmp_path):
    doc = example("eligible")
    doc["medications"]["items"] = [{"name": "  SERTRALINE HCl 50 mg ", "dose_mg": 50, "times_per_day": 1}]

    report = screen_json(write(tmp_path, doc))

    assert report["medications"][0]["generic"] == "sertraline"
    assert "MEDS-UNRECOGNIZED" not in {finding["rule"] for finding in report["findings"]}


# -- a real process ---------------------------------------------------------------------------------------


@pytest.fixture
def child_database_env(transactional_db, tmp_path) -> dict[str, str]:
    """Environment for `manage.py` in a child process that sees the test database with the defaults loaded.

    The data is committed (transactional_db) so another connection sees it. An in-memory SQLite test
    database cannot be opened by another process, so the child gets a file copy of it.
    """
    call_command("load_defaults", stdout=StringIO())
    if database_url_for_test_db() is not None:
        return child_env()
    copy_path = tmp_path / "test-db.sqlite3"
    connection.ensure_connection()
    with sqlite3.connect(copy_path) as target:
        connection.connection.backup(target)
    return child_env(DATABASE_URL=f"sqlite:///{copy_path}")


def run_screen(path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "screen", str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_command_in_a_real_process_prints_the_report_and_exits_0(child_database_env):
    done = run_screen(EXAMPLES / "eligible.json", child_database_env)

    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["verdict"] == EXPECTED["eligible"]["verdict"]
    assert report["ruleset"]["sha256"] == RuleSet.objects.get(is_active=True).sha256


def test_the_command_in_a_real_process_exits_2_on_the_bad_example(child_database_env):
    done = run_screen(EXAMPLES / "rejected-bad-input.json", child_database_env)

    assert done.returncode == 2
    assert done.stdout == ""
    assert EXPECTED["rejected-bad-input"]["reject"] in done.stderr


def test_a_file_that_is_not_utf8_exits_2_saying_so(defaults, tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes('{"format": "ketamine-intake/1", "note": "caf\xe9"}'.encode("latin-1"))

    code, stderr = rejection(path)

    assert code == 2
    assert "not UTF-8 text" in stderr


def test_an_integer_too_long_to_convert_exits_2(defaults, tmp_path):
    path = tmp_path / "huge.json"
    path.write_text('{"format": "ketamine-intake/1", "assessed_on": ' + "9" * 5000 + "}", encoding="utf-8")

    code, stderr = rejection(path)

    assert code == 2
    assert "assessed_on: an integer of 5000 digits is out of range" in stderr
