# FormularyEntry and FormularyStamp now belong to the formulary app (formulary.0001); their tables stay.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0003_formulary_entry_moved"),
        ("screening", "0007_formulary_stamp"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="FormularyEntry"),
                migrations.DeleteModel(name="FormularyStamp"),
            ],
            database_operations=[],
        ),
    ]
