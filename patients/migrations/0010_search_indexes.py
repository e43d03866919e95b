"""Indexes for patient search and the patient list at clinic scale (issue 16). PostgreSQL only: SQLite (the
default development database and the fast test run) gets nothing, so the model state is unchanged and these
indexes are not declared in Patient.Meta (GinIndex and gin_trgm_ops do not exist on SQLite).

- pg_trgm, and a trigram GIN index on UPPER(column) for the MRN, the given and the family name. The
  search (patients.selectors.patient_matches) is written with icontains, which PostgreSQL runs as
  `UPPER("col"::text) LIKE UPPER(%s)`: these index exactly that expression, so a substring search is a
  Bitmap Index Scan instead of a sequential scan of every patient. pg_trgm is a trusted extension
  (PostgreSQL 13+): the database owner can create it without superuser.
- A b-tree on the list's ordering plus the primary key (Patient.Meta.ordering is family, given, MRN), so a
  deep page of the list (core.pagination) walks this index only (an Index Only Scan) to find its 25 ids.

An exact MRN is found through the existing unique index on LOWER(mrn) (patients 0002).
"""

from django.db import migrations

INDEXES = {
    "patient_mrn_upper_trgm": "USING gin (UPPER(mrn) gin_trgm_ops)",
    "patient_given_name_upper_trgm": "USING gin (UPPER(given_name) gin_trgm_ops)",
    "patient_family_name_upper_trgm": "USING gin (UPPER(family_name) gin_trgm_ops)",
    "patient_list_order": "(family_name, given_name, mrn, id)",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm", params=None)
        for name, definition in INDEXES.items():
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON patients_patient {definition}", params=None
            )


def backwards(apps, schema_editor):
    # the extension stays: other objects of the database may use it
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}", params=None)


class Migration(migrations.Migration):
    dependencies = [("patients", "0009_medication_name_200")]

    operations = [migrations.RunPython(forwards, backwards)]
