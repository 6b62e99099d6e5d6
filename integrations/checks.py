"""Deploy checks (`manage.py check --deploy`) for what Django's own checks cannot know."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register

from aspire_tiktok import tiktok_safety


@register(Tags.security, deploy=True)
def tiktok_is_not_the_sandbox(app_configs, **kwargs) -> list[Error]:
    """A production deployment must not run on the sandbox's public TikTok app or hosts."""
    if settings.TIKTOK_SANDBOX:
        return []
    values = {name: getattr(settings, name, "") for name in tiktok_safety.SANDBOX_CREDENTIALS}
    values |= {name: getattr(settings, name, "") for name in tiktok_safety.BASE_URL_SETTINGS}
    problems = tiktok_safety.sandbox_leftovers(values, settings.SANDBOX_URL)
    return [Error(tiktok_safety.explain(problems), id="integrations.E001")] if problems else []
