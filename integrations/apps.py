from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"

    def ready(self) -> None:
        from . import (
            checks,  # noqa: F401  (registers the system checks)
            jobs,
        )
        from .flows_sourcing import search_job
        from .models import BackgroundJob

        jobs.register(BackgroundJob.Kind.CREATOR_SEARCH, search_job, template="integrations/_creator_results.html")
