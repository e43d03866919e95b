# Rule sets and rules moved here from the screening app with their tables (and the rule history's):
# only Django's state changes (screening.0009 removes them from the screening app's state).

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


MOVED = ["ruleset", "rule", "historicalrule"]


def content_types_follow(apps, schema_editor):
    """Keep the content types (and with them any permissions) of the moved models."""
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="screening", model__in=MOVED).update(app_label="rules")


def content_types_back(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="rules", model__in=MOVED).update(app_label="screening")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("screening", "0008_formulary_moved_out"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='RuleSet',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('version', models.CharField(max_length=40, unique=True)),
                        ('status', models.CharField(choices=[('draft', 'Draft'), ('published', 'Published'), ('retired', 'Retired')], default='draft', max_length=10)),
                        ('is_active', models.BooleanField(default=False)),
                        ('protocol', models.JSONField()),
                        ('test_baseline', models.JSONField(blank=True, default=dict, help_text="The intake that each rule's test cases are merged onto.")),
                        ('sha256', models.CharField(blank=True, max_length=64)),
                        ('note', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('published_at', models.DateTimeField(blank=True, null=True)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'screening_ruleset',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='Rule',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('position', models.PositiveIntegerField()),
                        ('code', models.CharField(max_length=40)),
                        ('severity', models.CharField(choices=[('contraindicated', 'contraindicated'), ('not_candidate', 'not_candidate'), ('missing', 'missing'), ('defer', 'defer'), ('review', 'review'), ('precaution', 'precaution'), ('info', 'info')], max_length=16)),
                        ('title', models.CharField(max_length=200)),
                        ('action', models.TextField()),
                        ('sources', models.JSONField(default=list)),
                        ('enabled', models.BooleanField(default=True)),
                        ('predicate', models.JSONField()),
                        ('tests', models.JSONField(blank=True, default=list)),
                        ('ruleset', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='rules', to='rules.ruleset')),
                    ],
                    options={
                        'db_table': 'screening_rule',
                        'ordering': ['ruleset', 'position'],
                    },
                ),
                migrations.CreateModel(
                    name='HistoricalRule',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('position', models.PositiveIntegerField()),
                        ('code', models.CharField(max_length=40)),
                        ('severity', models.CharField(choices=[('contraindicated', 'contraindicated'), ('not_candidate', 'not_candidate'), ('missing', 'missing'), ('defer', 'defer'), ('review', 'review'), ('precaution', 'precaution'), ('info', 'info')], max_length=16)),
                        ('title', models.CharField(max_length=200)),
                        ('action', models.TextField()),
                        ('sources', models.JSONField(default=list)),
                        ('enabled', models.BooleanField(default=True)),
                        ('predicate', models.JSONField()),
                        ('tests', models.JSONField(blank=True, default=list)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('ruleset', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='rules.ruleset')),
                    ],
                    options={
                        'verbose_name': 'historical rule',
                        'verbose_name_plural': 'historical rules',
                        'db_table': 'screening_historicalrule',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.AddConstraint(
                    model_name='ruleset',
                    constraint=models.UniqueConstraint(condition=models.Q(('is_active', True)), fields=('is_active',), name='one_active_ruleset'),
                ),
                migrations.AddConstraint(
                    model_name='ruleset',
                    constraint=models.CheckConstraint(condition=models.Q(('is_active', False), ('status', 'published'), _connector='OR'), name='active_ruleset_is_published'),
                ),
                migrations.AddConstraint(
                    model_name='rule',
                    constraint=models.UniqueConstraint(fields=('ruleset', 'code'), name='unique_rule_code_per_set'),
                ),
                migrations.AddConstraint(
                    model_name='rule',
                    constraint=models.CheckConstraint(condition=models.Q(('severity__in', ('contraindicated', 'not_candidate', 'missing', 'defer', 'review', 'precaution', 'info'))), name='rule_severity_known'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_follow, content_types_back),
    ]
