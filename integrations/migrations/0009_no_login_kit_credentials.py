"""Credentials are API for Business grants only: ``login_kit`` leaves the kinds.

A row still of kind ``login_kit`` holds a token of the TikTok for Developers app, which the
platform no longer calls and which the API for Business app can neither use nor refresh. Such
a row becomes ``tt_user`` with status ``needs_reconnect`` and its tokens wiped, which is what
the creators' flows do to a grant TikTok no longer honours: nothing calls TikTok with it or
refreshes it, the TikTok account keeps its link to the row, and the creator's next
authorization (through the Business app) refills that same row, now of the right kind. Deleting the rows
instead would drop the TikTok accounts' link to them and lose the error that explains why.
Reversing leaves the rows as they are: the old kind is gone with the tokens it described.
"""

from django.db import migrations, models
from django.utils import timezone

REASON = "Login Kit grants are no longer used: authorize TikTok again to continue."


def retire_login_kit_grants(apps, schema_editor):
    Credential = apps.get_model("integrations", "Credential")
    Credential.objects.filter(kind="login_kit").update(
        kind="tt_user",
        status="needs_reconnect",
        access_token="",
        refresh_token="",
        access_expires_at=None,
        refresh_expires_at=None,
        next_refresh_at=None,
        last_error=REASON,
        last_error_at=timezone.now(),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0008_background_job"),
    ]

    operations = [
        migrations.RunPython(retire_login_kit_grants, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="credential",
            name="kind",
            field=models.CharField(
                choices=[("business", "API for Business advertiser token"), ("tt_user", "TikTok account holder token")],
                max_length=20,
            ),
        ),
    ]
