"""`manage.py load_defaults` for a test fixture, cheaply: the first load in a process is the real command,
and what it wrote is kept; a later load on a database without the defaults writes the same rows again.

The real command costs about 0.2 s on PostgreSQL (validating the formulary and the rule set, running the
rule set's test cases, hundreds of rows with their history), and some 1,300 tests start with it. Its whole
effect on a database where the tables it writes are empty is a set of inserted rows (no table it writes
has rows it could update), so those rows, with their ids, are its effect on any such database:

- First call in a process: every table's row count is read before and after the real command. The rows
  are kept only when each table that gained rows was empty before (the audit trail and the formulary
  stamp aside, see below) and the tables that must gain rows on an empty database did: then the inserts
  are the whole effect (every row the command would update is in a table that was empty).
- Later calls, when those tables are empty again (one query): the rows are inserted with their ids, in
  an order their foreign keys allow. A rule set is inserted as a draft and given its status afterwards,
  as the real import does (PostgreSQL refuses a rule inserted into a published set). Times are of the
  replay: its start plus, in microseconds, the time's rank among those captured, so they keep the order
  and the ties the command wrote them with and fall within the replay, as a real load's within the load.
  On PostgreSQL each table's id sequence is set to its highest id, so no later insert takes a replayed
  id (a test that reset the sequences would otherwise restart them below it).
- Audit events are a hash chain that may already hold rows (a sign-in before the fixture): the ones the
  command appended are appended again through core.audit.audit_record, with the same content.
- The formulary stamp (one row, which the migrations already make) is renewed with a fresh uuid, updated
  or else created, and this process's formulary lookup primed at it with the content just written,
  exactly as formulary.services.formulary_changed does: no lookup cached by an earlier test survives
  under an unchanged stamp.
- The other per-process caches that the defaults fill are keyed by content, not by row: the compiled
  rule sets (rules.selectors._COMPILED, screening.compiled) and the test bench's memo (rules.bench) by
  version and sha256, which replayed rows carry unchanged; rules.selectors._VERIFIED by the rule set's id
  and, on PostgreSQL, its rows' xmin and ctid, which are new for rows inserted in a new transaction, so
  the rows are verified again as after a real load.
- Anything else (the tables not empty, another database, other fixture files or history settings):
  the real command. A replay that fails raises; it never falls back silently.

TEST_DEFAULTS_SNAPSHOT=0 in the environment runs the real command every time.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from datetime import timedelta
from io import StringIO
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from core.audit import audit_record
from core.models import AuditEvent
from formulary.models import ErrorProneAbbreviation, FormularyEntry, FormularyStamp, FormularyVersion
from formulary.selectors import formulary_read
from formulary.services import formulary_document
from rules.management.commands import load_defaults as command
from rules.models import Rule, RuleSet, RuleSetEvent

# What the command adds to a database without the defaults, whatever else it adds: a capture where one of
# these gained no row was not of such a database (its rows were there, perhaps updated).
REQUIRED = (FormularyEntry, ErrorProneAbbreviation, FormularyVersion, RuleSet, Rule, RuleSetEvent)
# Written again at each replay, not captured: the audit trail (appended to) and the formulary stamp (renewed).
RENEWED = (AuditEvent, FormularyStamp)
# Inserted with these values, then given the captured ones: a rule can only be inserted into a draft.
HELD = {RuleSet: {"status": RuleSet.Status.DRAFT, "is_active": False}}
AUDIT_CONTENT = (
    "user_id",
    "user_name",
    "action",
    "object_type",
    "object_id",
    "patient_id",
    "fields",
    "detail",
)


@dataclass
class Table:
    """One table's captured rows, as the INSERT sends them: every value prepared for the database once
    (JSON encoded, decimals, ...) but the date-times, which each replay writes as its own (see top)."""

    model: type[models.Model]
    rows: list[dict[str, Any]]  # as read back (for HELD, the tests, and anyone debugging)
    insert: str  # INSERT INTO table (columns) VALUES, without the values
    params: list[list[Any]]  # per row, in column order; a date-time's place is filled at each replay
    moments: list[tuple[int, models.Field, list[int | None]]]  # (column, field, each row's time's rank)
    batch: int  # rows per INSERT (SQLite's limit on parameters)
    # PostgreSQL: the whole INSERT as text, cut where the replay's start goes (psycopg binds parameters
    # on the client, parsing a statement of thousands of them and encoding each value at every execution)
    literal: list[str] | None = None


@dataclass
class Snapshot:
    key: tuple
    tables: list[Table]  # in an order their foreign keys allow
    audit: list[dict[str, Any]]
    document: str  # formulary_document() after the load, as JSON
    version: tuple[int, str]
    empty_sql: str  # one row of NULLs when every captured table is empty
    sequences_sql: str  # PostgreSQL: each captured table's id sequence set to its highest id


_snapshot: Snapshot | None = None


def forget_snapshot() -> None:
    """The next call captures again (tests of this module)."""
    global _snapshot
    _snapshot = None


def load_defaults_for_test() -> str:
    """The default formulary and rule set, as `manage.py load_defaults` puts them in the database.
    Returns how: "replayed", "captured" (the real command, its rows kept) or "loaded" (the real command)."""
    global _snapshot
    if os.environ.get("TEST_DEFAULTS_SNAPSHOT") == "0":  # the real command every time (to compare, to debug)
        _load()
        return "loaded"
    key = _key()
    if _snapshot is not None and _snapshot.key == key:
        if _is_empty(_snapshot.empty_sql):
            _replay(_snapshot)
            return "replayed"
        _load()
        return "loaded"
    if not _is_empty(_empty_sql(REQUIRED)):
        _load()
        return "loaded"
    captured = _capture(key)
    if captured is None:
        return "loaded"
    _snapshot = captured
    return "captured"


def _load() -> None:
    call_command("load_defaults", stdout=StringIO(), stderr=StringIO())


def _key() -> tuple:
    """What the command's rows depend on besides the database: the database, the fixture files, history."""
    files = tuple(
        (str(path), os.stat(path).st_mtime_ns, os.stat(path).st_size)
        for path in (command.FIXTURES / "formulary.json", command.FIXTURES / "ruleset-default.json")
    )
    history = getattr(settings, "SIMPLE_HISTORY_ENABLED", True)
    return (connection.vendor, connection.settings_dict["NAME"], files, command.PREVIOUS_SHIPPED, history)


