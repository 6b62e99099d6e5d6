from django.apps import AppConfig


class CreatorsConfig(AppConfig):
    name = "creators"

    def ready(self) -> None:
        from integrations import jobs
        from integrations.models import BackgroundJob

        from .tasks import check_job

        jobs.register(BackgroundJob.Kind.ONBOARDING_CHECK, check_job, reload_when_done=True)
