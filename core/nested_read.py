"""A row with its lists in one query, its SQL written once per process (issue 16).

The ORM reads a patient's record in five queries (the patient, then one per list it prefetches), and builds
each query's SQL anew on every request: on the patient page that was most of the page's own cost. Here the
database returns the row, the rows it points to and its lists as one JSON document:

    SELECT json_build_array(<the row>, (<a row it points to>), (<each list>)...) FROM <table> WHERE id IN (...)

or, for the first rows of a list in the model's order (`first`), over `(SELECT * FROM <table> ORDER BY ...
LIMIT n)`. The SQL is built from the models' metadata the first time it is needed and kept; each value comes
back as the JSON the database writes for it (decimals as text, so nothing goes through a float), and is
turned into what the ORM would have read (`_converter`). The instances are the models' own, in the state
Model.from_db leaves them (columns not read are deferred, as with `.only()`), each list is installed as the
ORM's prefetch installs it (so
`patient.diagnoses.all()` runs no query), and each child holds its parent. Same answer as the ORM's read on
PostgreSQL and SQLite (tests/patients/test_record_read.py, tests/core/test_nested_read.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import Model, signals
from django.db.models.base import ModelState
from django.utils.dateparse import parse_datetime

from .prepared import prepared_cursor

MAX_ARGUMENTS = 100  # PostgreSQL's limit on a function's arguments (json_build_array)


@dataclass(frozen=True)
class Joined:
    """A row a foreign key points to (or the row of a reverse one-to-one), read with the row that holds the
    relation; only `fields` are loaded."""

    name: str  # the relation's name on the model ("medications_reconciled_by", "signoff")
    fields: tuple[str, ...] | None = None  # None: every column


@dataclass(frozen=True)
class Annotation:
    """A value computed by the database for each row, set as an attribute: `sql(alias)` writes it over the
    row's table alias (a JSON value: PostgreSQL and SQLite spell JSON paths differently, so it may look at
    `connection.vendor`); `convert` turns the JSON value into what the ORM's annotation would have read."""

    name: str
    sql: Callable[[str], str]
    convert: Callable[[Any], Any] | None = None


@dataclass(frozen=True)
class Child:
    """A list of rows pointing to the parent (a reverse foreign key), in `ordering` (else the order of the
    model's Meta), installed as the ORM's prefetch installs it; or, with a `limit`, the first `limit` rows
    as `parent.nested[name]` (never as the prefetched list: `parent.<name>.all()` must not answer with part)."""

    name: str  # the related manager on the parent ("diagnoses")
    joined: tuple[Joined, ...] = ()
    ordering: tuple[str, ...] | None = None
    fields: tuple[str, ...] | None = None  # None: every column
    limit: int | None = None
    annotations: tuple[Annotation, ...] = ()


@dataclass(frozen=True)
class Single:
    """One row of another table, not related to the parent, read in the same round trip: the row `where`
    (SQL over that table's columns) selects, or None; at most one row may match. On the parent as
    `parent.nested[name]`, with only `fields` loaded."""

    name: str
    model: type[Model]
    where: str
    fields: tuple[str, ...]


