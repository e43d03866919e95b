"""`load_defaults` writes its rows in bulk: the history rows copied by the database (formulary.history),
the abbreviations in one insert, the lookup built from what the load just read. Each of these writes and
gives exactly what the plain way did: simple_history's bulk_create_with_history, update_or_create one
abbreviation after the other, a lookup read from the database."""

import json
from io import StringIO
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import models, transaction
from simple_history import utils as simple_history_utils
from simple_history.models import HistoricalRecords

from formulary import history as bulk_history
from formulary import selectors, services
from formulary.lookup import Formulary
from formulary.models import ErrorProneAbbreviation, FormularyEntry, FormularyStamp, FormularyVersion
from formulary.selectors import current_formulary
from formulary.services import formulary_load
from rules.models import Rule, RuleSet
from rules.services import ruleset_import
from tests.conftest import ROOT

pytestmark = pytest.mark.django_db

FIXTURES = ROOT / "fixtures"
BASES = (FormularyEntry, ErrorProneAbbreviation, FormularyVersion, FormularyStamp, RuleSet, Rule)
TABLES = (*BASES, FormularyEntry.history.model, RuleSet.history.model, Rule.history.model)


class Undo(Exception):
    pass


def contents() -> dict:
    """Every row of the tables a load writes, in primary-key order, with each id as the rank of its row
    (ids differ from one run to the next; which row a history row or a rule belongs to does not), the
    times as set or not, and whether each history is dated in the order of its rows."""
    ranks = {model: ids_in_order(model) for model in BASES}
    tables = {}
    for model in TABLES:
        base = getattr(model, "instance_type", model)
        rows = list(model.objects.order_by("pk").values())
        normal = []
        for row in rows:
            values = {}
            for field in model._meta.concrete_fields:
                value = row[field.attname]
                if field.primary_key and model in BASES or field.attname == "history_id":
                    value = "row"  # rows are listed in id order
                elif field.attname == "id":  # a history row: the row it is the history of
                    value = ranks[base][value]
                elif field.is_relation and field.related_model in ranks:
                    value = None if value is None else ranks[field.related_model][value]
                elif isinstance(field, models.DateTimeField) or field.attname == "stamp":
                    value = value is not None
                values[field.attname] = value
            normal.append(values)
        if hasattr(model, "instance_type"):
            dates = [row["history_date"] for row in rows]
            normal.append({"dated in order": dates == sorted(dates)})
        tables[model._meta.db_table] = normal
    return tables


def ids_in_order(model) -> dict[int, int]:
    """Each id of the model's rows, and of the rows its history remembers (deleted ones too), to its rank."""
    ids = set(model.objects.values_list("pk", flat=True))
    if hasattr(model, "history"):
        ids |= set(model.history.model.objects.values_list("id", flat=True))
    return {pk: rank for rank, pk in enumerate(sorted(ids))}


def lookup_of(formulary: Formulary) -> dict:
    labels = [
        label
        for entry in formulary.entries
        for label in (entry["generic"], *entry.get("brands", ()), *entry.get("aliases", ()))
    ]
    return {
        "entries": formulary.entries,
        "version": (formulary.version, formulary.sha256),
        "abbreviations": formulary.abbreviations,
        "conflicts": formulary.conflicts,
        "classes": formulary.classes,
        "hits": {label: formulary.lookup(label) for label in labels},
        "suggest": formulary.suggest("ami"),
    }


def reference_abbreviations(abbreviations):
    for a in abbreviations:
        ErrorProneAbbreviation.objects.update_or_create(
            abbreviation=a["abbreviation"].strip(),
            defaults={"means": a.get("means", []), "source": a.get("source", "A16")},
        )


def forget_lookups(monkeypatch):
    monkeypatch.setattr(selectors, "_cached", None)


def plain_lookup(entries, abbreviations, version):
    formulary = Formulary(entries, abbreviations)
    formulary.version, formulary.sha256 = version if version else (None, "")
    return formulary


def plainly(monkeypatch):
    """The plain way: simple_history writes the history, update_or_create the abbreviations, and every
    lookup is read from the database and built anew."""
    monkeypatch.setattr(bulk_history, "_copyable", lambda *args: False)
    monkeypatch.setattr(services, "_load_abbreviations", reference_abbreviations)
    monkeypatch.setattr(services, "formulary_read", lambda *args: None)
    monkeypatch.setattr(selectors, "_lookup", plain_lookup)
    forget_lookups(monkeypatch)


def load(prepare) -> tuple[dict, str, str, dict]:
    """What load_defaults writes, says and looks up after `prepare`, all undone afterwards."""
    out, err = StringIO(), StringIO()
    try:
        with transaction.atomic():
            prepare()
            call_command("load_defaults", stdout=out, stderr=err)
            result = contents(), out.getvalue(), err.getvalue(), lookup_of(current_formulary())
            raise Undo
    except Undo:
        pass
    return result


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def nothing():
    pass


def loaded_then_changed():
    call_command("load_defaults", stdout=StringIO())
    entry = FormularyEntry.objects.get(generic="alprazolam")
    entry.classes = ["benzodiazepine", "changed here"]
    entry.save()
    FormularyEntry.objects.get(generic="diazepam").delete()
    first, last = (
        ErrorProneAbbreviation.objects.order_by("pk")[:1].get(),
        ErrorProneAbbreviation.objects.last(),
    )
    ErrorProneAbbreviation.objects.filter(pk=first.pk).update(means=["something else"], source="local")
    last.delete()


def previous_shipped_set(title_change: str = ""):
    def prepare():
        formulary_load(data=fixture("formulary.json"))
        document = fixture("ruleset-2026.3.json")
        document["rules"][0]["title"] += title_change
        ruleset_import(data=document, shipped=True)

    return prepare


