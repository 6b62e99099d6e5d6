from __future__ import annotations

from django.apps import AppConfig


class TiktokSandboxConfig(AppConfig):
    name = "tiktok_sandbox"
    default_auto_field = "django.db.models.BigAutoField"