@dataclass
class NestedRead:
    model: type[Model]
    fields: tuple[str, ...] | None = None  # None: every column; else these (and the id), the rest deferred
    joined: tuple[Joined, ...] = ()
    children: tuple[Child, ...] = ()
    singles: tuple[Single, ...] = ()
    annotations: tuple[Annotation, ...] = ()
    _sql: dict[str, str] = field(default_factory=dict, repr=False)
    _children: dict[str, tuple] = field(default_factory=dict, repr=False)  # each list's relation and columns

    def add(self, part: Child | Single | Annotation) -> None:
        """A list, a row or a value an app above the model's reads with it (registered once, from its
        AppConfig.ready); a part of the same name is replaced."""
        kind = {Child: "children", Single: "singles", Annotation: "annotations"}[type(part)]
        setattr(self, kind, (*(p for p in getattr(self, kind) if p.name != part.name), part))
        self._sql.clear()
        self._children.clear()

    def by_ids(self, ids) -> dict[int, Model]:
        """The rows with these ids, each with its joined rows and lists; a missing id is left out."""
        ids = [pk for pk in (int(pk) for pk in ids) if -(2**63) <= pk < 2**63]  # no such id can exist
        if not ids:
            return {}
        return {row.pk: row for row in self._rows(self.sql(len(ids)), ids)}

    def first(self, limit: int) -> list[Model]:
        """The first `limit` rows in the model's ordering (its Meta), in that order, each with its joined rows
        and lists: a list's first page with what its rows show, in one query."""
        limit = max(0, int(limit))
        return self._rows(self._kept(f"first:{limit}", lambda: self._first(limit)), [])

    def _rows(self, sql: str, params: list) -> list[Model]:
        with prepared_cursor() as cursor:
            cursor.execute(sql, params)
            documents = [row[0] for row in cursor.fetchall()]
        return [self._parent(json.loads(text) if isinstance(text, str) else text) for text in documents]

    def sql(self, count: int) -> str:
        return self._kept("ids", self._by_ids).replace("%(ids)s", ", ".join(["%s"] * count))

    # -- the SQL ---------------------------------------------------------------------------------------

    def _kept(self, kind: str, write: Callable[[], str]) -> str:
        key = f"{connection.vendor}:{kind}"
        if key not in self._sql:
            self._sql[key] = write()
        return self._sql[key]

    def _document(self) -> str:
        fields = _some_fields(self.model, self.fields)
        parts = [_row(self.model, "t0", fields, self.joined, self.annotations, "j")]
        parts += [self._child_list(child, i) for i, child in enumerate(self.children)]
        parts += [_single_row(single, f"s{i}") for i, single in enumerate(self.singles)]
        document = _array(parts)
        return document + "::text" if connection.vendor == "postgresql" else document

    def _by_ids(self) -> str:
        table, pk = self.model._meta.db_table, self.model._meta.pk.column
        # names from the models' metadata, quoted; the ids are parameters
        return f"SELECT {self._document()} FROM {_quote(table)} t0 WHERE t0.{_quote(pk)} IN (%(ids)s)"  # noqa: S608

    def _first(self, limit: int) -> str:
        """The documents are written over the subquery's `limit` rows, never over the table's. The limit is in
        the text: as a parameter, a prepared statement's generic plan would expect a tenth of the table (and
        as many lists), so PostgreSQL would plan it anew on every execution."""
        table, ordering = _quote(self.model._meta.db_table), list(self.model._meta.ordering or [])
        inner, outer = (_order_by(self.model, ordering, alias, total=True) for alias in (table, "t0"))
        return (
            f"SELECT {self._document()} FROM (SELECT * FROM {table} ORDER BY {inner} LIMIT {int(limit)}) t0 "  # noqa: S608
            f"ORDER BY {outer}"
        )

    def _child_list(self, child: Child, i: int) -> str:
        relation = self.model._meta.get_field(child.name)
        model, alias = relation.related_model, f"c{i}"
        order = _order_by(model, _ordering(child, model), alias)
        item = _row(
            model, alias, _child_fields(model, relation, child), child.joined, child.annotations, f"{alias}j"
        )
        where = f"{alias}.{_quote(relation.field.column)} = t0.{_quote(self.model._meta.pk.column)}"
        source = f"FROM {_quote(model._meta.db_table)} {alias} WHERE {where}"
        if child.limit is not None:  # the first rows in order, then their JSON (in order on PostgreSQL)
            source = f"FROM (SELECT * {source} ORDER BY {order} LIMIT {int(child.limit)}) {alias}"  # noqa: S608
        if connection.vendor == "postgresql":
            return f"(SELECT COALESCE(json_agg({item}), '[]') {source})"
        return f"json((SELECT COALESCE(json_group_array({item}), '[]') {source}))"

    # -- the instances ---------------------------------------------------------------------------------

    def _parent(self, document: list) -> Model:
        fields = _some_fields(self.model, self.fields)
        row = _row_instance(self.model, fields, self.joined, self.annotations, document[0])
        rest = document[1:]
        row._prefetched_objects_cache = {}
        row.nested, row.nested_parts = {}, {}  # a limited list, and the part (Child) it was read by
        for child in self.children:
            self._install(row, child, rest.pop(0))
        for single in self.singles:
            values = rest.pop(0)
            fields = _some_fields(single.model, single.fields)
            row.nested[single.name] = None if values is None else _instance(single.model, fields, values)
        return row

    def _install(self, row: Model, child: Child, items: list) -> None:
        if child.name not in self._children:
            relation = self.model._meta.get_field(child.name)
            model = relation.related_model
            self._children[child.name] = (relation, model, _child_fields(model, relation, child))
        relation, model, fields = self._children[child.name]
        instances = []
        for item in items:
            instance = _row_instance(model, fields, child.joined, child.annotations, item)
            relation.field.set_cached_value(instance, row)
            instances.append(instance)
        _sort(instances, _ordering(child, model))
        if child.limit is not None:  # not the whole list: never where the related manager would find it
            row.nested[child.name] = instances
            row.nested_parts[child.name] = child
            return
        queryset = getattr(row, child.name).get_queryset()
        queryset._result_cache = instances
        queryset._prefetch_done = True
        row._prefetched_objects_cache[relation.cache_name] = queryset


