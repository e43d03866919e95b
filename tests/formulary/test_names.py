"""Resolving a typed name (criteria.md): right or refuse. Strengths, units, release forms and dosing words
never prevent a match; a combination matches however it is joined; a number that names a product is never
dropped; an error-prone abbreviation (A16) never resolves."""

import json
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formulary.lookup import Formulary
from formulary.names import ERROR_PRONE, IGNORED_WORDS, lookup_keys, parse
from tests.conftest import ROOT

FIXTURE = json.loads((ROOT / "fixtures" / "formulary.json").read_text(encoding="utf-8"))
FORMULARY = Formulary(
    FIXTURE["entries"], [a["abbreviation"] for a in FIXTURE.get("error_prone_abbreviations", [])]
)
SMALL = Formulary(
    [
        {"generic": "acetaminophen", "brands": ["Tylenol"], "atc": ["N02BE01"]},
        {
            "generic": "acetaminophen/codeine",
            "components": ["acetaminophen", "codeine"],
            "brands": ["Tylenol #3", "Tylenol #4", "Tylenol with Codeine"],
            "aliases": ["Tylenol 3", "Tylenol 4"],
            "atc": ["N02AJ06", "N02BE01", "R05DA04"],
        },
        {
            "generic": "dextroamphetamine/amphetamine",
            "components": ["dextroamphetamine", "amphetamine"],
            "brands": ["Adderall"],
            "atc": ["N06BA02", "N06BA01"],
        },
        {
            "generic": "alprazolam",
            "brands": ["Xanax"],
            "atc": ["N05BA12"],
            "diazepam_10mg_equivalent_mg": 0.5,
        },
        {"generic": "liothyronine", "brands": ["Cytomel"], "atc": ["H03AA02"]},
        {"generic": "lorazepam", "brands": ["Ativan"], "atc": ["N05BA06"]},
        {
            "generic": "buprenorphine/naloxone",
            "components": ["buprenorphine", "naloxone"],
            "brands": ["Suboxone"],
            "atc": ["N07BC51"],
        },
    ]
)


@pytest.mark.parametrize(
    ("typed", "generic"),
    [
        ("Tylenol", "acetaminophen"),
        ("Tylenol 500 mg", "acetaminophen"),
        ("Tylenol #3", "acetaminophen/codeine"),
        ("Tylenol 3", "acetaminophen/codeine"),
        ("tylenol # 4", "acetaminophen/codeine"),
        ("Tylenol #3 300/30 mg tablet", "acetaminophen/codeine"),
        ("Tylenol with Codeine", "acetaminophen/codeine"),
        ("acetaminophen-codeine", "acetaminophen/codeine"),
        ("codeine/acetaminophen 30/300", "acetaminophen/codeine"),
        ("acetaminophen and codeine", "acetaminophen/codeine"),
        ("dextroamphetamine-amphetamine", "dextroamphetamine/amphetamine"),
        ("amphetamine/dextroamphetamine", "dextroamphetamine/amphetamine"),
        ("Dextroamphetamine Amphetamine ER 20 mg", "dextroamphetamine/amphetamine"),
        ("Adderall XR 20", "dextroamphetamine/amphetamine"),
        ("buprenorphine and naloxone", "buprenorphine/naloxone"),
        ("Suboxone 8-2 mg film", "buprenorphine/naloxone"),
        ("Xanax 0.5 mg", "alprazolam"),
        ("xanax 1 tab PO TID PRN", "alprazolam"),
        ("lorazepam PRN", "lorazepam"),
        ("Ativan 1mg qhs", "lorazepam"),
        ("ALPRAZOLAM ODT", "alprazolam"),
    ],
)
def test_typed_names_resolve_as_the_contract_says(typed, generic):
    assert getattr(SMALL.resolve(typed), "generic", None) == generic


@pytest.mark.parametrize("typed", ["Tylenol #5", "Tylenol 5", "Tylenol 500", "tylenol #2 300 mg"])
def test_a_product_number_never_falls_back_to_the_plain_brand(typed):
    """A brand with numbered products: an unknown number (or a bare number that may be one) refuses."""
    assert SMALL.resolve(typed) is None


