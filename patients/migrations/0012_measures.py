"""Baseline measures (issue 18): one row per administration, its answers; the scores are computed. Its
change history is append-only on PostgreSQL, as every other history table (0006)."""

import datetime
import django.db.models.deletion
import patients.validators
import simple_history.models
from django.conf import settings
from django.db import migrations, models


def history_append_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE TRIGGER patients_historicalmeasure_append_only BEFORE UPDATE OR DELETE ON "
            "patients_historicalmeasure FOR EACH ROW EXECUTE FUNCTION preinfusion_append_only()",
            params=None,
        )


def drop_history_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS patients_historicalmeasure_append_only ON patients_historicalmeasure",
            params=None,
        )


class Migration(migrations.Migration):

    dependencies = [
        ('patients', '0011_newest_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='HistoricalMeasure',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('instrument', models.CharField(choices=[('phq9', 'PHQ-9'), ('gad7', 'GAD-7'), ('cssrs_screener', 'C-SSRS screener')], max_length=16)),
                ('administered_on', models.DateField(validators=[patients.validators.RecordDateValidator()])),
                ('answers', models.JSONField()),
                ('created_at', models.DateTimeField(blank=True, editable=False, validators=[patients.validators.RecordDateValidator()])),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('entered_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('patient', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='patients.patient')),
            ],
            options={
                'verbose_name': 'historical measure',
                'verbose_name_plural': 'historical measures',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='Measure',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('instrument', models.CharField(choices=[('phq9', 'PHQ-9'), ('gad7', 'GAD-7'), ('cssrs_screener', 'C-SSRS screener')], max_length=16)),
                ('administered_on', models.DateField(validators=[patients.validators.RecordDateValidator()])),
                ('answers', models.JSONField()),
                ('created_at', models.DateTimeField(auto_now_add=True, validators=[patients.validators.RecordDateValidator()])),
                ('entered_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('patient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='measures', to='patients.patient')),
            ],
            options={
                'ordering': ['administered_on', 'pk'],
                'constraints': [models.CheckConstraint(condition=models.Q(('instrument__in', ['phq9', 'gad7', 'cssrs_screener'])), name='measure_instrument_known'), models.CheckConstraint(condition=models.Q(('administered_on__gte', datetime.date(1900, 1, 1)), ('administered_on__lte', datetime.date(2100, 12, 31))), name='measure_administered_on_range', violation_error_message='Enter a date from 1900-01-01 to 2100-12-31.'), models.CheckConstraint(condition=models.Q(('created_at__gte', datetime.datetime(1900, 1, 1, 0, 0, tzinfo=datetime.timezone.utc)), ('created_at__lte', datetime.datetime(2100, 12, 31, 23, 59, 59, 999999, tzinfo=datetime.timezone.utc))), name='measure_created_at_range', violation_error_message='Enter a date from 1900-01-01 to 2100-12-31.')],
            },
        ),
        migrations.RunPython(history_append_only, drop_history_trigger),
    ]
