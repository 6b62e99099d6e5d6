from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"

    def ready(self) -> None:
        from . import (
            checks,  # noqa: F401  (registers the system checks)
            jobs,
            polling,
            tasks,
        )
        from .connect.recheck import rechecked_accounts
        from .insights import report
        from .insights import tasks as insights_tasks
        from .sourcing.assets import review_job
        from .sourcing.flows import profile_job, search_job

        jobs.register(
            "creator_search", search_job, label="Load a page of creators", template="integrations/_creator_results.html"
        )
        jobs.register(
            "creator_profile",
            profile_job,
            label="Load a creator's profile",
            template="integrations/creator_profile.html#profile",
        )
        jobs.register(
            "anchor_review",
            review_job,
            label="Check the anchors' review",
            template="integrations/campaign_assets.html#anchors-checked",
        )
        polling.register(
            polling.Poller(
                "jobs",
                "Background jobs lost by their worker or the broker",
                jobs.unfinished_jobs,
                jobs.dispatch_lost_jobs,
                # The resumed jobs run on the interactive queue, like every job.
                (),
                # With jobs.HEARTBEAT_LEASE, a dead worker's job is resumed within a minute.
                every=15.0,
                due_field="alive_until",
            )
        )
        polling.register(
            polling.Poller(
                "insights",
                "Post insights",
                report.polled_campaigns,
                insights_tasks.dispatch_insights_polls,
                (insights_tasks.poll_campaign_report,),
                every=300.0,
            )
        )
        polling.register(
            polling.Poller(
                "capability",
                "Capability re-checks",
                rechecked_accounts,
                tasks.dispatch_rechecks,
                (tasks.recheck_connection,),
                every=300.0,
            )
        )
