import django.utils.timezone
from django.db import migrations, models


def schedule_never_polled(apps, schema_editor):
    """A campaign never polled was due by its NULL next_poll_at; now a NULL means "not
    scheduled", so give those campaigns a time: now."""
    Campaign = apps.get_model("integrations", "Campaign")
    Campaign.objects.filter(status="active", next_poll_at__isnull=True, last_polled_at__isnull=True).exclude(
        campaign_id=""
    ).update(next_poll_at=django.utils.timezone.now())


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0004_campaign_posts"),
    ]

    operations = [
        migrations.AlterField(
            model_name="campaign",
            name="next_poll_at",
            field=models.DateTimeField(blank=True, default=django.utils.timezone.now, null=True),
        ),
        migrations.RunPython(schedule_never_polled, migrations.RunPython.noop),
    ]
