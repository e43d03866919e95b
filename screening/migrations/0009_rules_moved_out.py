# RuleSet, Rule and HistoricalRule now belong to the rules app (rules.0001); their tables stay.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('rules', '0001_initial'),
        ('screening', '0008_formulary_moved_out'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='rule',
                    name='ruleset',
                ),
                migrations.RemoveField(
                    model_name='ruleset',
                    name='created_by',
                ),
                migrations.AlterField(
                    model_name='screening',
                    name='ruleset',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='screenings', to='rules.ruleset'),
                ),
                migrations.AlterField(
                    model_name='impactpreview',
                    name='ruleset',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='impact_previews', to='rules.ruleset'),
                ),
                migrations.DeleteModel(
                    name='HistoricalRule',
                ),
                migrations.DeleteModel(
                    name='Rule',
                ),
                migrations.DeleteModel(
                    name='RuleSet',
                ),
            ],
            database_operations=[],
        ),
    ]