def _row(model, alias: str, fields, joined: tuple[Joined, ...], annotations, join_alias: str) -> str:
    """A row as JSON: its columns' array alone, or [columns, each joined row, each annotation]."""
    columns = _array(_columns(alias, fields))
    if not joined and not annotations:
        return columns
    parts = [columns]
    parts += [_joined_row(model, alias, j, f"{join_alias}{i}") for i, j in enumerate(joined)]
    parts += [a.sql(alias) for a in annotations]
    return _array(parts)


def _row_instance(model, fields, joined: tuple[Joined, ...], annotations, document: list) -> Model:
    if not joined and not annotations:
        return _instance(model, fields, document)
    instance = _instance(model, fields, document[0])
    rest = document[1:]
    for j in joined:
        _attach(instance, model, j, rest.pop(0))
    for a in annotations:
        value = rest.pop(0)
        setattr(instance, a.name, a.convert(value) if a.convert else value)
    return instance


def _child_fields(model, relation, child: Child) -> tuple:
    if child.fields is None:
        return tuple(model._meta.concrete_fields)
    return _in_model_order(model, (model._meta.pk.name, relation.field.name, *child.fields))


def _in_model_order(model, names) -> tuple:
    """The named columns in the model's own order: Model.from_db places a subset of values by that order,
    whatever order the names are given in."""
    wanted = {model._meta.get_field(name).attname for name in names}
    return tuple(f for f in model._meta.concrete_fields if f.attname in wanted)


def _relation(model, joined: Joined):
    """(the related model, its column to match, this model's column it matches, how to cache the row)."""
    relation = model._meta.get_field(joined.name)
    if relation.is_relation and relation.concrete:  # a foreign key held by this row
        target = relation.related_model
        return target, target._meta.pk.column, relation.column, relation
    # a reverse one-to-one: the other row holds the key
    return relation.related_model, relation.field.column, model._meta.pk.column, relation


def _joined_row(model, alias: str, joined: Joined, join_alias: str) -> str:
    target, target_column, own_column, _ = _relation(model, joined)
    where = f"{join_alias}.{_quote(target_column)} = {alias}.{_quote(own_column)}"
    return _one_row(target, _some_fields(target, joined.fields), join_alias, where)


def _single_row(single: Single, alias: str) -> str:
    return _one_row(single.model, _some_fields(single.model, single.fields), alias, single.where)


def _one_row(model, fields, alias: str, where: str) -> str:
    """A scalar subquery: the one row `where` selects, as a JSON array of `fields`, or NULL."""
    row = (
        f"(SELECT {_array(_columns(alias, fields))} FROM {_quote(model._meta.db_table)} {alias} "  # noqa: S608
        f"WHERE {where})"
    )
    return row if connection.vendor == "postgresql" else f"json({row})"  # SQLite: JSON, not a string


def _order_by(model, ordering: list[str], alias: str, *, total: bool = False) -> str:
    """An ORDER BY over `alias`'s columns: plain fields that are never empty (SQL and Python would place an
    empty one differently); `total`: the last one unique, so the order is the same on every read."""
    order = []
    for item in ordering:
        if not isinstance(item, str) or item.lstrip("-") in ("", "?"):
            raise ImproperlyConfigured(f"{model.__name__}: only fields can order a nested read, not {item!r}")
        f = model._meta.pk if item.lstrip("-") == "pk" else model._meta.get_field(item.lstrip("-"))
        if f.is_relation:  # the ORM orders by the related model's ordering, not by the key's value
            raise ImproperlyConfigured(f"{model.__name__} is ordered by the relation {f.name}")
        if f.null:
            raise ImproperlyConfigured(f"{model.__name__} is ordered by {f.name}, which may be empty")
        order.append(f"{alias}.{_quote(f.column)}{' DESC' if item.startswith('-') else ''}")
    if total and not (order and (f.unique or f.primary_key)):
        raise ImproperlyConfigured(f"{model.__name__}'s ordering must end with a unique field")
    return ", ".join(order)


