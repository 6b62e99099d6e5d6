from django.apps import AppConfig


class SparkadsConfig(AppConfig):
    name = "sparkads"

    def ready(self) -> None:
        from integrations import jobs, polling
        from integrations.tiktok import clock

        from . import tasks
        from .ads import flows as spark_ads
        from .ads_manager import flows as ads_manager
        from .bulk import bulk_request_job
        from .business_center.flows import approvals_job, sync_job
        from .business_center.promote import promote_posts_job

        jobs.register(
            "bc_sync", sync_job, label="Read the Business Center's members and TikTok accounts", reload_when_done=True
        )
        jobs.register("bc_approvals", approvals_job, label="Check which TikTok accounts approved access")
        jobs.register(
            "promote_posts",
            promote_posts_job,
            label="Load the account's posts for Spark Ads",
            template="sparkads/promote.html#pull_posts",
        )
        jobs.register(
            "spark_bulk_request",
            bulk_request_job,
            label="Request Spark Ads codes for a campaign's posts",
            template="sparkads/bulk.html#progress",
            records_steps=True,
        )
        polling.register(
            polling.Poller(
                "spark",
                "Spark requests and codes",
                tasks.polled_authorizations,
                tasks.dispatch_spark_polls,
                (tasks.poll_spark_request, tasks.apply_spark_authorization, tasks.check_spark_authorization),
                # A Spark request just sent is due again within seconds (REQUEST_POLL_FIRST).
                every=15.0,
            )
        )
        polling.register(
            polling.Poller(
                "spark_deadlines",
                "Spark renewal marks, term ends and held codes, on TikTok time",
                tasks.deadline_authorizations,
                tasks.dispatch_spark_deadlines,
                (tasks.apply_spark_authorization, tasks.check_spark_authorization),
                # When the sandbox clock jumps, due marks go out within this many seconds.
                every=15.0,
                due_field="due_at",
                clock=clock.now,
            )
        )
        polling.register(
            polling.Poller(
                "ads_manager",
                "Ads Manager links",
                ads_manager.pending_links,
                tasks.dispatch_ads_manager_polls,
                (tasks.poll_ads_manager_links,),
                every=120.0,
            )
        )
        polling.register(
            polling.Poller(
                "spark_ads",
                "Spark ads and their spend",
                spark_ads.swept_ad_accounts,
                tasks.dispatch_spark_ad_sweeps,
                (tasks.sweep_spark_ads,),
                # Each account is swept daily (SWEEP_EVERY); an account a REPORT_DATA_CHANGE made
                # due, or whose brand just got a live code, is read within this, so a spend change
                # reaches the ledger within one 5-minute webhook window and a minute.
                every=60.0,
                due_field="next_spend_read_at",
            )
        )
