"""`manage.py rules`: export and import (a taken version becomes VERSION-import, -import-2, ...), and `doc`,
the Markdown catalogue that docs/rules.md must equal."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from rules.models import RuleSet
from rules.selectors import VERSION_MAX, free_version
from rules.services import ruleset_import
from tests.conftest import ROOT
from tests.defaults_snapshot import load_defaults_for_test

pytestmark = pytest.mark.django_db

DEFAULT = json.loads((ROOT / "fixtures" / "ruleset-default.json").read_text(encoding="utf-8"))
SOURCES = json.loads((ROOT / "fixtures" / "sources.json").read_text(encoding="utf-8"))["sources"]
CATALOGUE = ROOT / "docs" / "rules.md"


def rules(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("rules", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def defaults(db):
    load_defaults_for_test()
    return RuleSet.objects.get(version=DEFAULT["version"])


@pytest.fixture
def exported(defaults, tmp_path):
    path = tmp_path / "exported.json"
    rules("export", "--output", str(path))
    return path


# -- import ------------------------------------------------------------------------------------------------


def test_the_default_rule_set_is_2026_4(defaults):
    assert (defaults.version, defaults.status, defaults.is_active) == ("2026.4", "published", True)


def test_importing_an_existing_version_creates_a_draft_named_version_import(defaults, exported):
    rules("import", str(exported))
    draft = RuleSet.objects.get(version="2026.4-import")
    assert draft.status == RuleSet.Status.DRAFT
    assert draft.is_active is False


def test_the_imported_draft_has_the_content_of_the_source(defaults, exported):
    rules("import", str(exported))
    draft = RuleSet.objects.get(version="2026.4-import")
    assert draft.sha256 == defaults.sha256
    assert draft.rules.count() == defaults.rules.count() == len(DEFAULT["rules"])
    assert list(draft.rules.values_list("code", flat=True)) == [r["code"] for r in DEFAULT["rules"]]


def test_the_active_rule_set_is_untouched_by_an_import(defaults, exported):
    rules("import", str(exported))
    assert RuleSet.objects.get(is_active=True) == defaults


def test_importing_again_takes_the_next_free_name(defaults, exported):
    rules("import", str(exported))
    rules("import", str(exported))
    assert set(RuleSet.objects.values_list("version", flat=True)) == {
        "2026.4",
        "2026.4-import",
        "2026.4-import-2",
    }


@pytest.mark.parametrize("imports", [1, 2, 3])
def test_stderr_names_the_draft_it_created(defaults, exported, imports):
    names = ["2026.4-import", "2026.4-import-2", "2026.4-import-3"]
    errs = [rules("import", str(exported))[1] for _ in range(imports)]
    assert errs[-1] == f"version 2026.4 exists; the draft is named {names[imports - 1]}\n"


def test_stdout_reports_the_draft_rules_and_hash(defaults, exported):
    out, _ = rules("import", str(exported))
    assert out == f"draft 2026.4-import created ({len(DEFAULT['rules'])} rules), sha256 {defaults.sha256}\n"


def test_importing_a_free_version_keeps_it_and_says_nothing_on_stderr(db):
    out, err = rules("import", str(ROOT / "fixtures" / "ruleset-default.json"))
    assert RuleSet.objects.get().version == "2026.4"
    assert err == ""
    assert out.startswith("draft 2026.4 created")


def test_version_option_names_the_draft(defaults, exported):
    _, err = rules("import", str(exported), "--version", "2026.4-candidate")
    draft = RuleSet.objects.get(version="2026.4-candidate")
    assert draft.status == RuleSet.Status.DRAFT
    assert draft.sha256 == defaults.sha256
    assert not RuleSet.objects.filter(version__contains="-import").exists()
    assert err == ""


def test_version_option_naming_an_existing_version_is_refused_and_creates_nothing(defaults, exported):
    with pytest.raises(CommandError, match="exists; choose another"):
        rules("import", str(exported), "--version", "2026.4")
    assert list(RuleSet.objects.values_list("version", flat=True)) == ["2026.4"]


def test_version_option_naming_an_earlier_import_is_refused(defaults, exported):
    rules("import", str(exported))
    with pytest.raises(CommandError, match="2026.4-import"):
        rules("import", str(exported), "--version", "2026.4-import")
    assert RuleSet.objects.count() == 2


def test_an_invalid_file_is_rejected_with_exit_code_2_and_creates_nothing(defaults, tmp_path):
    broken = {**DEFAULT, "rules": [{**DEFAULT["rules"][0], "severity": "catastrophic"}]}
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(CommandError) as raised:
        rules("import", str(path))
    assert raised.value.returncode == 2
    assert RuleSet.objects.count() == 1


def test_a_rule_on_a_misspelt_answer_is_refused_naming_rule_and_field_and_creates_nothing(
    defaults, tmp_path, capsys
):
    data = json.loads(json.dumps(DEFAULT))
    rule = next(r for r in data["rules"] if r["code"] == "PSY-SUICIDE-IMMINENT")
    rule["predicate"]["params"]["answer"] = "psychosis_histroy"
    path = tmp_path / "misspelt.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    err = StringIO()

    with pytest.raises(CommandError) as raised:
        call_command("rules", "import", str(path), stdout=StringIO(), stderr=err)

    assert raised.value.returncode == 2
    assert (
        "(PSY-SUICIDE-IMMINENT).predicate.params.answer: 'psychosis_histroy' is not an intake answer"
        in err.getvalue()
    )
    assert RuleSet.objects.count() == 1


def test_a_file_that_is_not_json_is_refused(db, tmp_path):
    path = tmp_path / "not.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="not valid JSON"):
        rules("import", str(path))
    assert not RuleSet.objects.exists()


# -- free_version ------------------------------------------------------------------------------------------


def stored(version: str) -> RuleSet:
    return ruleset_import(data={**DEFAULT, "version": version})


def test_free_version_keeps_a_version_no_rule_set_has(db):
    assert free_version("2026.9") == "2026.9"


def test_free_version_at_the_length_limit_stays_within_it(db):
    longest = "v" * VERSION_MAX
    stored(longest)
    candidate = free_version(longest)
    assert len(candidate) <= VERSION_MAX
    assert candidate.endswith("-import")


def test_free_version_at_the_length_limit_counts_on_within_it(db):
    longest = "v" * VERSION_MAX
    stored(longest)
    stored(free_version(longest))
    candidate = free_version(longest)
    assert len(candidate) <= VERSION_MAX
    assert candidate.endswith("-import-2")


def test_importing_a_file_at_the_length_limit_twice_gives_storable_names(db, tmp_path):
    path = tmp_path / "long.json"
    path.write_text(json.dumps({**DEFAULT, "version": "v" * VERSION_MAX}), encoding="utf-8")
    for _ in range(3):
        rules("import", str(path))
    versions = sorted(RuleSet.objects.values_list("version", flat=True))
    assert [len(v) <= VERSION_MAX for v in versions] == [True, True, True]
    assert len(set(versions)) == 3


# -- doc ---------------------------------------------------------------------------------------------------


def test_committed_catalogue_matches_the_default_rule_set(monkeypatch):
    monkeypatch.chdir(ROOT)
    out, _ = rules("doc")
    assert out == CATALOGUE.read_text(encoding="utf-8"), (
        "docs/rules.md is out of date; run: manage.py rules doc > docs/rules.md"
    )


def test_doc_lists_every_rule_code_of_the_default_fixture(monkeypatch):
    monkeypatch.chdir(ROOT)
    out, _ = rules("doc")
    assert [r["code"] for r in DEFAULT["rules"] if f"#### {r['code']}\n" not in out] == []
    assert [r["code"] for r in DEFAULT["rules"] if f"| `{r['code']}`" not in out] == []


def test_doc_lists_every_source_id(monkeypatch):
    monkeypatch.chdir(ROOT)
    out, _ = rules("doc")
    assert [s["id"] for s in SOURCES if f"\n| {s['id']} | " not in out] == []


def test_doc_of_a_file(tmp_path):
    path = tmp_path / "renamed.json"
    path.write_text(json.dumps({**DEFAULT, "version": "2027.1"}), encoding="utf-8")
    out, _ = rules("doc", str(path))
    assert out.startswith("# Rule catalogue: rule set 2027.1\n")
    assert f"from `{path}`" in out


def test_doc_of_a_stored_version_equals_the_fixture_catalogue(defaults):
    out, _ = rules("doc", "2026.4")
    committed = CATALOGUE.read_text(encoding="utf-8")
    assert out == committed.replace("`fixtures/ruleset-default.json`", "`rule set 2026.4 (database)`")


def test_doc_of_a_stored_draft_names_it(defaults, exported):
    rules("import", str(exported))
    out, _ = rules("doc", "2026.4-import")
    assert out.startswith("# Rule catalogue: rule set 2026.4-import\n")
    assert "`rule set 2026.4-import (database)`" in out


def test_doc_of_an_unknown_version_is_refused(db):
    with pytest.raises(CommandError, match="no rule set 1999.1"):
        rules("doc", "1999.1")


def test_doc_default_works_from_another_working_directory(db, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    out, _ = rules("doc")
    assert out == CATALOGUE.read_text(encoding="utf-8")