@pytest.mark.parametrize(
    "typed", [*ERROR_PRONE, "t3", "T3 25 mcg", "HCTZ 25 mg daily", "MSO4 15mg q4h", "MgSO4"]
)
def test_an_error_prone_abbreviation_never_resolves(typed):
    assert SMALL.is_ambiguous(typed)
    assert SMALL.resolve(typed) is None
    assert FORMULARY.resolve(typed) is None


def test_a_longer_name_that_starts_like_an_abbreviation_is_not_ambiguous():
    assert not SMALL.is_ambiguous("MS Contin")
    assert not SMALL.is_ambiguous("Cytomel")


@pytest.mark.parametrize(
    ("typed", "words", "number", "parts"),
    [
        ("Tylenol #3", ("tylenol",), "3", (("tylenol",),)),
        ("Percocet 5/325", ("percocet",), "", (("percocet",),)),
        (
            "buprenorphine-naloxone 8-2 mg SL film",
            ("buprenorphine", "naloxone"),
            "",
            (("buprenorphine",), ("naloxone",)),
        ),
        ("Sertraline HCl 50 mg", ("sertraline",), "", (("sertraline",),)),
    ],
)
def test_parse_keeps_the_words_that_name_the_drug(typed, words, number, parts):
    parsed = parse(typed)
    assert (parsed.words, parsed.product_number, parsed.components) == (words, number, parts)


def test_the_bare_name_is_tried_last():
    assert lookup_keys("Tylenol #3", frozenset({"tylenol"})) == ["tylenol#3"]
    assert lookup_keys("acetaminophen/codeine") == ["acetaminophen+codeine", "acetaminophencodeine"]


# ------------------------------------------------------------------------------------------- properties

LABELS = [
    (label, entry["generic"])
    for entry in FIXTURE["entries"]
    for label in (entry["generic"], *entry.get("brands", []), *entry.get("aliases", []))
    if not FORMULARY.is_ambiguous(label)
]
NOISE = sorted(IGNORED_WORDS - {"a"}) + [
    "5 mg",
    "0.5mg",
    "10/325",
    "100 mcg",
    "8-2 mg",
    "1,000",
    "(",
    ")",
    ",",
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(LABELS),
    st.lists(st.sampled_from(NOISE), max_size=4),
    st.lists(st.sampled_from(NOISE), max_size=3),
    st.sampled_from([str.lower, str.upper, str.title, lambda s: s]),
)
def test_a_decorated_name_resolves_to_its_own_entry_or_to_nothing(label, before, after, case):
    """Never a wrong drug: a formulary name with strengths, forms and dosing words around it, in any case,
    resolves to that name's entry or refuses."""
    name, generic = label
    typed = case(" ".join([*before, name, *after]))
    found = FORMULARY.resolve(typed)
    assert found is None or found.generic == generic, (typed, found.generic)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=string.ascii_letters + string.digits + " #/-.", min_size=1, max_size=12))
def test_no_typed_text_crashes_the_resolver(text):
    found = FORMULARY.resolve(text)
    assert found is None or found.generic


# ------------------------------------------------------------------------------------------- a realistic list

TYPED = [
    tuple(line.rstrip("\n").split("\t"))
    for line in (ROOT / "tests" / "formulary" / "data" / "typed_names.tsv")
    .read_text(encoding="utf-8")
    .splitlines()
    if line.strip() and not line.startswith("#")
]


def test_the_list_is_a_few_hundred_names():
    assert len(TYPED) >= 300


@pytest.mark.parametrize(("typed", "generic"), TYPED)
def test_no_typed_name_resolves_to_a_wrong_drug(typed, generic):
    """Right or refuse: each name resolves to the listed generic or to nothing (an empty generic: must
    not resolve at all, e.g. an error-prone abbreviation)."""
    found = FORMULARY.resolve(typed)
    if not generic:
        assert found is None
    else:
        assert found is None or found.generic == generic


def test_at_least_97_percent_of_the_list_resolves_to_the_right_generic():
    right = sum(1 for typed, generic in TYPED if getattr(FORMULARY.resolve(typed), "generic", "") == generic)
    assert right / len(TYPED) >= 0.97, f"{right} of {len(TYPED)}"
