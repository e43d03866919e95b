# The formulary entry model moved to the formulary app with its table: only Django's state changes here.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("formulary", "0001_initial"),
        ("patients", "0002_mrn_unique_ignoring_case"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="historicalmedicationentry",
                    name="formulary_entry",
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to="formulary.formularyentry"),
                ),
                migrations.AlterField(
                    model_name="medicationentry",
                    name="formulary_entry",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="formulary.formularyentry"),
                ),
            ],
            database_operations=[],
        ),
    ]
