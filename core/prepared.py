"""Statements PostgreSQL keeps prepared on the connection (core.nested_read's reads).

Django's cursors merge the parameters into the statement's text (client-side binding), so PostgreSQL plans
each one anew: for a long statement such as a nested read that planning was much of its cost (1.2 ms of
the patient record's read). A cursor of psycopg's that binds on the server and prepares plans it once per
connection. A statement whose best plan depends on a parameter's value (a LIMIT) would be planned anew each
time, so such values are written into the statement instead (core.nested_read.NestedRead.first). Behind a
transaction pooler (PgBouncer), prepared statements need PgBouncer 1.21 or later with
max_prepared_statements set; PREPARED = False turns them off.
"""

from __future__ import annotations

import time

import psycopg
from django.db import connection

PREPARED = True


def prepared_cursor():
    """A cursor for `with`: on PostgreSQL (and PREPARED) a server-binding one whose statements are prepared
    and logged as Django logs its queries; elsewhere Django's own."""
    if connection.vendor != "postgresql" or not PREPARED:
        return connection.cursor()
    return _PreparedCursor()


class _PreparedCursor:
    def __init__(self):
        connection.ensure_connection()
        connection.connection.prepare_threshold = 0  # only server-binding cursors (this one) ever prepare
        self.cursor = psycopg.Cursor(connection.connection)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cursor.close()

    def execute(self, sql: str, params: list) -> None:
        started = time.monotonic()
        with connection.wrap_database_errors:
            self.cursor.execute(sql, params, prepare=True)
        if connection.queries_logged:
            took = time.monotonic() - started
            connection.queries_log.append({"sql": f"{sql} -- {params}", "time": f"{took:.3f}"})

    def fetchall(self) -> list:
        with connection.wrap_database_errors:
            return self.cursor.fetchall()
