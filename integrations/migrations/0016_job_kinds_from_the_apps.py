# Choices only (they come from the apps that register job kinds): no SQL.

import integrations.models.jobs
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('integrations', '0015_usernames_are_emails'),
    ]

    operations = [
        migrations.AlterField(
            model_name='backgroundjob',
            name='kind',
            field=models.CharField(choices=integrations.models.jobs.kind_choices, max_length=32),
        ),
    ]
