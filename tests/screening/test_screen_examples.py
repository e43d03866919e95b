"""`manage.py screen_examples`: every example screened and compared with expected.json; a mismatch fails."""

import json
import shutil
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import EXAMPLES
from tests.defaults_snapshot import load_defaults_for_test

EXPECTED = json.loads((EXAMPLES / "expected.json").read_text(encoding="utf-8"))

pytestmark = pytest.mark.django_db


@pytest.fixture
def defaults(db):
    load_defaults_for_test()


@pytest.fixture
def folder(tmp_path):
    """A copy of examples/ whose expected.json a test may change."""
    return shutil.copytree(EXAMPLES, tmp_path / "examples")


def expect(folder, name: str, wanted: dict) -> None:
    expected = {**EXPECTED, name: wanted}
    (folder / "expected.json").write_text(json.dumps(expected), encoding="utf-8")


def screen_examples(*args: str) -> str:
    out = StringIO()
    call_command("screen_examples", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def failing(*args: str) -> tuple[CommandError, str]:
    out = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("screen_examples", *args, stdout=out, stderr=StringIO())
    return raised.value, out.getvalue()


def test_the_repository_examples_all_pass(defaults):
    out = screen_examples()
    assert out.splitlines()[-1] == f"{len(EXPECTED)} passed, 0 failed"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_repository_example_is_reported_ok(defaults, name):
    assert f"\nok   {name}: " in "\n" + screen_examples()


def test_a_copied_folder_passes_like_the_repository(defaults, folder):
    assert screen_examples("--folder", str(folder)).splitlines()[-1] == f"{len(EXPECTED)} passed, 0 failed"


@pytest.mark.parametrize(
    ("name", "wrong_verdict"),
    [
        ("eligible", "contraindicated"),
        ("contraindicated-avm", "eligible"),
        ("deferred-bp-and-benzodiazepine", "needs_information"),
        ("needs-information", "deferred"),
    ],
)
def test_a_wrong_verdict_fails_with_exit_code_1(defaults, folder, name, wrong_verdict):
    expect(folder, name, {**EXPECTED[name], "verdict": wrong_verdict})
    error, out = failing("--folder", str(folder))
    assert error.returncode == 1
    assert f"FAIL {name}: expected {wrong_verdict}, got {EXPECTED[name]['verdict']}" in out
    assert out.splitlines()[-1] == f"{len(EXPECTED) - 1} passed, 1 failed"


def test_a_required_rule_that_does_not_fire_fails(defaults, folder):
    expect(folder, "eligible", {**EXPECTED["eligible"], "has": ["MEDS-COMPATIBLE", "CV-AVM"]})
    error, out = failing("--folder", str(folder))
    assert error.returncode == 1
    assert "FAIL eligible: expected eligible, got eligible; missing CV-AVM" in out


def test_a_rejection_naming_the_wrong_path_fails(defaults, folder):
    expect(folder, "rejected-bad-input", {"reject": "blood_pressure[0].diastolic"})
    error, out = failing("--folder", str(folder))
    assert error.returncode == 1
    assert "FAIL rejected-bad-input: rejected: " in out
    assert out.splitlines()[-1] == f"{len(EXPECTED) - 1} passed, 1 failed"


def test_a_screened_example_expected_to_be_rejected_fails(defaults, folder):
    expect(folder, "eligible", {"reject": "patient.weight_kg"})
    error, out = failing("--folder", str(folder))
    assert error.returncode == 1
    assert "FAIL eligible: expected a rejection naming patient.weight_kg, got eligible" in out


def test_a_rejected_example_expected_to_screen_fails(defaults, folder):
    expect(folder, "rejected-bad-input", {"verdict": "eligible"})
    error, out = failing("--folder", str(folder))
    assert error.returncode == 1
    assert "FAIL rejected-bad-input: rejected: " in out


def test_an_expected_example_without_its_document_fails(defaults, folder):
    expect(folder, "no-such-example", {"verdict": "eligible"})
    error, out = failing("--folder", str(folder))
    assert error.returncode == 1
    assert "FAIL no-such-example: no-such-example.json: cannot read" in out
    assert out.splitlines()[-1] == f"{len(EXPECTED)} passed, 1 failed"


def test_a_missing_expected_json_is_an_error(defaults, tmp_path):
    with pytest.raises(CommandError, match="expected.json"):
        screen_examples("--folder", str(tmp_path))


def test_an_expected_json_that_is_not_json_is_an_error(defaults, folder):
    (folder / "expected.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="expected.json"):
        screen_examples("--folder", str(folder))


def test_without_an_active_rule_set_it_is_an_error(db):
    with pytest.raises(CommandError, match="No active rule set"):
        screen_examples()


def test_an_example_without_an_entry_in_expected_json_is_an_error(db, tmp_path):
    call_command("load_defaults", stdout=StringIO())
    (tmp_path / "expected.json").write_text("{}", encoding="utf-8")
    (tmp_path / "stray.json").write_text("{}", encoding="utf-8")

    with pytest.raises(CommandError, match="stray"):
        call_command("screen_examples", "--folder", str(tmp_path), stdout=StringIO())


@pytest.mark.parametrize("name", sorted(n for n, wanted in EXPECTED.items() if "verdict" in wanted))
def test_each_stored_verdict_is_the_one_all_its_findings_give(defaults, clinician, name):
    """review.effective_verdict shows the stored verdict when no override sets a finding aside (lists read
    screenings without their report): it must be the verdict the stored findings give."""
    from datetime import date

    from patients.services import intake_import
    from screening.engine.severity import verdict_for
    from screening.models import Screening
    from screening.review import effective_verdict
    from screening.services import screening_run

    doc = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    patient, _ = intake_import(doc=doc)
    screening = Screening.objects.get(
        pk=screening_run(
            patient=patient, requested_by=clinician, as_of=date.fromisoformat(doc["assessed_on"])
        ).pk
    )
    assert screening.verdict == verdict_for(f["severity"] for f in screening.report["findings"])
    assert effective_verdict(screening, []) == screening.verdict == EXPECTED[name]["verdict"]
