# The formulary's models moved here from the screening app. Their tables keep their names and their rows:
# this migration changes Django's state only (screening.0008 removes them from the screening app's state).

from django.db import migrations, models


def content_types_follow(apps, schema_editor):
    """Keep the content types (and with them any permissions) of the moved models."""
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="screening", model__in=["formularyentry", "formularystamp"]).update(
        app_label="formulary"
    )


def content_types_back(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="formulary", model__in=["formularyentry", "formularystamp"]).update(
        app_label="screening"
    )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("screening", "0007_formulary_stamp"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="FormularyEntry",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("generic", models.CharField(max_length=120, unique=True)),
                        ("brands", models.JSONField(blank=True, default=list)),
                        ("aliases", models.JSONField(blank=True, default=list, help_text="Other generic names (paracetamol, salbutamol).")),
                        ("atc", models.JSONField(default=list)),
                        ("classes", models.JSONField(blank=True, default=list)),
                        ("diazepam_10mg_equivalent_mg", models.DecimalField(blank=True, decimal_places=2, help_text="Benzodiazepines only: mg equivalent to 10 mg diazepam (A7).", max_digits=6, null=True)),
                    ],
                    options={
                        "db_table": "screening_formularyentry",
                        "verbose_name_plural": "formulary entries",
                        "ordering": ["generic"],
                    },
                ),
                migrations.CreateModel(
                    name="FormularyStamp",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("stamp", models.CharField(max_length=32)),
                        ("changed_at", models.DateTimeField(auto_now=True)),
                    ],
                    options={"db_table": "screening_formularystamp"},
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_follow, content_types_back),
    ]
