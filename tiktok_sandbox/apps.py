from django.apps import AppConfig


class TiktokSandboxConfig(AppConfig):
    name = 'tiktok_sandbox'
