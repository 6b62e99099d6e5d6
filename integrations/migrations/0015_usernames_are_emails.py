"""Existing users get their email as username (new sign-ups do: integrations.auth), so Django
admin names every user by email. A username another user already holds is left alone."""

from django.conf import settings
from django.db import migrations


def usernames_from_emails(apps, schema_editor):
    app_label, model_name = settings.AUTH_USER_MODEL.split(".")
    User = apps.get_model(app_label, model_name)
    taken = {u.lower() for u in User.objects.values_list("username", flat=True)}
    for user in User.objects.exclude(email="").only("pk", "username", "email"):
        email = user.email[:150]
        if user.username == email or email.lower() in taken:
            continue
        taken.discard(user.username.lower())
        taken.add(email.lower())
        User.objects.filter(pk=user.pk).update(username=email)


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0014_brand_invitations"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(usernames_from_emails, migrations.RunPython.noop)]
