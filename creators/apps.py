from django.apps import AppConfig
from django.conf import settings


class CreatorsConfig(AppConfig):
    name = "creators"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from integrations import jobs, polling
        from integrations.models import Credential, TikTokOneAccount
        from integrations.tiktok import clock

        from . import collaborations, marketplace, tasks

        for model in (TikTokOneAccount, Credential):
            for signal in (post_save, post_delete):
                signal.connect(
                    marketplace.forget_marketplace_account, sender=model, dispatch_uid=f"marketplace.{model}"
                )

        jobs.register(
            "onboarding_check", tasks.check_job, label="Check the Creator Marketplace status", reload_when_done=True
        )
        jobs.register(
            "link_requests",
            collaborations.link_requests_job,
            label="Read the brand's link requests",
            template="creators/home.html#link-requests",
        )
        polling.register(
            polling.Poller(
                "marketplace",
                "Marketplace status",
                marketplace.polled,
                tasks.dispatch_onboarding_polls,
                (tasks.poll_onboardings, tasks.poll_onboarding),
                # Runs this often and keeps MARKETPLACE_DISPATCH_QUEUE_SECONDS of TikTok's
                # ceiling claimed and queued (marketplace.dispatch_target).
                every=settings.MARKETPLACE_DISPATCH_SECONDS,
            )
        )
        polling.register(
            polling.Poller(
                "marketplace_deadlines",
                "Marketplace waits (24 h invite, 2 h processing), on TikTok time",
                marketplace.polled,
                tasks.dispatch_onboarding_deadlines,
                (tasks.poll_onboardings,),
                # When the sandbox clock jumps past a wait, its creators are polled within this.
                every=15.0,
                due_field="due_at",
                clock=clock.now,
            )
        )
        polling.register(
            polling.Poller(
                "link_requests",
                "Link requests (posts in review)",
                collaborations.in_review,
                tasks.dispatch_post_polls,
                (tasks.poll_post_review,),
                # A post the creator just linked is due again within seconds (POST_POLL_FIRST).
                every=15.0,
            )
        )
        polling.register(
            polling.Poller(
                "token_refresh",
                "Token refresh",
                tasks.creator_grants,
                tasks.refresh_due_creator_tokens,
                (tasks.refresh_creator_token,),
                every=300.0,
                due_field="refresh_due_at",
                clock=clock.now,
            )
        )
