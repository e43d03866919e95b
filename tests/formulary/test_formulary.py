"""The formulary: a typed medication name -> generic, ATC codes, classes and the A7 diazepam factor.

Lookup tests read fixtures/formulary.json directly (no database); formulary_load tests use the database.
"""

import copy
import json
from collections import defaultdict

import pytest

from formulary.lookup import Formulary, name_key
from formulary.models import FormularyEntry
from formulary.selectors import current_formulary
from formulary.services import FormularyInvalid, formulary_load
from tests.conftest import ROOT

FIXTURE = json.loads((ROOT / "fixtures" / "formulary.json").read_text(encoding="utf-8"))
RULESET = json.loads((ROOT / "fixtures" / "ruleset-default.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def formulary() -> Formulary:
    return Formulary(FIXTURE["entries"])


def labels(entry: dict) -> list[str]:
    return [entry["generic"], *entry.get("brands", []), *entry.get("aliases", [])]


# -- lookup -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "generic"),
    [
        ("lithium carbonate", "lithium"),
        ("sertraline HCl", "sertraline"),
        ("Sertraline Hydrochloride", "sertraline"),
        ("Seroquel XR", "quetiapine"),
        ("  KLONOPIN ", "clonazepam"),
        ("Adderall 20 mg", "dextroamphetamine/amphetamine"),
        ("Xanax-XR", "alprazolam"),
        ("wellbutrin xl 150 mg", "bupropion"),
        ("Depakote ER", "divalproex"),
        ("lamotrigine 200 mg tablet", "lamotrigine"),
        ("metoprolol succinate ER", "metoprolol"),
        ("Clorazepate Dipotassium", "clorazepate"),
        ("Tylenol   with  Codeine", "acetaminophen/codeine"),
    ],
)
def test_lookup_ignores_case_spacing_punctuation_salt_release_and_dose_words(formulary, typed, generic):
    assert formulary.resolve(typed).generic == generic


@pytest.mark.parametrize(
    ("typed", "generic"),
    [
        ("Zoloft", "sertraline"),
        ("Lexapro", "escitalopram"),
        ("Klonopin", "clonazepam"),
        ("Ativan", "lorazepam"),
        ("Spravato", "esketamine"),
        ("Lamictal", "lamotrigine"),
        ("Vyvanse", "lisdexamfetamine"),
        ("Suboxone", "buprenorphine/naloxone"),
        ("paracetamol", "acetaminophen"),
        ("salbutamol", "albuterol"),
        ("pethidine", "meperidine"),
        ("amphetamine", "amfetamine"),
        ("valproate", "valproic acid"),
    ],
)
def test_lookup_knows_brand_names_and_other_generic_names(formulary, typed, generic):
    assert formulary.resolve(typed).generic == generic


def test_a_hit_tells_which_name_matched(formulary):
    hit = formulary.lookup("seroquel xr")

    assert (hit.drug.generic, hit.matched) == ("quetiapine", "Seroquel")


def test_a_resolved_drug_carries_atc_codes_classes_and_diazepam_factor(formulary):
    drug = formulary.resolve("Klonopin")

    assert drug.atc == ("N03AE01",)
    assert drug.classes == ("benzodiazepine",)
    assert drug.diazepam_10mg_equivalent_mg == 0.5


@pytest.mark.parametrize("typed", ["Zzyzxitol", "ketamine tea", "sertra", "vitamin Q"])
def test_an_unknown_name_returns_none(formulary, typed):
    assert formulary.lookup(typed) is None
    assert formulary.resolve(typed) is None


@pytest.mark.parametrize("typed", ["", "   ", "\t\n"])
def test_an_empty_name_returns_none(formulary, typed):
    assert formulary.lookup(typed) is None


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("Sertraline HCl 50 mg", "sertraline"),
        ("Seroquel XR", "seroquel"),
        ("Tylenol with Codeine", "tylenolcodeine"),
        ("Tylenol #3", "tylenol#3"),
        ("Tylenol 3", "tylenol#3"),
        ("fluoxetine/olanzapine", "fluoxetineolanzapine"),
        ("Lithium Carbonate ER 300 mg", "lithium"),
        ("sodium oxybate", "oxybate"),
    ],
)
def test_name_key_keeps_only_the_words_that_name_the_drug(typed, key):
    assert name_key(typed) == key


# -- the fixture ------------------------------------------------------------------------------------------


def test_the_fixture_is_a_ketamine_formulary_1_document_with_at_least_150_entries():
    assert FIXTURE["format"] == "ketamine-formulary/1"
    assert len(FIXTURE["entries"]) >= 150


def test_every_generic_appears_once():
    generics = [entry["generic"] for entry in FIXTURE["entries"]]

    assert sorted(generics) == sorted(set(generics))


