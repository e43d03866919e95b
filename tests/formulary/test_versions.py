"""Every formulary change makes a new version with its sha256; a screening records the version it resolved
names with, and keeps showing it after later changes; export and import round-trip the content."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from formulary.models import FormularyEntry, FormularyVersion
from formulary.selectors import current_formulary
from formulary.services import formulary_document, formulary_load, formulary_sha256
from patients.services import intake_import
from screening.services import screening_run
from tests.conftest import EXAMPLES, ROOT

pytestmark = pytest.mark.django_db


@pytest.fixture
def defaults():
    call_command("load_defaults", stdout=StringIO())


def latest():
    return FormularyVersion.objects.order_by("-number").first()


def test_loading_the_defaults_records_a_version_of_the_content(defaults):
    version = latest()
    assert version.number >= 1
    assert version.sha256 == formulary_sha256(formulary_document())
    assert version.entries == FormularyEntry.objects.count()


def test_a_change_makes_a_new_version_and_the_same_content_does_not(defaults):
    before = latest()
    formulary_load(data=formulary_document())  # the same content again
    assert latest() == before

    entry = FormularyEntry.objects.get(generic="sertraline")
    entry.brands = [*entry.brands, "Sertraline Accord"]
    entry.save()

    after = latest()
    assert after.number == before.number + 1
    assert after.sha256 != before.sha256
    assert current_formulary().version == after.number


def test_a_screening_records_its_formulary_and_keeps_it(defaults, clinician, clinician_client):
    patient, _ = intake_import(doc=json.loads((EXAMPLES / "eligible.json").read_text()))
    screening = screening_run(patient=patient, requested_by=clinician)
    used = latest()
    assert (screening.formulary_version, screening.formulary_sha256) == (used.number, used.sha256)
    assert screening.report["formulary"] == {"version": used.number, "sha256": used.sha256}

    FormularyEntry.objects.create(generic="zzyzxol", atc=["N06AX99"])

    page = clinician_client.get(reverse("screening:detail", args=[screening.pk])).content.decode()
    assert f"formulary version {used.number}, SHA-256" in page
    assert used.sha256 in page
    assert latest().number == used.number + 1


def test_an_entry_keeps_its_history(defaults, rules_admin):
    entry = FormularyEntry.objects.get(generic="lamotrigine")
    entry._history_user = rules_admin
    entry.max_daily_mg = 700
    entry.max_daily_source = "A15: test"
    entry.save()

    last = entry.history.order_by("-history_date").first()
    assert (last.history_user, float(last.max_daily_mg)) == (rules_admin, 700)


def test_export_then_import_keeps_the_hash(defaults, tmp_path):
    target = tmp_path / "formulary.json"
    call_command("formulary", "export", str(target), stderr=StringIO())
    before = latest()

    out = StringIO()
    call_command("formulary", "import", str(target), stdout=out)

    assert latest() == before
    assert f"version {before.number} sha256 {before.sha256}" in out.getvalue()


def test_an_invalid_import_stores_nothing(defaults, tmp_path):
    document = formulary_document()
    document["entries"][0]["max_daily_mg"] = 100  # with no source
    document["entries"][1]["max_daily_mg"] = -1
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    before = latest()

    with pytest.raises(Exception, match="max_daily_source"):
        call_command("formulary", "import", str(path), stdout=StringIO())

    assert latest() == before


def test_a_renamed_entry_keeps_its_row_and_leaves_no_name_to_two_entries(db):
    """2026.1 shipped "codeine/acetaminophen"; 2026.2 names it "acetaminophen/codeine" (the old name an
    alias): loading 2026.2 over 2026.1 renames the row instead of leaving two entries claiming one name."""
    old = FormularyEntry.objects.create(
        generic="codeine/acetaminophen", brands=["Tylenol with Codeine"], atc=["N02AJ06"], classes=["opioid"]
    )
    fixture = json.loads((ROOT / "fixtures" / "formulary.json").read_text(encoding="utf-8"))

    formulary_load(data=fixture)

    old.refresh_from_db()
    assert old.generic == "acetaminophen/codeine"
    assert not FormularyEntry.objects.filter(generic="codeine/acetaminophen").exists()
    assert current_formulary().conflicts == {}
    assert current_formulary().resolve("Tylenol #3").generic == "acetaminophen/codeine"


def test_a_product_with_no_atc_code_is_matched_by_its_class(defaults, clinician):
    doc = json.loads((EXAMPLES / "eligible.json").read_text())
    doc["medications"]["items"].append(
        {"name": "kratom", "dose_mg": 2000, "times_per_day": 2, "as_needed": False}
    )
    patient, _ = intake_import(doc=doc)

    screening = screening_run(patient=patient, requested_by=clinician)

    assert "MEDS-CNS-DEPRESSANT" in screening.rule_codes
    row = next(m for m in screening.report["medications"] if m["name"] == "kratom")
    assert (row["generic"], row["atc"]) == ("kratom", None)