def _tables() -> list[type[models.Model]]:
    seen, found = set(), []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.db_table in seen:
            continue
        seen.add(meta.db_table)
        found.append(model)
    return found


def _counts(tables: list[type[models.Model]]) -> dict[type[models.Model], int]:
    return {model: model._base_manager.count() for model in tables}


def _capture(key: tuple) -> Snapshot | None:
    """The real command, and its rows when it ran on a database without the defaults (else None)."""
    tables = _tables()
    before = _counts(tables)
    last_audit = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    _load()
    after = _counts(tables)
    gained = [model for model in tables if after[model] != before[model] and model not in RENEWED]
    if any(before[model] for model in gained) or not set(REQUIRED) <= set(gained):
        return None
    rows = {model: _rows(model) for model in gained}
    if any(_outside_references(model, rows[model], gained) for model in gained):
        return None  # a row names a row the capture does not hold (a user): not replayable elsewhere
    audit = list(AuditEvent.objects.filter(pk__gt=last_audit).order_by("seq").values(*AUDIT_CONTENT))
    document = formulary_document()
    version = FormularyVersion.objects.order_by("-number").values_list("number", "sha256").first()
    order = _insertion_order(gained)
    times = {row[name] for model in gained for row in rows[model] for name in _times(model)} - {None}
    ranks = {time: rank for rank, time in enumerate(sorted(times))}
    return Snapshot(
        key=key,
        tables=[_table(model, rows[model], ranks) for model in order],
        audit=audit,
        document=json.dumps(document),
        version=tuple(version),
        empty_sql=_empty_sql(gained),
        sequences_sql="\n".join(connection.ops.sequence_reset_sql(no_style(), order)),
    )