def test_no_name_resolves_to_two_generics():
    generics_by_key = defaultdict(set)
    for entry in FIXTURE["entries"]:
        for label in labels(entry):
            generics_by_key[name_key(label)].add(entry["generic"])

    assert {key: generics for key, generics in generics_by_key.items() if len(generics) > 1} == {}


def test_every_name_in_an_entry_resolves_to_that_entry(formulary):
    expected = [
        (label, entry["generic"])
        for entry in FIXTURE["entries"]
        for label in labels(entry)
        if not formulary.is_ambiguous(label)
    ]

    assert [(label, getattr(formulary.resolve(label), "generic", None)) for label, _ in expected] == expected


def test_no_two_entries_claim_one_name(formulary):
    assert formulary.conflicts == {}


@pytest.mark.parametrize(
    ("generic", "mg_equal_to_10mg_diazepam"),
    [
        ("alprazolam", 0.5),
        ("clonazepam", 0.5),
        ("lorazepam", 1),
        ("diazepam", 10),
        ("chlordiazepoxide", 25),
        ("clorazepate", 15),
        ("oxazepam", 20),
        ("temazepam", 20),
        ("triazolam", 0.5),
        ("estazolam", 1),
        ("flurazepam", 15),
        ("quazepam", 20),
    ],
)
def test_every_a7_benzodiazepine_has_its_diazepam_factor(formulary, generic, mg_equal_to_10mg_diazepam):
    drug = formulary.resolve(generic)

    assert drug.diazepam_10mg_equivalent_mg == mg_equal_to_10mg_diazepam
    assert "benzodiazepine" in drug.classes


def test_only_benzodiazepines_carry_a_diazepam_factor():
    with_factor = [
        entry["generic"]
        for entry in FIXTURE["entries"]
        if entry.get("diazepam_10mg_equivalent_mg") is not None
        and "benzodiazepine" not in entry.get("classes", [])
    ]

    assert with_factor == []


@pytest.mark.parametrize(
    ("drug_class", "example"),
    [
        ("ssri", "sertraline"),
        ("snri", "venlafaxine"),
        ("tca", "amitriptyline"),
        ("maoi", "phenelzine"),
        ("antipsychotic", "aripiprazole"),
        ("sedating_antipsychotic", "quetiapine"),
        ("mood_stabilizer", "lithium"),
        ("benzodiazepine", "lorazepam"),
        ("z_drug", "zolpidem"),
        ("barbiturate", "phenobarbital"),
        ("stimulant", "methylphenidate"),
        ("opioid", "oxycodone"),
        ("gabapentinoid", "pregabalin"),
        ("nmda_antagonist", "memantine"),
    ],
)
def test_the_drug_classes_the_rules_need_are_present(formulary, drug_class, example):
    assert drug_class in formulary.resolve(example).classes


@pytest.mark.parametrize(
    "generic",
    [
        "theophylline",
        "naltrexone",
        "lisinopril",
        "amlodipine",
        "metformin",
        "levothyroxine",
        "atorvastatin",
        "omeprazole",
        "esketamine",
        "lamotrigine",
    ],
)
def test_common_medications_are_present(formulary, generic):
    assert formulary.resolve(generic).generic == generic


MEDICATION_RULE_ATC_PREFIXES = sorted(
    {prefix for rule in RULESET["rules"] for prefix in rule["predicate"]["params"].get("atc_prefixes", [])}
)


@pytest.mark.parametrize("prefix", MEDICATION_RULE_ATC_PREFIXES)
def test_every_atc_prefix_a_default_rule_names_matches_a_formulary_entry(prefix):
    matching = [
        entry["generic"]
        for entry in FIXTURE["entries"]
        if any(code.startswith(prefix) for code in entry["atc"])
    ]

    assert matching != []


# -- suggest ----------------------------------------------------------------------------------------------


def minimal_entry(generic: str, *brands: str) -> dict:
    return {"generic": generic, "brands": list(brands), "atc": ["X00XX00"], "classes": []}


SMALL = Formulary(
    [
        minimal_entry("clorazepate", "Tranxene"),
        minimal_entry("desloratadine", "Clarinex"),
        minimal_entry("loratadine", "Claritin"),
        minimal_entry("lorazepam", "Ativan"),
    ]
)


def test_suggest_lists_names_that_start_with_the_text_before_names_that_contain_it():
    matched = [hit.matched for hit in SMALL.suggest("lora")]

    assert sorted(matched[:2]) == ["loratadine", "lorazepam"]
    assert sorted(matched[2:]) == ["clorazepate", "desloratadine"]


def test_suggest_matches_brands_too():
    assert sorted(hit.matched for hit in SMALL.suggest("clari")) == ["Clarinex", "Claritin"]


