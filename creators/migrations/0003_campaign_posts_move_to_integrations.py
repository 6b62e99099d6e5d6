"""Collaborations and campaign posts now belong to integrations. State only: their tables
(creators_collaboration, creators_campaignpost) stay where they are, with their rows."""

from django.db import migrations


def move_content_types(apps, schema_editor):
    """Admin history and permissions follow the models to their new app."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in ("campaignpost", "collaboration"):
        ContentType.objects.filter(app_label="integrations", model=model).delete()
        ContentType.objects.filter(app_label="creators", model=model).update(app_label="integrations")


def restore_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="integrations", model__in=["campaignpost", "collaboration"]).update(
        app_label="creators"
    )


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('creators', '0002_marketplaceonboarding'),
        ('integrations', '0004_campaign_posts'),
        ('sparkads', '0002_campaign_posts_in_integrations'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(
                    model_name='campaignpost',
                    name='post_review_poll_idx',
                ),
                migrations.RemoveConstraint(
                    model_name='campaignpost',
                    name='creators_campaign_post_unique',
                ),
                migrations.RemoveConstraint(
                    model_name='collaboration',
                    name='creators_collaboration_unique',
                ),
                migrations.RemoveField(
                    model_name='collaboration',
                    name='campaign',
                ),
                migrations.RemoveField(
                    model_name='collaboration',
                    name='tiktok_account',
                ),
                migrations.DeleteModel(
                    name='CampaignPost',
                ),
                migrations.DeleteModel(
                    name='Collaboration',
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, restore_content_types),
    ]
