from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('screening', '0012_formulary_version'),
    ]

    operations = [
        migrations.AddField(
            model_name='impactpreview',
            name='date_from',
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='impactpreview',
            name='date_to',
            field=models.DateField(blank=True, null=True),
        ),
    ]