def test_suggest_ignores_case_and_salt_words():
    assert [hit.matched for hit in SMALL.suggest("LORAZEPAM HCl")] == ["lorazepam"]


def test_suggest_stops_at_the_limit():
    assert len(SMALL.suggest("a", limit=2)) == 2


@pytest.mark.parametrize("text", ["", "  ", "xyz"])
def test_suggest_returns_nothing_for_empty_or_unknown_text(text):
    assert SMALL.suggest(text) == []


def test_suggest_on_the_fixture_puts_prefix_matches_first(formulary):
    starts = [name_key(hit.matched).startswith("pam") for hit in formulary.suggest("pam")]

    assert starts[0] is True
    assert starts == sorted(starts, reverse=True)


# -- formulary_load (database) ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_loading_the_fixture_creates_one_row_per_entry():
    assert formulary_load(data=FIXTURE) == (len(FIXTURE["entries"]), 0)
    assert FormularyEntry.objects.count() == len(FIXTURE["entries"])


@pytest.mark.django_db
def test_loading_twice_changes_nothing_the_second_time():
    formulary_load(data=FIXTURE)

    assert formulary_load(data=FIXTURE) == (0, 0)  # every row already holds its values: none rewritten
    assert FormularyEntry.objects.count() == len(FIXTURE["entries"])


@pytest.mark.django_db
def test_a_second_load_replaces_the_stored_values_of_an_entry():
    formulary_load(data={"format": "ketamine-formulary/1", "entries": [minimal_entry("lorazepam", "Ativan")]})
    changed = {
        **minimal_entry("lorazepam", "Ativan", "Loreev XR"),
        "classes": ["benzodiazepine"],
        "diazepam_10mg_equivalent_mg": 1.0,
    }

    formulary_load(data={"format": "ketamine-formulary/1", "entries": [changed]})

    row = FormularyEntry.objects.get(generic="lorazepam")
    assert (row.brands, row.classes, float(row.diazepam_10mg_equivalent_mg)) == (
        ["Ativan", "Loreev XR"],
        ["benzodiazepine"],
        1.0,
    )


@pytest.mark.django_db
def test_the_stored_formulary_resolves_like_the_fixture():
    formulary_load(data=FIXTURE)
    drug = current_formulary().resolve("Klonopin")

    assert (drug.generic, drug.atc, drug.diazepam_10mg_equivalent_mg) == ("clonazepam", ("N03AE01",), 0.5)


def with_entries(*entries) -> dict:
    return {"format": "ketamine-formulary/1", "entries": list(entries)}


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (
            {"format": "ketamine-formulary/0", "entries": [minimal_entry("lorazepam")]},
            "format: must be ketamine-formulary/1",
        ),
        (with_entries(), "entries: must be a non-empty list"),
        (with_entries(minimal_entry("lorazepam"), {"generic": " "}), "entries[1].generic: required"),
        (
            with_entries(minimal_entry("lorazepam"), minimal_entry("lorazepam")),
            "entries[1] (lorazepam).generic: duplicate",
        ),
        (
            with_entries(minimal_entry("lorazepam"), {**minimal_entry("zolpidem"), "atc": []}),
            "entries[1] (zolpidem).atc: required (or, for a product with no ATC code, its classes)",
        ),
        (
            with_entries(minimal_entry("lorazepam"), {**minimal_entry("zolpidem"), "brands": "Ambien"}),
            "entries[1] (zolpidem).brands: must be a list",
        ),
        (
            with_entries(
                minimal_entry("lorazepam"), {**minimal_entry("diazepam"), "diazepam_10mg_equivalent_mg": 0}
            ),
            "entries[1] (diazepam).diazepam_10mg_equivalent_mg: must be a positive number or null",
        ),
    ],
)
@pytest.mark.django_db
def test_invalid_formulary_data_is_rejected_whole_and_nothing_is_stored(data, problem):
    with pytest.raises(FormularyInvalid) as rejected:
        formulary_load(data=data)

    assert problem in rejected.value.errors
    assert FormularyEntry.objects.count() == 0


@pytest.mark.django_db
def test_a_rejected_reload_leaves_the_stored_formulary_as_it_was():
    formulary_load(data=FIXTURE)
    broken = copy.deepcopy(FIXTURE)
    broken["entries"][0]["brands"] = ["Renamed"]
    broken["entries"][-1]["atc"] = "not a list"

    with pytest.raises(FormularyInvalid):
        formulary_load(data=broken)

    first = FIXTURE["entries"][0]
    assert FormularyEntry.objects.get(generic=first["generic"]).brands == first["brands"]
    assert FormularyEntry.objects.count() == len(FIXTURE["entries"])