def _times(model: type[models.Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields if isinstance(f, models.DateTimeField)]


def _table(model: type[models.Model], rows: list[dict[str, Any]], ranks: dict[Any, int]) -> Table:
    """The rows as a raw INSERT (loaddata's) sends them: every value prepared as Django prepares it for the
    database, no default, signal or auto_now time applied."""
    fields = model._meta.concrete_fields
    placeholders = [f.attname for f in fields if hasattr(f, "get_placeholder")]
    if placeholders:
        raise RuntimeError(f"defaults snapshot: {model._meta.label} {placeholders} need their own SQL")
    held = HELD.get(model, {})
    moments = [
        (i, f, [None if row[f.attname] is None else ranks[row[f.attname]] for row in rows])
        for i, f in enumerate(fields)
        if isinstance(f, models.DateTimeField)
    ]
    params = []
    for row in rows:
        values = {**row, **held}
        params.append([f.get_db_prep_save(values[f.attname], connection) for f in fields])
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    # table and column names from the models' metadata, quoted; every value a parameter or a literal
    insert = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES "  # noqa: S608
    return Table(
        model=model,
        rows=rows,
        insert=insert,
        params=params,
        moments=moments,
        batch=max(1, connection.ops.bulk_batch_size(fields, rows)),
        literal=_literal(insert, params, moments) if connection.vendor == "postgresql" else None,
    )


def _literal(insert: str, params: list[list[Any]], moments) -> list[str]:
    """The INSERT of every row with its values as literals (as psycopg renders them), each time not NULL
    as "(" start " + INTERVAL 'rank microseconds')", cut where the replay joins its start in."""
    from psycopg import sql

    ranks = {i: values for i, _, values in moments}
    pieces, text = [], [insert]
    for r, row in enumerate(params):
        text.append("(" if r == 0 else ", (")
        for i, value in enumerate(row):
            text.append(", " if i else "")
            if i in ranks and ranks[i][r] is not None:
                text.append("(")
                pieces.append("".join(text))
                text = [f" + INTERVAL '{ranks[i][r]} microseconds')"]
            else:
                text.append(sql.Literal(value).as_string(connection.connection))
        text.append(")")
    pieces.append("".join(text))
    return pieces


def _rows(model: type[models.Model]) -> list[dict[str, Any]]:
    if model._meta.parents:
        raise RuntimeError(f"defaults snapshot: {model._meta.label} inherits a table; not replayable")
    names = [field.attname for field in model._meta.concrete_fields]
    return list(model._base_manager.order_by("pk").values(*names))


def _outside_references(model, rows, gained) -> bool:
    outside = [
        field.attname
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model not in gained
    ]
    return any(row[name] is not None for row in rows for name in outside)


def _insertion_order(gained: list[type[models.Model]]) -> list[type[models.Model]]:
    """Each table after the tables its foreign keys name (among those captured)."""
    pending, ordered = list(gained), []
    while pending:
        for model in pending:
            needs = {
                field.related_model
                for field in model._meta.concrete_fields
                if field.is_relation and field.related_model is not model
            }
            if not needs & set(pending) - {model}:
                ordered.append(model)
                pending.remove(model)
                break
        else:
            raise RuntimeError(f"defaults snapshot: foreign keys in a cycle among {pending}")
    return ordered


def _empty_sql(tables) -> str:
    quote = connection.ops.quote_name
    tables = [quote(model._meta.db_table) for model in tables]  # names from the models' metadata, quoted
    checks = ", ".join(f"(SELECT 1 FROM {table} LIMIT 1)" for table in tables)  # noqa: S608
    return f"SELECT {checks}"


def _is_empty(sql: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return all(value is None for value in cursor.fetchone())


@transaction.atomic
def _replay(snapshot: Snapshot) -> None:
    start = timezone.now()
    with connection.cursor() as cursor:
        for table in snapshot.tables:
            _insert(cursor, table, start)
        for model, held in HELD.items():  # now that its rules are in: a rule was inserted into a draft
            for table in snapshot.tables:
                for row in table.rows if table.model is model else ():
                    values = {name: row[name] for name in held}
                    model._base_manager.filter(pk=row[model._meta.pk.attname]).update(**values)
        if snapshot.sequences_sql:
            cursor.execute(snapshot.sequences_sql)
    _append_audit(snapshot.audit)
    stamp = uuid.uuid4().hex
    if not FormularyStamp.objects.update(stamp=stamp):  # as formulary_changed renews it
        FormularyStamp.objects.create(stamp=stamp)
    # as formulary_changed leaves it: this process's lookup is of the content written, at the new stamp
    document = json.loads(snapshot.document)
    abbreviations = [a["abbreviation"] for a in document["error_prone_abbreviations"]]
    formulary_read(stamp, document["entries"], abbreviations, snapshot.version)


def _insert(cursor, table: Table, start) -> None:
    """INSERT the rows with their ids, each time `start` plus its rank in microseconds, in batches."""
    if table.literal is not None:
        from psycopg import sql

        cursor.execute(sql.Literal(start).as_string(connection.connection).join(table.literal))
        return
    params = [list(row) for row in table.params]
    for i, field, ranks in table.moments:
        for row, rank in zip(params, ranks, strict=True):
            moment = None if rank is None else start + timedelta(microseconds=rank)
            row[i] = field.get_db_prep_save(moment, connection)
    row_sql = "(" + ", ".join(["%s"] * len(table.model._meta.concrete_fields)) + ")"
    for first in range(0, len(params), table.batch):
        batch = params[first : first + table.batch]
        cursor.execute(table.insert + ", ".join([row_sql] * len(batch)), [v for row in batch for v in row])


def _append_audit(events: list[dict[str, Any]]) -> None:
    users = get_user_model()._base_manager
    for event in events:
        user = users.filter(pk=event["user_id"]).first() if event["user_id"] is not None else None
        audit_record(
            action=event["action"],
            user=user,
            object_type=event["object_type"],
            object_id=event["object_id"],
            patient_id=event["patient_id"],
            fields=event["fields"],
            detail=event["detail"],
            user_name=event["user_name"],
        )
