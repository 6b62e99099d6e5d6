from datetime import timedelta

from django.conf import settings
from django.db import migrations, models
from django.db.models import F


def refresh_deadlines_from_tiktoks_expiry(apps, schema_editor):
    """The deadline was real time; it is now the access token's expiry (on TikTok's clock)
    less the refresh margin, as integrations.tiktok.tokens.apply_grant sets it."""
    credential = apps.get_model("integrations", "Credential")
    credential.objects.filter(kind="tt_user", status="ok", access_expires_at__isnull=False).update(
        refresh_due_at=F("access_expires_at") - timedelta(seconds=settings.TIKTOK_REFRESH_MARGIN_SECONDS)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0022_campaignpost_previewed_at"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="credential",
            name="cred_refresh_due_idx",
        ),
        migrations.RenameField(
            model_name="credential",
            old_name="next_refresh_at",
            new_name="refresh_due_at",
        ),
        migrations.AddIndex(
            model_name="credential",
            index=models.Index(
                condition=models.Q(("status", "ok")), fields=["refresh_due_at"], name="cred_refresh_due_idx"
            ),
        ),
        migrations.RunPython(refresh_deadlines_from_tiktoks_expiry, migrations.RunPython.noop),
    ]