@pytest.mark.parametrize(
    "prepare",
    [nothing, loaded_then_changed, previous_shipped_set(), previous_shipped_set(" (the clinic's)")],
    ids=["empty", "loaded-then-changed", "upgrade", "clinic-changed"],
)
def test_load_defaults_writes_says_and_looks_up_what_the_plain_way_does(prepare, monkeypatch):
    fast = load(prepare)
    with monkeypatch.context() as plain:
        plainly(plain)
        reference = load(prepare)
    assert fast[0] == reference[0]
    assert fast[1:] == reference[1:]
    tables = fast[0]
    assert len(tables["screening_historicalformularyentry"]) > 500  # the history was written and compared
    assert len(tables["screening_historicalrule"]) > 50


def make(model, user, n: int = 3):
    if model is FormularyEntry:
        return [
            FormularyEntry(
                generic=f"drug {i}", atc=[f"N05BA{i:02d}"], classes=["c"], diazepam_10mg_equivalent_mg=i
            )
            for i in range(n)
        ]
    ruleset = RuleSet.objects.create(version=f"v-{user.pk}", protocol={})
    return [
        Rule(
            ruleset=ruleset,
            position=i,
            code=f"R{i}",
            severity="info",
            title="t",
            action="a",
            predicate={"op": i},
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("model", [FormularyEntry, Rule])
@pytest.mark.parametrize("who", ["nobody", "default user", "object's own user and reason", "request user"])
def test_bulk_history_rows_are_simple_historys(model, who, monkeypatch):
    users = get_user_model()
    author, editor, requester = (
        users.objects.create_user(name) for name in ("author", "editor", "requester")
    )
    if who == "request user":
        monkeypatch.setattr(
            HistoricalRecords.context, "request", SimpleNamespace(user=requester), raising=False
        )

    def write(create):
        try:
            with transaction.atomic():
                objs = make(model, author)
                if who == "object's own user and reason":
                    objs[1]._history_user, objs[1]._change_reason = editor, "edited"
                kwargs = {"default_user": author} if who != "nobody" and who != "request user" else {}
                created = create(objs, model, **kwargs)
                result = [o.pk for o in created] == [o.pk for o in objs], contents()
                raise Undo
        except Undo:
            pass
        return result

    assert write(bulk_history.bulk_create_with_history) == write(
        simple_history_utils.bulk_create_with_history
    )
    hist = write(bulk_history.bulk_create_with_history)[1][model.history.model._meta.db_table]
    assert [row["history_type"] for row in hist[:-1]] == ["+"] * 3
    assert hist[-1] == {"dated in order": True}
    expected_user = {"nobody": None, "request user": requester.pk}.get(who, author.pk)
    assert hist[0]["history_user_id"] == expected_user
    if who == "object's own user and reason":
        assert (hist[1]["history_user_id"], hist[1]["history_change_reason"]) == (editor.pk, "edited")


@pytest.mark.parametrize(
    "document",
    [
        [],
        [{"abbreviation": "QD", "means": ["daily"]}, {"abbreviation": " U ", "source": "local"}],
        [
            {"abbreviation": "QD", "means": ["daily"]},
            {"abbreviation": "QD", "means": ["every day"], "source": "x"},
        ],
    ],
    ids=["none", "new", "named-twice"],
)
@pytest.mark.parametrize(
    "stored", [[], [("QD", ["daily"], "A16")], [("QD", ["old"], "old"), ("IU", [], "A16")]]
)
def test_abbreviations_are_loaded_as_update_or_create_would(document, stored, monkeypatch):
    def write(upsert):
        try:
            with transaction.atomic():
                for abbreviation, means, source in stored:
                    ErrorProneAbbreviation.objects.create(
                        abbreviation=abbreviation, means=means, source=source
                    )
                upsert(document)
                result = list(
                    ErrorProneAbbreviation.objects.order_by("pk").values_list(
                        "abbreviation", "means", "source"
                    )
                )
                raise Undo
        except Undo:
            pass
        return result

    assert write(services._load_abbreviations) == write(reference_abbreviations)


def test_the_lookup_after_a_change_is_the_one_read_from_the_database(monkeypatch):
    call_command("load_defaults", stdout=StringIO())
    after_load = lookup_of(current_formulary())
    entry = FormularyEntry.objects.get(generic="alprazolam")
    entry.brands = [*entry.brands, "Alprazolam Brand Name"]
    entry.save()  # one entry: its signal records the change
    after_edit = lookup_of(current_formulary())
    assert after_edit["hits"]["Alprazolam Brand Name"].drug.generic == "alprazolam"
    forget_lookups(monkeypatch)
    assert lookup_of(current_formulary()) == after_edit
    assert after_edit["version"][0] == after_load["version"][0] + 1


def test_a_lookup_kept_from_before_keeps_its_version_when_another_process_brings_its_content_back(
    monkeypatch,
):
    call_command("load_defaults", stdout=StringIO())
    kept = current_formulary()
    version = kept.version
    with monkeypatch.context() as elsewhere:  # the changes of another process: this one's cache stays
        elsewhere.setattr(services, "formulary_read", lambda *args: None)
        entry = FormularyEntry.objects.get(generic="alprazolam")
        brands = entry.brands
        entry.brands = [*brands, "Alprazolam Brand Name"]
        entry.save()
        entry.brands = brands
        entry.save()  # the content this process has cached, as a new version
    now = current_formulary()  # read from the database: the same content, built once already
    assert (now.version, kept.version) == (version + 2, version)
    assert now.sha256 == kept.sha256
    assert {**lookup_of(now), "version": None} == {**lookup_of(kept), "version": None}
