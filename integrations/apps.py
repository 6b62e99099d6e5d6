from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"

    def ready(self) -> None:
        from . import (
            checks,  # noqa: F401  (registers the system checks)
            jobs,
        )
        from .models import BackgroundJob
        from .sourcing.flows import search_job

        jobs.register(BackgroundJob.Kind.CREATOR_SEARCH, search_job, template="integrations/_creator_results.html")
