"""The retention purge of the change history (django-simple-history's historical tables): the one way a
row leaves them. On PostgreSQL a trigger refuses every UPDATE and DELETE on those tables unless the
transaction has set preinfusion.allow_purge, which only this service (and core.audit.audit_purge) sets.

    history_purge(before=timezone.now() - timedelta(days=3650), user=admin)

What goes: a record's history rows older than the cutoff, except the newest of them while the record
still existed at the cutoff (it is the record as it stood within the retention period, the row later
changes are read against); all the rows of a record deleted before the cutoff. Clinical records
(screenings, sign-offs, overrides, co-signatures) are never purged: they have no history table, and
their own tables refuse DELETE outright. Each table purged is one audit event (its name and the count,
never content)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from simple_history.models import HistoricalChanges

from .audit import PURGE_SETTING, audit_record


@dataclass(frozen=True)
class Purged:
    table: str
    count: int


def history_models() -> list[type[Model]]:
    """Every change-history model of the installed apps (found, not listed: a new one is covered)."""
    found = (m for m in apps.get_models() if issubclass(m, HistoricalChanges))
    return sorted(found, key=lambda m: m._meta.db_table)


def expired_history(model: type[Model], before: datetime) -> QuerySet:
    """The rows of one history table that the purge removes (see the module's docstring)."""
    record_id = model.instance_type._meta.pk.attname
    old = model._default_manager.filter(history_date__lt=before)
    later_old = old.filter(**{record_id: OuterRef(record_id)}).filter(
        Q(history_date__gt=OuterRef("history_date"))
        | Q(history_date=OuterRef("history_date"), history_id__gt=OuterRef("history_id"))
    )
    return old.filter(Q(history_type="-") | Exists(later_old))


def _allow_purge(on: bool) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, %s, true)", [PURGE_SETTING, "on" if on else "off"])


@transaction.atomic
def history_purge(*, before: datetime, user=None, request=None) -> list[Purged]:
    """Remove the history rows past retention, table by table, in one transaction; audit each table."""
    purged = []
    _allow_purge(True)  # until the end of this transaction (a rollback undoes it with the deletions)
    for model in history_models():
        count, _ = expired_history(model, before).delete()
        if count:
            purged.append(Purged(model._meta.db_table, count))
    _allow_purge(False)  # off again at once: nothing after this line deletes history
    for item in purged:
        audit_record(
            action="purge",
            request=request,
            user=user,
            object_type="history",
            object_id=item.table,
            detail=f"{item.count} history rows of {item.table} before {before.isoformat()}",
        )
    return purged
