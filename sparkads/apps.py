from django.apps import AppConfig


class SparkadsConfig(AppConfig):
    name = "sparkads"

    def ready(self) -> None:
        from integrations import jobs
        from integrations.models import BackgroundJob

        from .bulk import bulk_request_job
        from .business_center.flows import approvals_job, sync_job
        from .business_center.promote import promote_posts_job

        Kind = BackgroundJob.Kind
        jobs.register(Kind.BC_SYNC, sync_job, reload_when_done=True)
        jobs.register(Kind.BC_APPROVALS, approvals_job)
        jobs.register(Kind.PROMOTE_POSTS, promote_posts_job, template="sparkads/promote.html#pull_posts")
        jobs.register(Kind.SPARK_BULK_REQUEST, bulk_request_job, template="sparkads/bulk.html#progress")
