from __future__ import annotations

from django.apps import AppConfig


class TiktokSandboxConfig(AppConfig):
    name = "tiktok_sandbox"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_delete, post_save

        from tiktok_sandbox import events, traffic
        from tiktok_sandbox.models import FaultRule, RateLimit, Subscription, Video

        for signal in (post_save, post_delete):
            for model in (FaultRule, RateLimit):
                signal.connect(traffic.forget_rules, sender=model, dispatch_uid=f"sandbox-rules-{model.__name__}")
            for model in (Video, Subscription):
                signal.connect(events.forget, sender=model, dispatch_uid=f"sandbox-events-{model.__name__}")

        def count_queries(sender, connection, **kwargs) -> None:
            # Sent again each time a wrapper reconnects: one count per query all the same.
            if traffic.count_query not in connection.execute_wrappers:
                connection.execute_wrappers.append(traffic.count_query)

        connection_created.connect(count_queries, weak=False, dispatch_uid="sandbox-count-queries")
