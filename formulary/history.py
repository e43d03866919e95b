"""Bulk inserts with their history rows, as simple_history's bulk_create_with_history writes them (used by
the formulary load and the rule-set import).

simple_history builds one historical instance per row in Python and sends every value to the database a
second time; for the formulary (hundreds of rows with JSON lists) that costs more than the rows
themselves. On PostgreSQL the history rows are copied by the database from the rows just inserted: the same
rows ("+", one per object in their order, each dated when its history row is made, by the object's
`_history_user`, else `default_user`, else the request's user), each value the one stored. Elsewhere, or
when a historical model has more than simple_history's own columns, simple_history writes them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import Model
from django.utils import timezone
from simple_history import utils as simple_history_utils

HISTORY_COLUMNS = {"history_id", "history_date", "history_change_reason", "history_type", "history_user_id"}


def bulk_create_with_history(objs: list[Model], model: type[Model], *, default_user=None) -> list[Model]:
    """Insert `objs` and one "+" history row for each (simple_history.utils.bulk_create_with_history)."""
    history = simple_history_utils.get_history_model_for_model(model)
    connection = connections[router.db_for_write(model)]
    if not _copyable(model, history, connection.vendor):
        return simple_history_utils.bulk_create_with_history(objs, model, default_user=default_user)
    with transaction.atomic(using=connection.alias, savepoint=False):
        created = model._default_manager.bulk_create(objs)
        if created:
            _copy_history(created, model, history, connection, default_user)
    return created


def _copyable(model: type[Model], history: type[Model], vendor: str) -> bool:
    if vendor != "postgresql" or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return False
    own = {f.attname for f in history._meta.concrete_fields}
    expected = {f.attname for f in history.tracked_fields} | HISTORY_COLUMNS
    numbered = history._meta.pk.get_internal_type() in ("AutoField", "BigAutoField", "SmallAutoField")
    by_user = any(f.name == "history_user" and f.is_relation for f in history._meta.concrete_fields)
    return numbered and by_user and own == expected and not hasattr(history, "history_relation")


def _copy_history(objs: list[Model], model, history, connection, default_user) -> None:
    users, dates, reasons = [], [], []
    for obj in objs:  # as simple_history's bulk_history_create reads them, object by object
        users.append(getattr(obj, "_history_user", default_user or history.get_default_history_user(obj)))
        dates.append(getattr(obj, "_history_date", timezone.now()))
        reasons.append(simple_history_utils.get_change_reason_from_object(obj) or None)
    user_field = history._meta.get_field("history_user")
    user_ids = [_user_id(user, user_field) for user in users]
    quote = connection.ops.quote_name
    tracked = [(history._meta.get_field(f.attname).column, f.column) for f in history.tracked_fields]
    history_columns = ("history_date", "history_change_reason", "history_type", user_field.column)
    into = ", ".join(quote(column) for column in (*(to for to, _ in tracked), *history_columns))
    values = ", ".join(f"t.{quote(source)}" for _, source in tracked)
    fields = (model._meta.pk, *(history._meta.get_field(n) for n in history_columns[:2]), user_field)
    arrays = ", ".join(f"%s::{field.db_type(connection).split('(')[0]}[]" for field in fields)
    pk = quote(model._meta.pk.column)
    # table and column names from the models' metadata, quoted; every value a parameter
    sql = f"""
        INSERT INTO {quote(history._meta.db_table)} ({into})
        SELECT {values}, d.history_date, d.reason, '+', d.user_id
        FROM UNNEST({arrays}) WITH ORDINALITY AS d(pk, history_date, reason, user_id, n)
        JOIN {quote(model._meta.db_table)} t ON t.{pk} = d.pk ORDER BY d.n
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [[obj.pk for obj in objs], dates, reasons, user_ids])


def _user_id(user: Any, field) -> Any:
    if user is None:
        return None
    return getattr(user, field.target_field.attname)
