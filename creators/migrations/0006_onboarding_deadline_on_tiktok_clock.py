from datetime import timedelta

from django.db import migrations, models
from django.db.models import F

# As creators.models has them: TikTok's waits, the invite's 24 hours and 2+ hours of processing.
INVITE_DEADLINE = timedelta(hours=24)
PROCESSING_TIME = timedelta(hours=2)


def deadlines_of_rows_waiting_now(apps, schema_editor):
    """Rows already waiting get their wait's end on TikTok's clock (their steps' dates are on it)."""
    onboarding = apps.get_model("creators", "MarketplaceOnboarding")
    onboarding.objects.filter(state="waiting", invite_requested_at__isnull=False).update(
        due_at=F("invite_requested_at") + INVITE_DEADLINE
    )
    onboarding.objects.filter(state="processing", accepted_at__isnull=False).update(
        due_at=F("accepted_at") + PROCESSING_TIME
    )


class Migration(migrations.Migration):
    dependencies = [
        ("creators", "0005_onboarding_claimed_until"),
    ]

    operations = [
        migrations.AddField(
            model_name="marketplaceonboarding",
            name="due_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="marketplaceonboarding",
            index=models.Index(
                condition=models.Q(("due_at__isnull", False)), fields=["due_at"], name="onboarding_deadline_due_idx"
            ),
        ),
        migrations.RunPython(deadlines_of_rows_waiting_now, migrations.RunPython.noop),
    ]
