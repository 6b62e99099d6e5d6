"""Spark authorizations point at the campaign post's new home. State only: same table."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('integrations', '0004_campaign_posts'),
        ('sparkads', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='sparkauthorization',
                    name='post',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='spark_authorizations', to='integrations.campaignpost'),
                ),
            ],
            database_operations=[],
        ),
    ]
