"""For tests that rewrite protected rows on purpose, playing someone with database access (a tampered rule
set) or a fresh installation (no rule set at all): on PostgreSQL the tables' triggers refuse such writes,
so they are turned off for those statements, as a table's owner could."""

from contextlib import contextmanager

from django.db import connection


def _set(models, state: str) -> None:
    with connection.cursor() as cursor:
        # the checks of the foreign keys written so far run now: PostgreSQL alters no table with checks
        # still pending ("pending trigger events"); then they are deferred to the commit again
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for model in models:
            cursor.execute(f"ALTER TABLE {model._meta.db_table} {state} TRIGGER USER")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@contextmanager
def triggers_disabled(*models):
    if connection.vendor != "postgresql":
        yield
        return
    _set(models, "DISABLE")
    yield
    _set(models, "ENABLE")  # (after an error the test's transaction, and the ALTER with it, rolls back)