def _ordering(child: Child, model) -> list[str]:
    return list(child.ordering if child.ordering is not None else model._meta.ordering or [])


@lru_cache(maxsize=256)
def _some_fields(model, names: tuple[str, ...] | None) -> tuple:
    if names is None:
        return tuple(model._meta.concrete_fields)
    return _in_model_order(model, (model._meta.pk.name, *names))


def _attach(row: Model, model, joined: Joined, values: list | None) -> None:
    target, _, _, relation = _relation(model, joined)
    other = None
    if values is not None:
        other = _instance(target, _some_fields(target, joined.fields), values)
    relation.set_cached_value(row, other)
    if other is not None and not relation.concrete:  # the other row holds its key to this one
        relation.field.set_cached_value(other, row)


def _columns(alias: str, fields) -> list[str]:
    columns = []
    for f in fields:
        column = f"{alias}.{_quote(f.column)}"
        kind = f.get_internal_type()
        if kind == "DecimalField":  # as text: exact, never a float
            column = f"CAST({column} AS TEXT)" if connection.vendor != "postgresql" else f"{column}::text"
        elif kind == "JSONField" and connection.vendor != "postgresql":
            column = f"json({column})"  # SQLite stores the text; embed it as JSON, not as a string
        columns.append(column)
    return columns


def _array(items: list[str]) -> str:
    if len(items) > MAX_ARGUMENTS:
        raise ImproperlyConfigured(f"a nested read can hold at most {MAX_ARGUMENTS} values per row")
    function = "json_build_array" if connection.vendor == "postgresql" else "json_array"
    return f"{function}({', '.join(items)})"


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _instance(model, fields, values: list) -> Model:
    attnames, converters = _plan(tuple(fields))
    converted = [
        value if convert is None or value is None else convert(value)
        for convert, value in zip(converters, values, strict=True)
    ]
    if not _plain(model):
        return model.from_db(connection.alias, attnames, converted)
    # what Model.from_db leaves, in a fifteenth of its time: the values in the instance's __dict__ by their
    # attribute names (a column not read stays absent: deferred), the state of a row read from the database
    instance = model.__new__(model)
    instance._state = ModelState()
    instance._state.adding, instance._state.db = False, connection.alias
    instance.__dict__.update(zip(attnames, converted, strict=True))
    return instance


def _plain(model) -> bool:
    """Whether Model.from_db would only set the values: no __init__ or from_db of the model's own, no
    receiver of pre_init or post_init for it (they would not be sent)."""
    own = model.__init__ is not Model.__init__ or model.from_db.__func__ is not Model.from_db.__func__
    return not (own or signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model))


@lru_cache(maxsize=512)
def _plan(fields: tuple) -> tuple[list[str], list[Callable[[Any], Any] | None]]:
    """The columns' attribute names and how each JSON value becomes what the ORM reads, found once."""
    return [f.attname for f in fields], [_converter(f) for f in fields]


def _converter(f) -> Callable[[Any], Any] | None:
    """How a value of this column, as the JSON document holds it, becomes what the ORM reads from the column
    (None: as it is)."""
    kind = f.get_internal_type()
    if kind == "DecimalField":
        places = Decimal(1).scaleb(-f.decimal_places)
        return lambda value: Decimal(str(value)).quantize(places)
    if kind == "DateTimeField":
        return _moment
    if kind == "DateField":
        return lambda value: date.fromisoformat(value[:10])
    if kind == "BooleanField":
        return bool
    return None


def _moment(value: str):
    moment = parse_datetime(value)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)  # SQLite keeps UTC, unmarked


def _sort(instances: list, ordering: list[str]) -> None:
    """The ordering, applied in Python (SQLite's json_group_array takes no ORDER BY): stable sorts from the
    last key to the first."""
    for item in reversed(ordering):
        name = item.lstrip("-")
        attname = "pk" if name == "pk" else instances[0]._meta.get_field(name).attname if instances else name
        instances.sort(key=lambda obj, a=attname: getattr(obj, a), reverse=item.startswith("-"))
