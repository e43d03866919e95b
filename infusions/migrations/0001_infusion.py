"""Infusion records and their day-of checks (issue 18). The change history is append-only on PostgreSQL, as
every other history table (core 0005); a signed infusion refuses every UPDATE and DELETE at the database."""

import django.core.validators
import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


SIGNED_IMMUTABLE = """
CREATE OR REPLACE FUNCTION infusion_signed_immutable() RETURNS trigger AS $$
BEGIN
    IF OLD.signed_at IS NOT NULL THEN
        RAISE EXCEPTION 'infusion % is signed: it is never changed or deleted', OLD.id;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'infusion records are never deleted';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER infusions_infusion_signed BEFORE UPDATE OR DELETE ON infusions_infusion
FOR EACH ROW EXECUTE FUNCTION infusion_signed_immutable();
CREATE TRIGGER infusions_historicalinfusion_append_only BEFORE UPDATE OR DELETE ON
infusions_historicalinfusion FOR EACH ROW EXECUTE FUNCTION preinfusion_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS infusions_infusion_signed ON infusions_infusion;
DROP TRIGGER IF EXISTS infusions_historicalinfusion_append_only ON infusions_historicalinfusion;
DROP FUNCTION IF EXISTS infusion_signed_immutable();
"""


def triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SIGNED_IMMUTABLE, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('core', '0005_append_only_triggers'),
        ('patients', '0012_measures'),
        ('screening', '0020_signoff_checklist'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='HistoricalInfusion',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('infusion_on', models.DateField(verbose_name='Infusion day')),
                ('created_at', models.DateTimeField(blank=True, editable=False)),
                ('weight_kg', models.DecimalField(blank=True, decimal_places=1, max_digits=5, null=True, validators=[django.core.validators.MinValueValidator(25), django.core.validators.MaxValueValidator(350)], verbose_name='Weight today (kg)')),
                ('pre_systolic', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(60), django.core.validators.MaxValueValidator(300)], verbose_name='Before dosing systolic')),
                ('pre_diastolic', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(30), django.core.validators.MaxValueValidator(200)], verbose_name='Before dosing diastolic')),
                ('pre_heart_rate', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(20), django.core.validators.MaxValueValidator(250)], verbose_name='Before dosing heart rate')),
                ('pre2_systolic', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(60), django.core.validators.MaxValueValidator(300)], verbose_name='Before dosing, second reading systolic')),
                ('pre2_diastolic', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(30), django.core.validators.MaxValueValidator(200)], verbose_name='Before dosing, second reading diastolic')),
                ('pre2_heart_rate', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(20), django.core.validators.MaxValueValidator(250)], verbose_name='Before dosing, second reading heart rate')),
                ('checklist', models.JSONField(blank=True, default=dict)),
                ('measures', models.JSONField(blank=True, default=list)),
                ('checked_at', models.DateTimeField(blank=True, null=True)),
                ('authorized_at', models.DateTimeField(blank=True, null=True)),
                ('authorized_dose_mg', models.DecimalField(blank=True, decimal_places=1, max_digits=6, null=True)),
                ('go_reason', models.TextField(blank=True)),
                ('decision', models.JSONField(blank=True, default=dict)),
                ('dose_given_mg', models.DecimalField(blank=True, decimal_places=1, max_digits=6, null=True, verbose_name='Dose given (mg)')),
                ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='Infusion started')),
                ('at40_systolic', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(60), django.core.validators.MaxValueValidator(300)], verbose_name='About 40 minutes systolic')),
                ('at40_diastolic', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(30), django.core.validators.MaxValueValidator(200)], verbose_name='About 40 minutes diastolic')),
                ('at40_heart_rate', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(20), django.core.validators.MaxValueValidator(250)], verbose_name='About 40 minutes heart rate')),
                ('rass', models.SmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(-5), django.core.validators.MaxValueValidator(4)], verbose_name='Sedation (RASS)')),
                ('dissociation_scale', models.CharField(blank=True, choices=[('rating', 'Clinician rating (0-10)'), ('cadss', 'CADSS (0-92)')], max_length=8)),
                ('dissociation', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='Dissociation')),
                ('adverse_events', models.TextField(blank=True)),
                ('discharge_systolic', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(60), django.core.validators.MaxValueValidator(300)], verbose_name='At discharge systolic')),
                ('discharge_diastolic', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(30), django.core.validators.MaxValueValidator(200)], verbose_name='At discharge diastolic')),
                ('discharge_heart_rate', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(20), django.core.validators.MaxValueValidator(250)], verbose_name='At discharge heart rate')),
                ('discharged_at', models.DateTimeField(blank=True, null=True)),
                ('escort_name', models.CharField(blank=True, max_length=200, verbose_name="Escort's name")),
                ('outcome', models.CharField(blank=True, choices=[('given', 'Given'), ('held', 'Held')], max_length=8)),
                ('hold_reason', models.TextField(blank=True)),
                ('signer_name', models.CharField(blank=True, max_length=200)),
                ('signed_at', models.DateTimeField(blank=True, null=True)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('authorized_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('checked_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('created_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('patient', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='patients.patient')),
                ('screening', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='screening.screening')),
                ('signed_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical infusion',
                'verbose_name_plural': 'historical infusions',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='Infusion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('infusion_on', models.DateField(verbose_name='Infusion day')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('weight_kg', models.DecimalField(blank=True, decimal_places=1, max_digits=5, null=True, validators=[django.core.validators.MinValueValidator(25), django.core.validators.MaxValueValidator(350)], verbose_name='Weight today (kg)')),
                ('pre_systolic', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(60), django.core.validators.MaxValueValidator(300)], verbose_name='Before dosing systolic')),
                ('pre_diastolic', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(30), django.core.validators.MaxValueValidator(200)], verbose_name='Before dosing diastolic')),
                ('pre_heart_rate', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(20), django.core.validators.MaxValueValidator(250)], verbose_name='Before dosing heart rate')),
                ('pre2_systolic', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(60), django.core.validators.MaxValueValidator(300)], verbose_name='Before dosing, second reading systolic')),
                ('pre2_diastolic', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(30), django.core.validators.MaxValueValidator(200)], verbose_name='Before dosing, second reading diastolic')),
                ('pre2_heart_rate', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(20), django.core.validators.MaxValueValidator(250)], verbose_name='Before dosing, second reading heart rate')),
                ('checklist', models.JSONField(blank=True, default=dict)),
                ('measures', models.JSONField(blank=True, default=list)),
                ('checked_at', models.DateTimeField(blank=True, null=True)),
                ('authorized_at', models.DateTimeField(blank=True, null=True)),
                ('authorized_dose_mg', models.DecimalField(blank=True, decimal_places=1, max_digits=6, null=True)),
                ('go_reason', models.TextField(blank=True)),
                ('decision', models.JSONField(blank=True, default=dict)),
                ('dose_given_mg', models.DecimalField(blank=True, decimal_places=1, max_digits=6, null=True, verbose_name='Dose given (mg)')),
                ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='Infusion started')),
                ('at40_systolic', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(60), django.core.validators.MaxValueValidator(300)], verbose_name='About 40 minutes systolic')),
                ('at40_diastolic', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(30), django.core.validators.MaxValueValidator(200)], verbose_name='About 40 minutes diastolic')),
                ('at40_heart_rate', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(20), django.core.validators.MaxValueValidator(250)], verbose_name='About 40 minutes heart rate')),
                ('rass', models.SmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(-5), django.core.validators.MaxValueValidator(4)], verbose_name='Sedation (RASS)')),
                ('dissociation_scale', models.CharField(blank=True, choices=[('rating', 'Clinician rating (0-10)'), ('cadss', 'CADSS (0-92)')], max_length=8)),
                ('dissociation', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='Dissociation')),
                ('adverse_events', models.TextField(blank=True)),
                ('discharge_systolic', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(60), django.core.validators.MaxValueValidator(300)], verbose_name='At discharge systolic')),
                ('discharge_diastolic', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(30), django.core.validators.MaxValueValidator(200)], verbose_name='At discharge diastolic')),
                ('discharge_heart_rate', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(20), django.core.validators.MaxValueValidator(250)], verbose_name='At discharge heart rate')),
                ('discharged_at', models.DateTimeField(blank=True, null=True)),
                ('escort_name', models.CharField(blank=True, max_length=200, verbose_name="Escort's name")),
                ('outcome', models.CharField(blank=True, choices=[('given', 'Given'), ('held', 'Held')], max_length=8)),
                ('hold_reason', models.TextField(blank=True)),
                ('signer_name', models.CharField(blank=True, max_length=200)),
                ('signed_at', models.DateTimeField(blank=True, null=True)),
                ('authorized_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('checked_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('patient', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='infusions', to='patients.patient')),
                ('screening', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='infusions', to='screening.screening')),
                ('signed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-infusion_on', '-pk'],
                'indexes': [models.Index(fields=['patient', '-infusion_on'], name='infusion_patient_day')],
                'constraints': [models.CheckConstraint(condition=models.Q(('weight_kg__isnull', True), models.Q(('weight_kg__gte', 25), ('weight_kg__lte', 350)), _connector='OR'), name='infusion_weight_range'), models.CheckConstraint(condition=models.Q(('pre_systolic__isnull', True), models.Q(('pre_systolic__gte', 60), ('pre_systolic__lte', 300)), _connector='OR'), name='infusion_pre_systolic_range'), models.CheckConstraint(condition=models.Q(('pre_diastolic__isnull', True), models.Q(('pre_diastolic__gte', 30), ('pre_diastolic__lte', 200)), _connector='OR'), name='infusion_pre_diastolic_range'), models.CheckConstraint(condition=models.Q(('pre_heart_rate__isnull', True), models.Q(('pre_heart_rate__gte', 20), ('pre_heart_rate__lte', 250)), _connector='OR'), name='infusion_pre_hr_range'), models.CheckConstraint(condition=models.Q(models.Q(('pre_diastolic__isnull', True), ('pre_systolic__isnull', True)), models.Q(('pre_diastolic__isnull', False), ('pre_systolic__gt', models.F('pre_diastolic')), ('pre_systolic__isnull', False)), _connector='OR'), name='infusion_pre_pair'), models.CheckConstraint(condition=models.Q(('pre2_systolic__isnull', True), models.Q(('pre2_systolic__gte', 60), ('pre2_systolic__lte', 300)), _connector='OR'), name='infusion_pre2_systolic_range'), models.CheckConstraint(condition=models.Q(('pre2_diastolic__isnull', True), models.Q(('pre2_diastolic__gte', 30), ('pre2_diastolic__lte', 200)), _connector='OR'), name='infusion_pre2_diastolic_range'), models.CheckConstraint(condition=models.Q(('pre2_heart_rate__isnull', True), models.Q(('pre2_heart_rate__gte', 20), ('pre2_heart_rate__lte', 250)), _connector='OR'), name='infusion_pre2_hr_range'), models.CheckConstraint(condition=models.Q(models.Q(('pre2_diastolic__isnull', True), ('pre2_systolic__isnull', True)), models.Q(('pre2_diastolic__isnull', False), ('pre2_systolic__gt', models.F('pre2_diastolic')), ('pre2_systolic__isnull', False)), _connector='OR'), name='infusion_pre2_pair'), models.CheckConstraint(condition=models.Q(('at40_systolic__isnull', True), models.Q(('at40_systolic__gte', 60), ('at40_systolic__lte', 300)), _connector='OR'), name='infusion_at40_systolic_range'), models.CheckConstraint(condition=models.Q(('at40_diastolic__isnull', True), models.Q(('at40_diastolic__gte', 30), ('at40_diastolic__lte', 200)), _connector='OR'), name='infusion_at40_diastolic_range'), models.CheckConstraint(condition=models.Q(('at40_heart_rate__isnull', True), models.Q(('at40_heart_rate__gte', 20), ('at40_heart_rate__lte', 250)), _connector='OR'), name='infusion_at40_hr_range'), models.CheckConstraint(condition=models.Q(models.Q(('at40_diastolic__isnull', True), ('at40_systolic__isnull', True)), models.Q(('at40_diastolic__isnull', False), ('at40_systolic__gt', models.F('at40_diastolic')), ('at40_systolic__isnull', False)), _connector='OR'), name='infusion_at40_pair'), models.CheckConstraint(condition=models.Q(('discharge_systolic__isnull', True), models.Q(('discharge_systolic__gte', 60), ('discharge_systolic__lte', 300)), _connector='OR'), name='infusion_discharge_systolic_range'), models.CheckConstraint(condition=models.Q(('discharge_diastolic__isnull', True), models.Q(('discharge_diastolic__gte', 30), ('discharge_diastolic__lte', 200)), _connector='OR'), name='infusion_discharge_diastolic_range'), models.CheckConstraint(condition=models.Q(('discharge_heart_rate__isnull', True), models.Q(('discharge_heart_rate__gte', 20), ('discharge_heart_rate__lte', 250)), _connector='OR'), name='infusion_discharge_hr_range'), models.CheckConstraint(condition=models.Q(models.Q(('discharge_diastolic__isnull', True), ('discharge_systolic__isnull', True)), models.Q(('discharge_diastolic__isnull', False), ('discharge_systolic__gt', models.F('discharge_diastolic')), ('discharge_systolic__isnull', False)), _connector='OR'), name='infusion_discharge_pair'), models.CheckConstraint(condition=models.Q(('rass__isnull', True), models.Q(('rass__gte', -5), ('rass__lte', 4)), _connector='OR'), name='infusion_rass_range'), models.CheckConstraint(condition=models.Q(('dissociation__isnull', True), models.Q(('dissociation__lte', 10), ('dissociation_scale', 'rating')), models.Q(('dissociation__lte', 92), ('dissociation_scale', 'cadss')), _connector='OR'), name='infusion_dissociation_range'), models.CheckConstraint(condition=models.Q(('outcome__in', ['', 'given', 'held'])), name='infusion_outcome_known'), models.CheckConstraint(condition=models.Q(('signed_at__isnull', True), models.Q(('outcome', ''), _negated=True), _connector='OR'), name='infusion_signed_with_outcome'), models.CheckConstraint(condition=models.Q(models.Q(('outcome', 'given'), _negated=True), models.Q(('authorized_at__isnull', False), ('dose_given_mg__isnull', False)), _connector='OR'), name='infusion_given_was_authorized')],
            },
        ),
        migrations.RunPython(triggers, drop_triggers),
    ]
