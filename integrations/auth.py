"""Glue between django-allauth, django-axes and the project's mail queue."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site

from . import mail


def axes_username(request, credentials: dict | None) -> str | None:
    """The login being attempted, so lockouts are per (IP, login) and not per IP.

    allauth authenticates with `email=`, not `username=`, which axes would read as None and
    so lock out everyone behind the same address.
    """
    credentials = credentials or {}
    login = credentials.get("email") or credentials.get("username")
    if not login and request is not None:
        login = request.POST.get("login")
    return login.strip().lower() if login else None


class AccountAdapter(DefaultAccountAdapter):
    """allauth's adapter, with its mail (verification, password reset) queued like all mail."""

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request), **context}
        message = self.render_mail(template_prefix, email, ctx)
        html = next(
            (content for content, mimetype in getattr(message, "alternatives", []) if mimetype == "text/html"), ""
        )
        mail.send_later(
            message.subject,
            message.body,
            message.to,
            from_email=message.from_email,
            html=html,
            headers=message.extra_headers,
        )
