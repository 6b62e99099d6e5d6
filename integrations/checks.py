"""System checks for what Django's own checks cannot know: TikTok's requirements of this
deployment (`manage.py check --deploy`)."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import Error, Tags, register
from django.urls import reverse

from aspire_tiktok import tiktok_safety


@register(Tags.security, deploy=True)
def tiktok_is_not_the_sandbox(app_configs: Sequence[AppConfig] | None, **kwargs: object) -> list[Error]:
    """A production deployment must not run on the sandbox's public TikTok app or hosts."""
    if settings.TIKTOK_SANDBOX:
        return []
    values = {name: getattr(settings, name, "") for name in tiktok_safety.SANDBOX_CREDENTIALS}
    values |= {name: getattr(settings, name, "") for name in tiktok_safety.BASE_URL_SETTINGS}
    problems = tiktok_safety.sandbox_leftovers(values, settings.SANDBOX_URL)
    return [Error(tiktok_safety.explain(problems), id="integrations.E001")] if problems else []


def redirect_uri_problems(uri: str) -> list[str]:
    """Why TikTok would refuse ``uri`` as a redirect URI: it must be absolute https, static (no
    query or fragment), without a port, and end in "/" (TikTok's Login Kit and Accounts API
    authorization guides)."""
    parts = urlsplit(uri)
    problems = []
    if parts.scheme != "https" or not parts.hostname:
        problems.append("is not an absolute https URL")
    if parts.port is not None:
        problems.append("carries a port")
    if parts.query or parts.fragment:
        problems.append("carries a query string or fragment")
    if not parts.path.endswith("/"):
        problems.append('does not end in "/"')
    return problems


@register(Tags.security, deploy=True)
def check_tiktok_redirect_uris(app_configs: Sequence[AppConfig] | None = None, **kwargs: object) -> list[Error]:
    errors = []
    for name in settings.TIKTOK_REDIRECT_URL_NAMES:
        uri = settings.SITE_URL + reverse(name)
        for problem in redirect_uri_problems(uri):
            errors.append(
                Error(
                    f"The TikTok redirect URI {uri} {problem}.",
                    hint="Set SITE_URL to the site's public https address (no port), e.g. https://tiktok.example.com.",
                    id="integrations.E002",
                )
            )
    return errors
