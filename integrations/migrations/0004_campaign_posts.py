"""Collaborations and campaign posts join the shared model. State only: the tables were
created by the creators app and keep their names, rows and constraints."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('integrations', '0003_adaccount_removed_at_brand_spark_capability_case_and_more'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='CampaignPost',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('video_id', models.CharField(max_length=64)),
                        ('link_status', models.CharField(choices=[('IN_REVIEW', 'Waiting for approval'), ('APPROVE', 'Linked'), ('REJECTED', 'Rejected'), ('REVOKE', 'Revoked')], default='IN_REVIEW', max_length=10)),
                        ('link_request_id', models.CharField(blank=True, max_length=64)),
                        ('publish_status', models.CharField(choices=[('reviewing', 'TikTok is reviewing this post'), ('published', 'Published'), ('removed', 'Removed')], default='reviewing', max_length=10)),
                        ('caption', models.TextField(blank=True)),
                        ('embed_url', models.URLField(blank=True, max_length=1000)),
                        ('thumbnail_url', models.URLField(blank=True, max_length=1000)),
                        ('posted_at', models.DateTimeField(blank=True, null=True)),
                        ('linked_at', models.DateTimeField(blank=True, null=True)),
                        ('next_poll_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('campaign', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='posts', to='integrations.campaign')),
                        ('tiktok_account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='campaign_posts', to='integrations.tiktokaccount')),
                    ],
                    options={
                        'db_table': 'creators_campaignpost',
                    },
                ),
                migrations.AlterField(
                    model_name='postinsight',
                    name='post',
                    field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='insight', to='integrations.campaignpost'),
                ),
                migrations.AlterField(
                    model_name='postsnapshot',
                    name='post',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='snapshots', to='integrations.campaignpost'),
                ),
                migrations.CreateModel(
                    name='Collaboration',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('invited', 'Invited'), ('joined', 'Joined'), ('declined', 'Declined')], default='invited', max_length=10)),
                        ('joined_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('campaign', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='collaborations', to='integrations.campaign')),
                        ('tiktok_account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='collaborations', to='integrations.tiktokaccount')),
                    ],
                    options={
                        'db_table': 'creators_collaboration',
                    },
                ),
                migrations.AddField(
                    model_name='campaignpost',
                    name='collaboration',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='posts', to='integrations.collaboration'),
                ),
                migrations.AddConstraint(
                    model_name='collaboration',
                    constraint=models.UniqueConstraint(fields=('campaign', 'tiktok_account'), name='creators_collaboration_unique'),
                ),
                migrations.AddIndex(
                    model_name='campaignpost',
                    index=models.Index(condition=models.Q(('publish_status', 'reviewing')), fields=['next_poll_at'], name='post_review_poll_idx'),
                ),
                migrations.AddConstraint(
                    model_name='campaignpost',
                    constraint=models.UniqueConstraint(fields=('campaign', 'video_id'), name='creators_campaign_post_unique'),
                ),
            ],
            database_operations=[],
        ),
    ]
